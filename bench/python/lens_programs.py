"""The programs bench/lens.bench.ts runs with and without the Python lens (plain multiprocessing).

    lens_programs.py pool-map N
        Pool(4).map(square, range(N)) with the default chunking, after a warm-up map that
        starts the workers. Prints {"seconds": the map alone}.
    lens_programs.py queue N
        A producer Process puts N small items on a multiprocessing.Queue, the parent gets them
        (N put/get pairs between two processes). Prints {"seconds": from the producer's start to
        the last get}.

The result is the last line of stdout, one JSON object; nothing else is printed.
"""
import json
import sys
import time
from multiprocessing import Pool, Process, Queue


def square(x):
    return x * x


def pool_map(n):
    with Pool(4) as pool:
        pool.map(square, range(1000))  # warm up: workers started and ready
        items = list(range(n))
        start = time.perf_counter()
        pool.map(square, items)
        return time.perf_counter() - start


def produce(queue, n):
    for i in range(n):
        queue.put(("item", i))


def queue_pairs(n):
    queue = Queue()
    start = time.perf_counter()
    producer = Process(target=produce, args=(queue, n))
    producer.start()
    for _ in range(n):
        queue.get()
    seconds = time.perf_counter() - start
    producer.join()
    return seconds


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    if mode == "pool-map":
        seconds = pool_map(n)
    elif mode == "queue":
        seconds = queue_pairs(n)
    else:
        sys.exit(f"unknown mode {mode!r}: pool-map or queue")
    print(json.dumps({"seconds": seconds}), flush=True)


if __name__ == "__main__":
    main()
