"""Patches modules when the program imports them (never earlier: the lens imports nothing extra).

A meta-path finder lets the normal finders find a watched module, then runs the patch right
after the module's own code. Modules imported before the lens started are patched at once.
"""

import functools
import importlib.util
import sys
import threading

from . import channel

_patchers = {}
_busy = set()
_local = threading.local()


def patcher(module_name):
    def register(function):
        _patchers.setdefault(module_name, []).append(function)
        return function

    return register


class internal:
    """Marks multiprocessing's own work (its queues' locks, a pool's plumbing) as not the program's."""

    __slots__ = ()

    def __enter__(self):
        _local.depth = getattr(_local, "depth", 0) + 1

    def __exit__(self, *exc):
        _local.depth -= 1
        return False


INTERNAL = internal()


def in_internal():
    return getattr(_local, "depth", 0) > 0


def wrap(owner, name, make):
    """Replaces owner.name by make(original); keeps name, docstring and staticmethod-ness."""
    try:
        raw = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if raw is None or getattr(raw, "__forkscope_lens__", False):
            return
        static = isinstance(raw, staticmethod)
        original = raw.__func__ if static else raw
        replacement = functools.update_wrapper(make(original), original)
        replacement.__forkscope_lens__ = True
        setattr(owner, name, staticmethod(replacement) if static else replacement)
    except Exception:
        channel.count_error()


def _apply(name, module):
    for patch in _patchers.get(name, ()):
        try:
            patch(module)
        except Exception:
            channel.count_error()


class _Finder:
    def find_spec(self, name, path=None, target=None):
        if name not in _patchers or name in _busy:
            return None
        _busy.add(name)
        try:
            spec = importlib.util.find_spec(name)
        except Exception:
            return None
        finally:
            _busy.discard(name)
        loader = getattr(spec, "loader", None)
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec

        def exec_and_patch(module):
            exec_module(module)
            _apply(name, module)

        try:
            loader.exec_module = exec_and_patch
        except Exception:
            channel.count_error()
        return spec

    # Python 3.8's import system may still ask for this; a finder without it is skipped.
    def invalidate_caches(self):
        pass


def install():
    from . import managers, pools, processes, queues, tracebacks, waits  # noqa: F401  (they register their patchers)

    tracebacks.install()

    sys.meta_path.insert(0, _Finder())
    for name in list(_patchers):
        module = sys.modules.get(name)
        if module is not None:
            _apply(name, module)
    processes.install_audit_hook()
    _flush_before_sleeping()


def _flush_before_sleeping():
    import time

    def make_sleep(sleep):
        def sleep_wrapper(seconds):
            channel.flush_if_waiting()
            return sleep(seconds)

        return sleep_wrapper

    wrap(time, "sleep", make_sleep)
