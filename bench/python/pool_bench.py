"""Python's multiprocessing.Pool(4), measured the way bench/pool.bench.ts measures Forkscope's pool.

    pool_bench.py throughput N_ASYNC N_MAP
        apply_async tasks/s (one by one) and map tasks/s (default chunking).
        Prints one JSON object.
    pool_bench.py maps N_MAP
        Pool.map over N_MAP items (default chunking), when asked: after a warm-up prints
        {"ready": true}; then answers each "map" line on stdin with {"per_s": items per second},
        so that the benchmark can take turns with Forkscope's pool, map by map.
    pool_bench.py roundtrip N_WARM BATCH
        Pool.apply round trips, a batch at a time, when asked: after a warm-up (map, then N_WARM
        applies) prints {"ready": true}; then answers each "batch" line on stdin with
        {"mean_us": the batch's mean round trip, "singles_us": each round trip}, so that the
        benchmark can take turns with Forkscope's pool, batch by batch.
"""
import json
import sys
import time
from multiprocessing import Pool


def square(x):
    return x * x


def throughput(n_async, n_map):
    with Pool(4) as pool:
        pool.map(square, range(1000))  # warm up: workers started and ready

        start = time.perf_counter()
        handles = [pool.apply_async(square, (i,)) for i in range(n_async)]
        for handle in handles:
            handle.get()
        apply_async = n_async / (time.perf_counter() - start)

        items = list(range(n_map))
        start = time.perf_counter()
        pool.map(square, items)
        map_rate = n_map / (time.perf_counter() - start)
    return {"apply_async": apply_async, "map": map_rate}


def maps(n_map):
    """Answers each "map" line on stdin with one timed map; "quit" ends."""
    with Pool(4) as pool:
        pool.map(square, range(1000))  # warm up: workers started and ready
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() != "map":
                break
            items = list(range(n_map))
            start = time.perf_counter()
            pool.map(square, items)
            print(json.dumps({"per_s": n_map / (time.perf_counter() - start)}), flush=True)


def roundtrip(n_warm, batch):
    """Answers each "batch" line on stdin with one batch of awaited applies, timed; "quit" ends."""
    clock = time.perf_counter
    with Pool(4) as pool:
        pool.map(square, range(1000))  # warm up: workers started and ready
        for i in range(n_warm):  # warm up the round trip, as the JavaScript side does
            pool.apply(square, (i,))
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() != "batch":
                break
            singles = []
            began = clock()
            for i in range(batch):
                t0 = clock()
                pool.apply(square, (i,))
                singles.append((clock() - t0) * 1e6)
            mean_us = (clock() - began) / batch * 1e6
            print(json.dumps({"mean_us": mean_us, "singles_us": singles}), flush=True)


def main():
    mode = sys.argv[1]
    args = [int(arg) for arg in sys.argv[2:]]
    if mode == "throughput":
        print(json.dumps(throughput(*args)))
    elif mode == "roundtrip":
        roundtrip(*args)
    elif mode == "maps":
        maps(*args)
    else:
        sys.exit(f"unknown mode {mode!r}: throughput, maps or roundtrip")


if __name__ == "__main__":
    main()
