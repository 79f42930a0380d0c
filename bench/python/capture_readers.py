"""Reference readers of the capture benchmark, each fed by capture_gen.py; prints one JSON line.

  lines   Python's own line loop: `for line in Popen(...).stdout` (Popen's stdout is an os.pipe)
  cat     `cat >/dev/null` reading a socketpair, the kind of pipe libuv (so the engine) gives a child
  cat-pipe  `cat >/dev/null` reading an os.pipe, as in a shell pipeline
  cat-file  `cat >FILE` reading a socketpair: every byte kept on disk, as the engine's log
            (FILE is the 4th argument; it is removed after)
"""

import json
import os
import resource
import socket
import subprocess
import sys
import time


def main() -> None:
    mode, generator, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    gen = [sys.executable, generator, str(total)]
    received = lines = 0
    reader_cpu = 0.0
    start = time.perf_counter()
    if mode == "lines":
        with subprocess.Popen(gen, stdout=subprocess.PIPE) as proc:
            for _line in proc.stdout:
                lines += 1
        code = proc.returncode
        received = lines * 100  # capture_gen.py writes 100-byte lines
    else:
        if mode in ("cat", "cat-file"):
            read_end, write_end = socket.socketpair()
            read_fd, write_fd = read_end.fileno(), write_end.fileno()
        else:
            read_fd, write_fd = os.pipe()
        producer = subprocess.Popen(gen, stdout=write_fd)
        if mode == "cat-file":
            sink = open(sys.argv[4], "wb")
        else:
            sink = subprocess.DEVNULL
        consumer = subprocess.Popen(["cat"], stdin=read_fd, stdout=sink)
        if mode == "cat-file":
            sink.close()
        if mode in ("cat", "cat-file"):
            read_end.close()
            write_end.close()
        else:
            os.close(read_fd)
            os.close(write_fd)
        # The reader's own CPU (cat's, without the generator's): reaped last, counted alone.
        code = producer.wait()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        code = code or consumer.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        reader_cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        received = total
        if mode == "cat-file":
            # The engine's figure includes its log being written (close), not fsync'd: the same here.
            received = os.path.getsize(sys.argv[4])
            os.unlink(sys.argv[4])
    seconds = time.perf_counter() - start
    if code != 0 or received != total:
        raise SystemExit(f"{mode}: exit {code}, {received} of {total} bytes")
    print(
        json.dumps(
            {"mode": mode, "seconds": seconds, "bytes": received, "lines": lines, "reader_cpu_seconds": reader_cpu}
        )
    )


if __name__ == "__main__":
    main()
