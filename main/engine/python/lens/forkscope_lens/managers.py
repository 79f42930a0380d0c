"""multiprocessing's managers: the manager's own connections are plumbing; a managed queue's
put and get are the program's.

A Manager().Queue() lives in the manager's server process and is used through proxies, whose
method calls travel over connections of the manager's own. The pipe BaseManager.start makes to
learn the server's address is never reported, nor anything the server process does. A queue
proxy's put, get and task_done (BaseProxy._callmethod) are reported as the queue's, named by the
referent's id in the server (the proxy's token id, the same in every process holding a proxy).
"""

import time

from . import channel
from .channel import emit, emit_item, emit_waited_item
from .patching import INTERNAL, _local, patcher, wrap
from .preview import preview

_state = channel._state

_KINDS = {"Queue": "queue", "JoinableQueue": "joinable"}
_PUTS = frozenset(("put", "put_nowait"))
_GETS = frozenset(("get", "get_nowait"))
_TOLD = _PUTS | _GETS | {"task_done"}
# A call that took longer than this waited (for an item, or for room): told alone, with how long.
_WAITED_MS = 5.0


def _queue_id(proxy):
    """The managed queue's id for the Queues view, announced once per proxy; None if not a queue."""
    cached = proxy.__dict__.get("_forkscope_q")
    if cached is not None:
        return cached or None
    queue_id = 0
    try:
        token = proxy._token
        kind = _KINDS.get(token.typeid)
        if kind is not None:
            # The id is the referent's address in the server, in hex: unique while it lives.
            queue_id = int(token.id, 16)
            emit({"e": "queue.handle", "q": queue_id, "kind": kind, "maxsize": 0, "managed": True})
    except Exception:
        channel.count_error()
    try:
        proxy._forkscope_q = queue_id
    except Exception:
        pass
    return queue_id or None


@patcher("multiprocessing.managers")
def _patch_managers(module):
    def make_start(start):
        def start_wrapper(self, *args, **kwargs):
            # The address pipe and the server's start are the manager's, not the program's.
            with INTERNAL:
                return start(self, *args, **kwargs)

        return start_wrapper

    def make_callmethod(callmethod):
        def callmethod_wrapper(self, methodname, args=(), kwds={}):
            if _state["off"] or getattr(_local, "depth", 0) or methodname not in _TOLD:
                return callmethod(self, methodname, args, kwds)
            queue_id = _queue_id(self)
            if queue_id is None:
                return callmethod(self, methodname, args, kwds)
            if methodname == "task_done":
                result = callmethod(self, methodname, args, kwds)
                emit({"e": "task_done", "q": queue_id})
                return result
            kind = "put" if methodname in _PUTS else "get"
            started = time.monotonic()
            result = callmethod(self, methodname, args, kwds)
            try:
                blocked = (time.monotonic() - started) * 1000.0
                if kind == "get":
                    item = preview(result)
                else:
                    item = preview(args[0] if args else kwds.get("item"))
                if blocked >= _WAITED_MS:
                    emit_waited_item(kind, queue_id, item, blocked)
                else:
                    emit_item(kind, queue_id, item)
            except Exception:
                channel.count_error()
            return result

        return callmethod_wrapper

    wrap(module.BaseManager, "start", make_start)
    wrap(module.BaseProxy, "_callmethod", make_callmethod)
