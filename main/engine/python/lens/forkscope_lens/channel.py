"""One connection per process to the run's lens listener: JSON lines, never blocking.

Events are buffered and sent without blocking; when the listener cannot keep up, at most
MAX_PENDING bytes wait and newer events are dropped and counted, so the program never waits for
Forkscope. Nothing here may raise into the program: every failure is counted instead.

Puts and gets that did not wait, the bulk of a busy queue's traffic, are gathered into one
"items" line per run of the same kind on the same queue (named columns: the previews and each
item's time in µs after the first), so an item costs two list appends here and no line, parse or
schema check of its own on Forkscope's side. Any other event closes the open run first, so the
order of what a process did is kept.
"""

import json
import os
import socket
import sys
import threading
import time

MAX_PENDING = 1 << 20
# Events are sent at most this often unless one is urgent (a wait begins, a task starts or ends).
FLUSH_EVERY = 0.005
# Items in one "items" line at most: a line stays well under the listener's 1 MiB (previews are short).
MAX_ITEMS = 512

_state = {
    "sock": None,
    "endpoint": None,
    "secret": None,
    "off": True,
    "buf": [],
    # The open run of items: [kind, queue, first time (s), µs after it, previews], or None.
    "items": None,
    "pending": b"",
    "last_flush": 0.0,
    "lost": 0,
    "errors": 0,
    "sent_lost": 0,
    "sent_errors": 0,
    "via": "start",
}
# Pools and queues report from their own threads too: one lock keeps each line whole. It is
# re-entrant (a signal handler may emit while its thread is sending) and taken around os.fork,
# so a child never inherits it held.
_lock = threading.RLock()
_encode = json.JSONEncoder(separators=(",", ":"), default=repr, ensure_ascii=False).encode


def _c_encoder():
    """json's C encoder called directly: what JSONEncoder.encode does, without its Python layers."""
    try:
        from json.encoder import c_make_encoder, encode_basestring

        if c_make_encoder is None:
            return None
        return c_make_encoder(None, repr, encode_basestring, None, ":", ",", False, False, False)
    except Exception:
        return None


_c_encode = _c_encoder()


def _dumps(event):
    if _c_encode is not None:
        return "".join(_c_encode(event, 0))
    return _encode(event)


def now_ms():
    return time.time() * 1000.0


def count_error():
    _state["errors"] += 1


def is_on():
    return not _state["off"]


def _connect():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(1.0)
        sock.connect(_state["endpoint"])
        sock.setblocking(False)
    except Exception:
        sock.close()
        raise
    return sock


def _hello(via):
    return {
        "e": "hello",
        "secret": _state["secret"],
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "via": via,
        "t": now_ms(),
        "py": "%d.%d.%d" % sys.version_info[:3],
        "argv": list(sys.argv) if hasattr(sys, "argv") else [],
        "exe": sys.executable,
    }


def open_channel(endpoint, secret):
    _state["endpoint"] = endpoint
    _state["secret"] = secret
    try:
        _state["sock"] = _connect()
    except Exception:
        return False
    _state["off"] = False
    _state["last_flush"] = time.time()
    emit(_hello("start"), urgent=True)
    try:
        os.register_at_fork(before=_before_fork, after_in_parent=_lock.release, after_in_child=_after_fork_in_child)
    except Exception:
        count_error()
    import atexit

    atexit.register(flush)
    return True


def _before_fork():
    _lock.acquire()
    _flush_locked()


def _after_fork_in_child():
    """A forked child has its parent's socket: it opens its own, so each process is one stream."""
    global _lock
    _lock = threading.RLock()
    try:
        old = _state["sock"]
        _state["sock"] = None
        _state["buf"] = []
        _state["items"] = None
        _state["pending"] = b""
        _state["lost"] = _state["errors"] = _state["sent_lost"] = _state["sent_errors"] = 0
        if old is not None:
            try:
                old.close()
            except Exception:
                pass
        if _state["endpoint"] is None:
            return
        _state["sock"] = _connect()
        _state["off"] = False
        _state["last_flush"] = time.time()
        emit(_hello("fork"), urgent=True)
    except Exception:
        _state["off"] = True


