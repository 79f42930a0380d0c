"""Where the Python lens's time goes in the queue case of bench/lens.bench.ts (not run by the bench).

    python3 bench/python/lens_profile.py [N]

Without Forkscope: a sink (a separate process that accepts the lens's connections and discards
what they send) stands for the engine's listener, so the figures are the lens's cost in the
program's own processes, not the engine's work of reading the events on the same cores.
Prints, for N Queue put/get pairs between two processes (lens_programs.py queue):
  1. the in-program time with the lens off and with the lens sending to the sink (median of 5);
  2. the cost of each step of a reported put/get, one at a time, in this process (µs per call);
  3. the consumer's top functions under cProfile with the lens on;
  4. the syscalls of the whole program with the lens off and on (strace -c -f), when strace exists.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LENS = os.path.join(ROOT, "main", "engine", "python", "lens")
PROGRAM = os.path.join(HERE, "lens_programs.py")


def sink(path):
    """Accepts every connection and reads it to the end (a selector loop in its own process)."""
    import selectors

    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    server.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(server, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in selector.select():
            if key.fileobj is server:
                conn, _ = server.accept()
                conn.setblocking(False)
                selector.register(conn, selectors.EVENT_READ)
            else:
                try:
                    data = key.fileobj.recv(1 << 16)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(key.fileobj)
                    key.fileobj.close()


def lens_env(path):
    env = dict(os.environ)
    env["PYTHONPATH"] = LENS
    env["FORKSCOPE_LENS"] = path
    env["FORKSCOPE_LENS_SECRET"] = "bench"
    return env


def run_queue(n, env):
    out = subprocess.run([sys.executable, PROGRAM, "queue", str(n)], env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def micro():
    """In a process started with the lens on: µs per call of each step of a reported put and get."""
    import timeit
    from multiprocessing import Queue

    from forkscope_lens import channel, preview, queues

    assert channel.is_on(), "the lens did not start"
    item = ("item", 12345)
    event = {"e": "put", "q": 123456, "item": "('item', 12345)", "blocked": 0.0}
    queue = Queue()
    queue.put(item)
    time.sleep(0.05)
    number = 20000

    def per_call(statement):
        return min(timeit.repeat(statement, number=number, repeat=3)) / number * 1e6

    rows = {
        "preview(item) (reprlib)": per_call(lambda: preview.preview(item)),
        "json encode of one event": per_call(lambda: channel._dumps(event)),
        "time.time() + time.monotonic()": per_call(lambda: (time.time(), time.monotonic())),
        "emit_item(put) (joins the open items line)": per_call(lambda: channel.emit_item("put", 123456, event["item"])),
        "emit(event) (queued, sent every 5 ms)": per_call(lambda: channel.emit(dict(event))),
        "emit(event, urgent=True) (one send each)": per_call(lambda: channel.emit(dict(event), urgent=True)),
        "queue._poll() (Connection.poll: a selector each call)": per_call(lambda: queue._poll()),
        "_would_block_on_get(queue) (one poll object per queue)": per_call(lambda: queues._would_block_on_get(queue)),
        "queue.full() (would put block?)": per_call(lambda: queue.full()),
        "in_internal() (thread-local)": per_call(queues.in_internal),
        "_announce(queue) (cached inode)": per_call(lambda: queues._announce(queue)),
    }

    def put_get():
        queue.put(item)
        queue.get()

    rows["put+get in one process, lens on"] = per_call(put_get)
    channel._state["off"] = True  # the wrappers' fast path: what the same calls cost unreported
    rows["put+get in one process, lens switched off (wrappers still in place)"] = per_call(put_get)
    for name, value in rows.items():
        print("  %-70s %7.2f µs" % (name, value))


def profile_consumer(n):
    """The consumer side of lens_programs.py queue under cProfile (the lens is on in this process)."""
    import cProfile
    import pstats
    from multiprocessing import Process, Queue

    sys.path.insert(0, HERE)
    import lens_programs

    queue = Queue()
    producer = Process(target=lens_programs.produce, args=(queue, n))
    producer.start()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        queue.get()
    profiler.disable()
    producer.join()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(14)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--sink":
        sink(sys.argv[2])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--micro":
        micro()
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--profile":
        profile_consumer(int(sys.argv[2]))
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    folder = tempfile.mkdtemp(prefix="forkscope-lens-profile-")
    path = os.path.join(folder, "sink.sock")
    listener = subprocess.Popen([sys.executable, __file__, "--sink", path], stdout=subprocess.PIPE, text=True)
    try:
        listener.stdout.readline()
        off = median([run_queue(n, dict(os.environ)) for _ in range(5)])
        on = median([run_queue(n, lens_env(path)) for _ in range(5)])
        print("1. Queue × %d put/get, in-program: lens off %.1f ms, lens on (to a sink) %.1f ms: %.2f×, +%.1f µs a pair"
              % (n, off * 1e3, on * 1e3, on / off, (on - off) / n * 1e6))
        print("2. Steps of a reported put/get (this process, lens on, µs per call):", flush=True)
        subprocess.run([sys.executable, __file__, "--micro"], env=lens_env(path), check=True)
        print("3. The consumer under cProfile, lens on:", flush=True)
        subprocess.run([sys.executable, __file__, "--profile", str(n)], env=lens_env(path), check=True)
        if shutil.which("strace"):
            for label, env in (("off", dict(os.environ)), ("on", lens_env(path))):
                print("4. Syscalls, lens %s (strace -c -f):" % label, flush=True)
                result = subprocess.run(["strace", "-c", "-f", "-o", "/dev/stdout", sys.executable, PROGRAM, "queue",
                                         str(n)], env=env, capture_output=True, text=True)
                lines = result.stdout.splitlines()
                print("\n".join("  " + line for line in lines[:12]), flush=True)
    finally:
        listener.kill()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
