"""Python's multiprocessing.Pool(4), measured the way bench/pool.bench.ts measures Forkscope's pool.

Prints one JSON object: apply_async tasks/s (one by one), map tasks/s (default chunking),
Pool.apply round-trip in microseconds.
"""
import json
import sys
import time
from multiprocessing import Pool


def square(x):
    return x * x


def main():
    n_async = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
    n_map = int(sys.argv[2]) if len(sys.argv) > 2 else 2000000
    n_rt = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    with Pool(4) as pool:
        pool.map(square, range(1000))  # warm up: workers started and ready

        for i in range(500):  # warm up the round trip, as the JavaScript side does
            pool.apply(square, (i,))
        # The median of 10 batches: a burst of load from elsewhere on the machine counts once.
        batches = []
        for _ in range(10):
            start = time.perf_counter()
            for i in range(n_rt // 10):
                pool.apply(square, (i,))
            batches.append((time.perf_counter() - start) / (n_rt // 10) * 1e6)
        roundtrip_us = sorted(batches)[len(batches) // 2]

        start = time.perf_counter()
        handles = [pool.apply_async(square, (i,)) for i in range(n_async)]
        for handle in handles:
            handle.get()
        apply_async = n_async / (time.perf_counter() - start)

        items = list(range(n_map))
        start = time.perf_counter()
        pool.map(square, items)
        map_rate = n_map / (time.perf_counter() - start)

    print(json.dumps({"apply_async": apply_async, "map": map_rate, "roundtrip_us": roundtrip_us}))


if __name__ == "__main__":
    main()