def emit(event, urgent=False):
    """Queues one event (a dict with "e"); sends when urgent or when the last send is old enough."""
    if _state["off"]:
        return
    with _lock:
        _emit_locked(event, urgent)


def _full():
    """At most MAX_PENDING bytes wait for the listener: past that an event is dropped and counted."""
    if len(_state["pending"]) >= MAX_PENDING:
        _state["lost"] += 1
        return True
    return False


def _emit_locked(event, urgent):
    try:
        if "t" not in event:
            event["t"] = now_ms()
        if _full():
            return
        if _state["items"] is not None:
            _close_items()
        _state["buf"].append(_dumps(event))
        _flush_if_due(urgent or len(_state["buf"]) >= 512)
    except Exception:
        count_error()


def _flush_if_due(now_too):
    # Due when the interval has passed (or the clock was set back: the interval restarts).
    if now_too or not 0.0 <= time.time() - _state["last_flush"] < FLUSH_EVERY:
        _flush_locked()


def _close_items():
    """The open run of items becomes one line in the buffer (lock held)."""
    kind, queue, first, offsets, previews = _state["items"]
    _state["items"] = None
    _state["buf"].append(_dumps({"e": "items", "kind": kind, "q": queue, "t": first * 1000.0, "us": offsets,
                                 "item": previews}))


def emit_item(kind, queue, item):
    """A put/get that did not wait, the hottest event: it joins the open run of items of its kind
    and queue, two appends; the run becomes a line when anything else is told or at the flush."""
    if _state["off"]:
        return
    with _lock:
        try:
            if _state["pending"] and _full():  # nothing waits unsent, mostly: no call then
                return
            now = time.time()
            run = _state["items"]
            if run is None or run[1] != queue or run[0] != kind:
                if run is not None:
                    _close_items()
                run = _state["items"] = [kind, queue, now, [], []]
            run[3].append(int((now - run[2]) * 1e6))
            run[4].append(item)
            # Due when the interval has passed (or the clock was set back: the interval restarts).
            if len(run[4]) >= MAX_ITEMS or not 0.0 <= now - _state["last_flush"] < FLUSH_EVERY:
                _flush_locked()
        except Exception:
            count_error()


def emit_waited_item(kind, queue, item, blocked):
    """A put/get that waited (rare: it blocked): told alone, with how long, and sent at once."""
    emit({"e": kind, "q": queue, "item": item, "blocked": float(blocked)}, urgent=True)


def flush_if_waiting():
    """Before the process sleeps: what it did so far is shown now, not when it next acts."""
    if _state["buf"] or _state["items"] or _state["pending"] or _state["lost"] != _state["sent_lost"]:
        flush()


def flush():
    with _lock:
        _flush_locked()


def _flush_locked():
    if _state["off"] or _state["sock"] is None:
        return
    try:
        _state["last_flush"] = time.time()
        if _state["items"] is not None:
            _close_items()
        lines = _state["buf"]
        if _state["lost"] != _state["sent_lost"] or _state["errors"] != _state["sent_errors"]:
            lines.append(_dumps({"e": "stats", "t": now_ms(), "lost": _state["lost"], "errors": _state["errors"]}))
            _state["sent_lost"] = _state["lost"]
            _state["sent_errors"] = _state["errors"]
        if lines:
            _state["buf"] = []
            data = _state["pending"] + ("\n".join(lines) + "\n").encode("utf-8", "replace")
        else:
            data = _state["pending"]
        if not data:
            return
        try:
            sent = _state["sock"].send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        _state["pending"] = data[sent:]
    except OSError:
        # The listener is gone (Forkscope stopped watching): switch off for good.
        _state["off"] = True
    except Exception:
        count_error()
