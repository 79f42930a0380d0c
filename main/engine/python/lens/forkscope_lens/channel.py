"""One connection per process to the run's lens listener: JSON lines, never blocking.

Events are buffered and sent without blocking; when the listener cannot keep up, at most
MAX_PENDING bytes wait and newer events are dropped and counted, so the program never waits for
Forkscope. Nothing here may raise into the program: every failure is counted instead.
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

_state = {
    "sock": None,
    "endpoint": None,
    "secret": None,
    "off": True,
    "buf": [],
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
    _state["last_flush"] = time.monotonic()
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
        _state["last_flush"] = time.monotonic()
        emit(_hello("fork"), urgent=True)
    except Exception:
        _state["off"] = True


def emit(event, urgent=False):
    """Queues one event (a dict with "e"); sends when urgent or when the last send is old enough."""
    if _state["off"]:
        return
    with _lock:
        _emit_locked(event, urgent)


def _emit_locked(event, urgent):
    try:
        if "t" not in event:
            event["t"] = now_ms()
        if len(_state["pending"]) >= MAX_PENDING:
            _state["lost"] += 1
            return
        _state["buf"].append(_dumps(event))
        if urgent or time.monotonic() - _state["last_flush"] >= FLUSH_EVERY or len(_state["buf"]) >= 512:
            _flush_locked()
    except Exception:
        count_error()


try:
    from json.encoder import encode_basestring as _quote
except Exception:  # pragma: no cover - every CPython has it
    _quote = json.dumps


def emit_item(kind, queue, item, blocked, urgent):
    """A put/get/send/recv, the hottest event: one line formatted by hand, no dict, no encoder."""
    if _state["off"]:
        return
    with _lock:
        try:
            if len(_state["pending"]) >= MAX_PENDING:
                _state["lost"] += 1
                return
            _state["buf"].append(
                '{"e":"%s","q":%d,"item":%s,"blocked":%r,"t":%r}'
                % (kind, queue, _quote(item), float(blocked), time.time() * 1000.0)
            )
            if urgent or time.monotonic() - _state["last_flush"] >= FLUSH_EVERY or len(_state["buf"]) >= 512:
                _flush_locked()
        except Exception:
            count_error()


def flush_if_waiting():
    """Before the process sleeps: what it did so far is shown now, not when it next acts."""
    if _state["buf"] or _state["pending"] or _state["lost"] != _state["sent_lost"]:
        flush()


def flush():
    with _lock:
        _flush_locked()


def _flush_locked():
    if _state["off"] or _state["sock"] is None:
        return
    try:
        _state["last_flush"] = time.monotonic()
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
