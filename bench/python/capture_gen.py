"""The output generator of the capture benchmark: TOTAL bytes of 100-byte lines on stdout.

One pre-built 1,000,000-byte buffer (10,000 lines) written again and again with os.write:
it writes several GB/s, so whatever reads it is what the benchmark measures.
"""

import os
import sys


def main() -> None:
    total = int(sys.argv[1])
    line = b"x" * 99 + b"\n"
    block = memoryview(line * 10_000)
    whole, rest = divmod(total, len(block))
    write = os.write
    for part in [block] * whole + ([block[:rest]] if rest else []):
        while part:
            part = part[write(1, part) :]


if __name__ == "__main__":
    main()
