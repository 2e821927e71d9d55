"""Shared argv parsing for the conformance drivers.

Every driver takes: ENDPOINT BUCKET KEY FILE PART_SIZE CONCURRENCY ACCESS_KEY SECRET_KEY
and exits 0 only when the client said the upload succeeded (mpu conform grades the rest from
the server's journal and state, not from this status alone).
"""
import sys


def parse():
    if len(sys.argv) != 9:
        sys.stderr.write(
            f"usage: {sys.argv[0]} ENDPOINT BUCKET KEY FILE PART_SIZE CONCURRENCY ACCESS_KEY SECRET_KEY\n")
        sys.exit(2)
    endpoint, bucket, key, path, part_size, concurrency, ak, sk = sys.argv[1:]
    return endpoint, bucket, key, path, int(part_size), int(concurrency), ak, sk


def die(msg):
    sys.stderr.write(f"{msg}\n")
    sys.exit(1)
