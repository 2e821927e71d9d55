#!/usr/bin/env python3
"""Checks the verdicts of `mpu conform --matrix` that are known facts, so a grading bug fails CI.

Usage: conform_facts.py RESULTS_JSON

Each fact names a client, a scenario, the verdict it must get and, for a failure, the check
that must be among the failed ones; optionally (a fifth element) checks that must NOT be among
them (for example: the object was stored byte-exact although another rule failed). A fact about a client that was skipped (not installed) is
reported as not checked, except for REQUIRED clients, which CI always installs. Prints
`PASS`/`FAIL`/`SKIP` per fact and `N passed, N failed`; exits 1 if a fact does not hold.
Standard library only.
"""
import json
import sys

# Clients CI always has (the reference uploader is in-process; boto3 comes from
# tests/clients/requirements.txt; .ci/run builds the object_store example): their facts must
# be checked, a skip is a failure.
REQUIRED = {"mpu", "boto3-upload-file", "boto3-multipart", "object_store"}

# (client, scenario, verdict, failed check that must be listed or None[, checks that must not be])
FACTS = [
    # boto3 recovers from a part whose answer was lost after it was stored: botocore retries
    # the UploadPart and the same part number replaces the stored one.
    ("boto3-upload-file", "s3-drop-after-commit", "pass", None),
    ("boto3-multipart", "s3-drop-after-commit", "pass", None),
    # boto3 does not compare a part's ETag with the MD5 of what it sent: it completes with the
    # wrong ETag (the server answers InvalidPart).
    ("boto3-upload-file", "s3-bad-etag", "fail", "never_completed_with_bad_etag"),
    ("boto3-multipart", "s3-bad-etag", "fail", "never_completed_with_bad_etag"),
    # a fault-free upload is clean for boto3
    ("boto3-upload-file", "s3-baseline", "pass", None),
    # botocore retries a 500 on UploadPart
    ("boto3-multipart", "s3-internal-error", "pass", None),
    # the hand-written loop aborts when a part keeps failing
    ("boto3-multipart", "s3-give-up-and-abort", "pass", None),
    # the AWS CLI shares s3transfer with boto3: same two verdicts
    ("awscli", "s3-drop-after-commit", "pass", None),
    ("awscli", "s3-bad-etag", "fail", "never_completed_with_bad_etag"),
    # minio-py (7.2.20) takes a complete answered 200 with an <Error> body for success, and
    # reports a complete whose answer was lost as failed although the object is there
    ("minio-py", "s3-error-in-200", "fail", "honest_exit"),
    ("minio-py", "s3-complete-response-lost", "fail", "honest_exit"),
    # s3cmd gives up on a part that keeps failing without aborting the upload
    ("s3cmd", "s3-give-up-and-abort", "fail", "called_abort"),
    # object_store 0.14 (tests/clients/object-store-upload, built by .ci/run; facts from its
    # source: src/aws/client.rs, src/client/retry.rs, src/upload.rs):
    # - it completes the baseline byte-exact, with its parts really in parallel; it sends no
    #   Content-MD5 or x-amz-checksum-* by default, but signs each payload's SHA-256
    #   (x-amz-content-sha256), which the server verifies: that counts as an integrity check
    ("object_store", "s3-baseline", "pass", None),
    # - UploadPart is marked idempotent: a part whose answer was lost is sent again
    ("object_store", "s3-drop-after-commit", "pass", None),
    # - its retry layer retries a 500 on UploadPart
    ("object_store", "s3-internal-error", "pass", None),
    # - it keeps the ETag the server answered without comparing it with the part's MD5
    ("object_store", "s3-bad-etag", "fail", "never_completed_with_bad_etag"),
    # - the complete is sent with retry_error_body: a 200 whose body holds InternalError is retried
    ("object_store", "s3-error-in-200", "pass", None),
    # - the complete is idempotent: a complete whose answer was lost is sent again
    ("object_store", "s3-complete-response-lost", "pass", None),
    # - WriteMultipart::finish aborts the upload when a part fails after its retries
    ("object_store", "s3-give-up-and-abort", "pass", None),
    # - a part refused with 400 is not sent again: 4xx is final, XAmzContentSHA256Mismatch
    #   (its signed payload hash caught the damage) and S3's 400 RequestTimeout alike (it
    #   retries only 5xx, 429, 408)
    ("object_store", "s3-corrupt-without-md5", "fail", "retried_parts", ["honest_exit"]),
    ("object_store", "s3-request-timeout", "fail", "retried_parts", ["honest_exit"]),
    # - a complete whose 200 answer is cut off is not retried; finish() then aborts, the abort
    #   of the completed upload answers 404 NoSuchUpload, and it reports failure although the
    #   object is stored intact
    ("object_store", "s3-complete-response-truncated", "fail", "honest_exit",
     ["object_equals_source"]),
    # - a 500 on the complete is retried
    ("object_store", "s3-complete-internal-error", "pass", None),
]


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        results = json.load(f)
    by = {(r["client"], r["scenario"]): r for r in results}
    passed = failed = 0

    def verdict(ok, line):
        nonlocal passed, failed
        print(("PASS " if ok else "FAIL ") + line)
        if ok:
            passed += 1
        else:
            failed += 1

    # the reference uploader passes everything it ran, and it ran something
    mine = [r for r in results if r["client"] == "mpu"]
    bad = [f'{r["scenario"]} ({r["verdict"]}: {", ".join(f["check"] for f in r["failures"]) or r.get("client_said")})'
           for r in mine if r["verdict"] != "pass"]
    verdict(bool(mine) and not bad,
            f"mpu passes all {len(mine)} scenarios" + (f" — not: {bad}" if bad else ""))
    for client, scenario, want, check, *rest in FACTS:
        not_failed = rest[0] if rest else []
        r = by.get((client, scenario))
        what = f"{client} x {scenario} is {want}" + (f" ({check})" if check else "")
        if not_failed:
            what += f", not {'/'.join(not_failed)}"
        if r is None:
            verdict(False, f"{what}: not in the results (profile or quick set changed?)")
            continue
        if r["verdict"] == "skip":
            if client in REQUIRED:
                verdict(False, f"{what}: skipped ({r.get('client_said')})")
            else:
                print(f"SKIP {what}: {r.get('client_said')}")
            continue
        checks = [f["check"] for f in r.get("failures", [])]
        ok = (r["verdict"] == want and (check is None or check in checks)
              and not any(c in checks for c in not_failed))
        verdict(ok, what + ("" if ok else f": got {r['verdict']} {checks} ({r.get('client_said')})"))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
