"""Spawn rate of Python's subprocess.run(['true']) (posix_spawn/vfork), sequential; prints one JSON line."""

import json
import subprocess
import sys
import time


def main() -> None:
    count = int(sys.argv[1])
    for _ in range(min(50, count)):  # warm up, as the engine side does
        subprocess.run(["true"], check=True)
    start = time.perf_counter()
    for _ in range(count):
        subprocess.run(["true"], check=True)
    seconds = time.perf_counter() - start
    print(json.dumps({"count": count, "seconds": seconds, "per_second": count / seconds}))


if __name__ == "__main__":
    main()
