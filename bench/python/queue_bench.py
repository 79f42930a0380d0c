"""Python's multiprocessing.Queue between two processes: a producer puts N items, a consumer gets
them and reports its rate from the first item to the last (the same measure as Forkscope's side).

usage: python3 queue_bench.py N SIZE   (SIZE 0: short strings "m<i>"; otherwise strings of SIZE chars)
"""
import json
import sys
import time
from multiprocessing import Process, Queue


def produce(q, n, size):
    item = "x" * size
    for i in range(n):
        q.put(item if size > 0 else "m%d" % i)


def consume(q, n, out):
    q.get()
    started = time.perf_counter()
    total = 0
    for _ in range(n - 1):
        total += len(q.get())
    seconds = time.perf_counter() - started
    out.put({"perSecond": (n - 1) / seconds, "bytesPerSecond": total / seconds, "seconds": seconds})


if __name__ == "__main__":
    n, size = int(sys.argv[1]), int(sys.argv[2])
    q, out = Queue(), Queue()
    consumer = Process(target=consume, args=(q, n, out))
    producer = Process(target=produce, args=(q, n, size))
    consumer.start()
    producer.start()
    result = out.get()
    producer.join()
    consumer.join()
    print(json.dumps(result))
