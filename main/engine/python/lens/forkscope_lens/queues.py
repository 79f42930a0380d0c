"""multiprocessing's Queue, JoinableQueue, SimpleQueue and Pipe: every put, get, send and recv.

A queue is named by the inode of its pipe, the same in every process that holds it whatever the
start method, so nothing is added to what is pickled. Queues that multiprocessing uses for its own
plumbing (a pool's task and result queues) are marked internal and never reported.
"""

import os
import select
import time

from . import channel
from .channel import emit, emit_item, emit_waited_item
from .patching import INTERNAL, _local, in_internal, patcher, wrap
from .preview import preview

_state = channel._state

_queue_types = ()
_connection_type = None


def _inode(connection):
    return os.fstat(connection.fileno()).st_ino


def pipe_inode(queue):
    """The identity of a queue (or a pool's task queue) across processes: its pipe's inode."""
    cached = getattr(queue, "_forkscope_id", None)
    if cached is not None:
        return cached
    for end in ("_reader", "_writer"):
        try:
            inode = _inode(getattr(queue, end))
            try:
                queue._forkscope_id = inode
            except Exception:
                pass
            return inode
        except Exception:
            continue
    return None


def mark_internal(value):
    if isinstance(value, _queue_types):
        try:
            value._forkscope_internal = True
        except Exception:
            pass


def _watched(queue):
    return channel.is_on() and not in_internal() and not getattr(queue, "_forkscope_internal", False)


def _kind(queue):
    name = type(queue).__name__
    return "joinable" if "Joinable" in name else "simple" if "Simple" in name else "queue"


def _announce(queue):
    """Tells the listener once per process what a queue is (kind, maxsize) before its first event.
    Its inode is then kept in _forkscope_q: a put or get finds it there, announced, in one look."""
    inode = pipe_inode(queue)
    if inode is not None and getattr(queue, "_forkscope_q", None) is None:
        try:
            queue._forkscope_q = inode
        except Exception:
            pass
        emit({"e": "queue.handle", "q": inode, "kind": _kind(queue), "maxsize": getattr(queue, "_maxsize", 0) or 0})
    return inode


def note_handle(value):
    """A Process's argument: a queue or pipe end the child now holds."""
    if isinstance(value, _queue_types) and not getattr(value, "_forkscope_internal", False):
        _announce(value)
    elif _connection_type is not None and isinstance(value, _connection_type):
        _announce_end(value)


def _would_block_on_put(queue):
    try:
        return queue._maxsize > 0 and queue.full()
    except Exception:
        return False


# What Queue(maxsize=0) stores as its maxsize: such a queue is never full, and a put never asks.
# Read from multiprocessing when it is imported (the lens imports nothing early); until then, or
# if it cannot be read, every queue with a maxsize asks.
_UNBOUNDED = float("inf")


def _would_block_on_get(queue):
    """Nothing to read yet. One poll object per queue: Connection.poll builds a selector per call."""
    try:
        poller = queue.__dict__.get("_forkscope_poller")
        if poller is None:
            poller = select.poll()
            poller.register(queue._reader.fileno(), select.POLLIN)
            queue._forkscope_poller = poller
        return not poller.poll(0)
    except Exception:
        return False


def _reported(queue):
    """The queue's id when its put/get is the program's and the lens is on, else None. The hot
    path of every put and get: a few lookups, no call, once the queue is announced."""
    if _state["off"] or getattr(_local, "depth", 0) or getattr(queue, "_forkscope_internal", False):
        return None
    inode = getattr(queue, "_forkscope_q", None)
    return inode if inode is not None else _announce(queue)


def _timed(queue, kind, waiting, call, *args, **kwargs):
    """Runs a put/get/join; a wait is told before it starts. Returns (result, inode, blocked ms)."""
    inode = _announce(queue)
    if not waiting:
        return call(*args, **kwargs), inode, 0.0
    started = time.monotonic()
    emit({"e": "wait", "kind": kind, "what": "%s.%s" % (type(queue).__name__, kind), "q": inode}, urgent=True)
    try:
        result = call(*args, **kwargs)
    except BaseException as error:
        emit({"e": "wait.end", "kind": kind, "q": inode, "outcome": type(error).__name__}, urgent=True)
        raise
    return result, inode, (time.monotonic() - started) * 1000.0


