"""Small shared toolkit for the real-client checks in tests/clients/.

Each script registers named checks with `Suite.check`, runs them in order and prints one line per
check: `PASS <suite>/<name> (<secs>s)[: note]` or `FAIL <suite>/<name>: <reason>`, then a closing
`RESULT passed=N failed=M` line that run_all.sh reads. A check that depends on the state built by
an earlier one names it in `needs=`; when that one failed, the dependent check fails with
"prerequisite ... failed" instead of producing a confusing second error.

The reasons are meant to be pasted into a bug report: they say which call was made, what was
expected and what came back.
"""

import argparse
import base64
import hashlib
import os
import random
import sys
import time
import traceback
import zlib


class CheckFailed(Exception):
    """An expectation of a check did not hold; the message is the reason printed."""


def fail(msg):
    raise CheckFailed(msg)


def expect(cond, msg):
    if not cond:
        raise CheckFailed(msg)


def expect_eq(got, want, what):
    if got != want:
        raise CheckFailed(f"{what}: expected {want!r}, got {got!r}")


def describe_bytes(b):
    return f"{len(b)} bytes md5={hashlib.md5(b).hexdigest()}"


def expect_bytes(got, want, what):
    """Byte-for-byte comparison with a report that locates the first difference."""
    if got == want:
        return
    n = min(len(got), len(want))
    first = next((i for i in range(n) if got[i] != want[i]), n)
    raise CheckFailed(
        f"{what}: bytes differ: expected {describe_bytes(want)}, got {describe_bytes(got)}; "
        f"first difference at offset {first}"
    )


def expect_file_equal(path_got, path_want, what):
    """Compare two files chunk by chunk without loading them whole."""
    with open(path_got, "rb") as a, open(path_want, "rb") as b:
        off = 0
        while True:
            x = a.read(1 << 20)
            y = b.read(1 << 20)
            if x != y:
                n = min(len(x), len(y))
                first = next((i for i in range(n) if x[i] != y[i]), n)
                raise CheckFailed(
                    f"{what}: files differ at offset {off + first} "
                    f"(sizes {os.path.getsize(path_got)} vs expected {os.path.getsize(path_want)})"
                )
            if not x:
                return
            off += len(x)


def random_bytes(n, seed):
    """Deterministic pseudo-random bytes (same seed, same data: failures are reproducible)."""
    return random.Random(seed).randbytes(n)


def write_random_file(path, size, seed, chunk=1 << 22):
    rng = random.Random(seed)
    with open(path, "wb") as f:
        left = size
        while left > 0:
            k = min(chunk, left)
            f.write(rng.randbytes(k))
            left -= k


def md5_hex(b):
    return hashlib.md5(b).hexdigest()


def md5_b64(b):
    return base64.b64encode(hashlib.md5(b).digest()).decode()


def multipart_etag(parts):
    """S3/OBS multipart ETag: md5 of the concatenated binary part md5s, then -N, quoted."""
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


def multipart_etag_of_file(path, part_size):
    digests = []
    with open(path, "rb") as f:
        while True:
            block = f.read(part_size)
            if not block:
                break
            digests.append(hashlib.md5(block).digest())
    return f'"{hashlib.md5(b"".join(digests)).hexdigest()}-{len(digests)}"'


def file_md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def crc32_b64(b):
    return base64.b64encode(zlib.crc32(b).to_bytes(4, "big")).decode()


def strip_quotes(etag):
    return etag.strip('"') if isinstance(etag, str) else etag


