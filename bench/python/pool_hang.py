"""Python's Pool when a worker is SIGKILLed mid-task: the task's result never comes (CPython
issue 66587 / bpo-22393). The wait is bounded here so the benchmark goes on; prints JSON."""
import json
import os
import signal
import sys
import time
from multiprocessing import Pool, TimeoutError


def nap(seconds):
    time.sleep(seconds)
    return os.getpid()


def main():
    limit = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    pool = Pool(2)
    pool.map(nap, [0, 0])  # warm up
    victim = pool.apply_async(nap, (1.0,))
    other = pool.apply_async(nap, (1.0,))
    time.sleep(0.3)
    pid = pool._pool[0].pid
    os.kill(pid, signal.SIGKILL)
    killed = time.perf_counter()
    outcome = {"killed_pid": pid}
    try:
        victim.get(timeout=limit)
        other.get(timeout=limit)
        outcome.update(hung=False, waited_ms=(time.perf_counter() - killed) * 1000)
    except TimeoutError:
        outcome.update(hung=True, waited_ms=(time.perf_counter() - killed) * 1000)
    print(json.dumps(outcome), flush=True)
    pool.terminate()
    os._exit(0)


if __name__ == "__main__":
    main()