@patcher("multiprocessing.queues")
def _patch_queues(module):
    global _queue_types, _UNBOUNDED
    try:
        _UNBOUNDED = module._multiprocessing.SemLock.SEM_VALUE_MAX
    except Exception:
        channel.count_error()
    _queue_types = tuple(t for t in (getattr(module, "Queue", None), getattr(module, "SimpleQueue", None)) if t)

    def make_constructor(init):
        def init_wrapper(self, *args, **kwargs):
            # Made by multiprocessing itself (a pool's plumbing), not by the program. The outermost
            # constructor decides: JoinableQueue.__init__ calls Queue.__init__ inside it.
            made_inside = in_internal()
            with INTERNAL:
                init(self, *args, **kwargs)
            self._forkscope_internal = made_inside

        return init_wrapper

    # multiprocessing's queues take only their own locks here, which the lens never taps: no
    # INTERNAL marking is needed on this hot path.
    def make_put(put):
        def put_wrapper(self, obj, *args, **kwargs):
            inode = _reported(self)
            if inode is None:
                return put(self, obj, *args, **kwargs)
            if (
                (args[0] if args else kwargs.get("block", True))
                and getattr(self, "_maxsize", _UNBOUNDED) < _UNBOUNDED
                and _would_block_on_put(self)
            ):
                result, inode, blocked = _timed(self, "put", True, put, self, obj, *args, **kwargs)
                emit_waited_item("put", inode, preview(obj), blocked)
                return result
            result = put(self, obj, *args, **kwargs)
            emit_item("put", inode, preview(obj))
            return result

        return put_wrapper

    def make_get(get):
        def get_wrapper(self, *args, **kwargs):
            inode = _reported(self)
            if inode is None:
                return get(self, *args, **kwargs)
            if (args[0] if args else kwargs.get("block", True)) and _would_block_on_get(self):
                item, inode, blocked = _timed(self, "get", True, get, self, *args, **kwargs)
                emit_waited_item("get", inode, preview(item), blocked)
                return item
            item = get(self, *args, **kwargs)
            emit_item("get", inode, preview(item))
            return item

        return get_wrapper

    def make_task_done(task_done):
        def task_done_wrapper(self):
            if _watched(self):
                emit({"e": "task_done", "q": _announce(self)})
            with INTERNAL:
                return task_done(self)

        return task_done_wrapper

    def make_join(join):
        def join_wrapper(self):
            if not _watched(self):
                with INTERNAL:
                    return join(self)

            try:
                waiting = not self._unfinished_tasks._semlock._is_zero()
            except Exception:
                waiting = True
            result, inode, _blocked = _timed(self, "join", waiting, join, self)
            if waiting:
                emit({"e": "wait.end", "kind": "join", "q": inode}, urgent=True)
            return result

        return join_wrapper

    def make_setstate(setstate):
        def setstate_wrapper(self, state):
            setstate(self, state)
            from .waits import untap_locks

            untap_locks(self)

        return setstate_wrapper

    for cls in _queue_types + tuple(t for t in (getattr(module, "JoinableQueue", None),) if t):
        for name, make in (("__init__", make_constructor), ("put", make_put), ("get", make_get),
                           ("__setstate__", make_setstate)):
            if name in cls.__dict__:
                wrap(cls, name, make)
    joinable = getattr(module, "JoinableQueue", None)
    if joinable is not None:
        wrap(joinable, "task_done", make_task_done)
        wrap(joinable, "join", make_join)


def _announce_end(connection):
    if getattr(connection, "_forkscope_end", None) is None:
        try:
            connection._forkscope_end = _inode(connection)
        except Exception:
            return None
    return connection._forkscope_end


@patcher("multiprocessing.connection")
def _patch_connection(module):
    global _connection_type
    _connection_type = getattr(module, "Connection", None)

    def make_pipe(pipe):
        def pipe_wrapper(*args, **kwargs):
            ends = pipe(*args, **kwargs)
            if channel.is_on() and not in_internal():
                inodes = [_announce_end(end) for end in ends]
                duplex = args[0] if args else kwargs.get("duplex", True)
                emit({"e": "pipe.new", "ends": inodes, "duplex": bool(duplex)})
            return ends

        return pipe_wrapper

    def make_send(send):
        def send_wrapper(self, obj):
            end = getattr(self, "_forkscope_end", None)
            if end is not None and channel.is_on():
                emit({"e": "send", "end": end, "item": preview(obj)})
            return send(self, obj)

        return send_wrapper

    def make_recv(recv):
        def recv_wrapper(self):
            end = getattr(self, "_forkscope_end", None)
            if end is None or not channel.is_on():
                return recv(self)
            try:
                waiting = not self.poll()
            except Exception:
                waiting = False
            started = time.monotonic()
            if waiting:
                emit({"e": "wait", "kind": "recv", "what": "Connection.recv", "end": end}, urgent=True)
            try:
                item = recv(self)
            except BaseException as error:
                if waiting:
                    emit({"e": "wait.end", "kind": "recv", "end": end, "outcome": type(error).__name__}, urgent=True)
                raise
            emit({"e": "recv", "end": end, "item": preview(item),
                  "blocked": (time.monotonic() - started) * 1000.0 if waiting else 0.0}, urgent=waiting)
            return item

        return recv_wrapper

    wrap(module, "Pipe", make_pipe)
    if _connection_type is not None:
        wrap(_connection_type, "send", make_send)
        wrap(_connection_type, "recv", make_recv)
