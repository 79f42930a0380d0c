"""Waits on multiprocessing's Lock, RLock, Semaphore, Event, Condition and Barrier.

A lock acquire is first tried without blocking (the same outcome as a blocking acquire that
succeeds at once); only when that fails is a wait reported, so an uncontended lock costs one
event at most. Locks that belong to multiprocessing's own queues are left untouched.
"""

from . import channel
from .channel import emit
from .patching import INTERNAL, in_internal, patcher, wrap


def _lock_id(lock):
    semlock = getattr(lock, "_semlock", None)
    name = getattr(semlock, "name", None)
    return name if name else getattr(semlock, "handle", id(lock))


def _tap(lock):
    semlock = lock._semlock
    acquire_now = semlock.acquire
    kind = type(lock).__name__
    ident = _lock_id(lock)

    def acquire(block=True, timeout=None):
        if in_internal() or not channel.is_on():
            return acquire_now(block, timeout)
        if acquire_now(False):
            emit({"e": "lock.held", "lock": ident, "kind": kind}, urgent=True)
            return True
        if not block:
            return False
        emit({"e": "wait", "kind": "lock", "what": "%s.acquire" % kind, "lock": ident}, urgent=True)
        got = False
        try:
            got = acquire_now(True, timeout)
            return got
        finally:
            emit({"e": "wait.end", "kind": "lock", "lock": ident, "outcome": "acquired" if got else "timeout"},
                 urgent=True)
            if got:
                emit({"e": "lock.held", "lock": ident, "kind": kind}, urgent=True)

    release_now = semlock.release

    def release():
        if in_internal() or not channel.is_on():
            return release_now()
        # Whoever this wakes may act at once (even kill this process): what came before is sent first.
        emit({"e": "lock.released", "lock": ident}, urgent=True)
        return release_now()

    lock.acquire = acquire
    lock.release = release


def untap_locks(owner):
    """Locks that arrived inside a queue's pickled state are the queue's own: plain again."""
    for value in list(vars(owner).values()):
        semlock = getattr(value, "_semlock", None)
        if semlock is not None:
            try:
                value.acquire = semlock.acquire
                value.release = semlock.release
            except Exception:
                channel.count_error()


@patcher("multiprocessing.synchronize")
def _patch_synchronize(module):
    semlock_class = module.SemLock

    def make_methods(original):
        def make_methods_wrapper(self):
            original(self)
            if not in_internal() and channel.is_on():
                try:
                    _tap(self)
                except Exception:
                    channel.count_error()

        return make_methods_wrapper

    def make_enter(_enter):
        def enter_wrapper(self):
            return self.acquire()

        return enter_wrapper

    def make_exit(_exit):
        def exit_wrapper(self, *args):
            return self.release()

        return exit_wrapper

    def make_constructor(init):
        def init_wrapper(self, *args, **kwargs):
            with INTERNAL:
                init(self, *args, **kwargs)

        return init_wrapper

    def make_wait(wait, what):
        def wait_wrapper(self, *args, **kwargs):
            if in_internal() or not channel.is_on():
                return wait(self, *args, **kwargs)
            emit({"e": "wait", "kind": "event", "what": what, "obj": id(self)}, urgent=True)
            try:
                with INTERNAL:
                    return wait(self, *args, **kwargs)
            finally:
                emit({"e": "wait.end", "kind": "event"}, urgent=True)

        return wait_wrapper

    def make_quiet(method):
        def quiet_wrapper(self, *args, **kwargs):
            with INTERNAL:
                return method(self, *args, **kwargs)

        return quiet_wrapper

    def make_waking(method):
        """Event.set, Condition.notify: the woken process may act at once (even kill this one)."""

        def waking_wrapper(self, *args, **kwargs):
            channel.flush_if_waiting()
            with INTERNAL:
                return method(self, *args, **kwargs)

        return waking_wrapper

    wrap(semlock_class, "_make_methods", make_methods)
    wrap(semlock_class, "__enter__", make_enter)
    wrap(semlock_class, "__exit__", make_exit)
    for class_name in ("Condition", "Event", "Barrier"):
        cls = getattr(module, class_name, None)
        if cls is None:
            continue
        if "__init__" in cls.__dict__:
            wrap(cls, "__init__", make_constructor)
        if "wait" in cls.__dict__:
            wrap(cls, "wait", lambda method, name=class_name: make_wait(method, name + ".wait"))
        for name in ("clear", "is_set", "__setstate__", "wait_for"):
            if name in cls.__dict__:
                wrap(cls, name, make_quiet)
        for name in ("set", "notify", "notify_all"):
            if name in cls.__dict__:
                wrap(cls, name, make_waking)
    barrier = getattr(module, "Barrier", None)
    if barrier is not None and "wait" not in barrier.__dict__:
        # multiprocessing.Barrier inherits threading.Barrier.wait: wrap it on the subclass only.
        import threading

        wrap_target = threading.Barrier.wait
        barrier.wait = make_wait(wrap_target, "Barrier.wait")