class Suite:
    """Ordered list of named checks with PASS/FAIL reporting."""

    def __init__(self, name):
        self.name = name
        self.checks = []
        self.outcome = {}
        self.passed = 0
        self.failed = 0

    def check(self, name, needs=()):
        def register(fn):
            self.checks.append((name, tuple(needs), fn))
            return fn

        return register

    def run(self, only=None):
        for name, needs, fn in self.checks:
            if only and not any(o in name for o in only):
                continue
            full = f"{self.name}/{name}"
            missing = [n for n in needs if self.outcome.get(n) is not True]
            if missing:
                self._record(name, False)
                print(f"FAIL {full}: prerequisite {', '.join(missing)} failed or did not run",
                      flush=True)
                continue
            t0 = time.monotonic()
            try:
                note = fn()
            except CheckFailed as e:
                self._record(name, False)
                print(f"FAIL {full}: {e}", flush=True)
                continue
            except Exception as e:  # any client exception is a failure with its text
                self._record(name, False)
                print(f"FAIL {full}: {describe_exception(e)}", flush=True)
                if os.environ.get("CLIENTS_TRACEBACK"):
                    traceback.print_exc()
                continue
            self._record(name, True)
            dt = time.monotonic() - t0
            tail = f": {note}" if note else ""
            print(f"PASS {full} ({dt:.2f}s){tail}", flush=True)
        print(f"RESULT passed={self.passed} failed={self.failed}", flush=True)
        return 0 if self.failed == 0 else 1

    def _record(self, name, ok):
        self.outcome[name] = ok
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def describe_exception(e):
    """One line naming the exception; botocore ClientErrors get code, status and message."""
    resp = getattr(e, "response", None)
    if isinstance(resp, dict) and "Error" in resp:
        err = resp.get("Error", {})
        meta = resp.get("ResponseMetadata", {})
        op = getattr(e, "operation_name", "?")
        return (f"{op} raised {err.get('Code')} (HTTP {meta.get('HTTPStatusCode')}): "
                f"{err.get('Message')}")
    return f"{type(e).__name__}: {e}"


def base_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--endpoint", required=True, help="server URL, e.g. http://127.0.0.1:9000")
    p.add_argument("--ca-bundle", default=None, help="PEM file to verify the server's TLS cert")
    p.add_argument("--access-key", default=None)
    p.add_argument("--secret-key", default=None)
    p.add_argument("--auth", action="store_true",
                   help="the server verifies signatures: also check that a wrong secret is refused")
    p.add_argument("--only", action="append", default=[],
                   help="run only checks whose name contains this (repeatable)")
    p.add_argument("--suite-name", default=None, help="name printed before each check")
    return p


def die_usage(msg):
    print(msg, file=sys.stderr)
    sys.exit(2)


def admin_get(endpoint, path, ca_bundle=None):
    """GET a JSON document from the mock's /_mock/ admin API; None if the server has none."""
    import json
    import ssl
    import urllib.error
    import urllib.request

    ctx = ssl.create_default_context(cafile=ca_bundle) if endpoint.startswith("https") else None
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + path, timeout=10, context=ctx) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        if e.code in (400, 403, 404, 405):
            return None
        raise
    except ValueError:
        return None


def state_problems(state):
    """What /_mock/state says is still held: objects, open uploads, blobs (incl. orphans)."""
    problems = []
    for b in state.get("buckets", []):
        if b.get("objects"):
            problems.append(f"bucket {b.get('name')}: objects {[o.get('key') for o in b['objects']]}")
        if b.get("uploads"):
            problems.append(f"bucket {b.get('name')}: open uploads "
                            f"{[(u.get('key'), u.get('upload_id')) for u in b['uploads']]}")
    for field in ("blob_count", "blob_bytes", "orphan_blobs"):
        if state.get(field, 0) != 0:
            problems.append(f"{field}={state.get(field)}")
    return problems


def expect_no_orphans(state, what):
    """Every blob the store holds must be referenced by an object or an open upload."""
    orphans = state.get("orphan_blobs")
    count, referenced = state.get("blob_count"), state.get("referenced_blobs")
    expect(orphans == 0 and count == referenced,
           f"{what}: /_mock/state blob_count={count} referenced_blobs={referenced} "
           f"orphan_blobs={orphans}")
