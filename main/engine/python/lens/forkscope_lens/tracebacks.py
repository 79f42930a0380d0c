"""Keeps the lens's own frames out of every traceback a program prints.

A wrapper is a Python frame: an exception raised through it (Popen's FileNotFoundError, a Queue's
Empty) would show one more "File ..." line. Tracebacks are printed by sys.excepthook and
threading.excepthook (uncaught) or by the traceback module (print_exc, logging, multiprocessing's
own reports); each is given the chain with the lens's frames unlinked, so the text is Python's own.
"""

import os
import sys
import threading

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _ours(tb):
    return tb.tb_frame.f_code.co_filename.startswith(_HERE)


def strip(tb):
    """Unlinks the lens's frames from a traceback chain, in place; returns its new head."""
    while tb is not None and _ours(tb):
        tb = tb.tb_next
    head = tb
    while tb is not None:
        following = tb.tb_next
        while following is not None and _ours(following):
            following = following.tb_next
        if following is not tb.tb_next:
            tb.tb_next = following
        tb = following
    return head


def strip_exception(error, seen=None):
    seen = set() if seen is None else seen
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        error.__traceback__ = strip(error.__traceback__)
        for inner in getattr(error, "exceptions", ()) or ():
            strip_exception(inner, seen)
        if error.__cause__ is not None:
            strip_exception(error.__cause__, seen)
        error = error.__context__


def _generator_filter(walk):
    def walk_without_lens(tb, *args, **kwargs):
        return walk(strip(tb), *args, **kwargs)

    return walk_without_lens


def install():
    from .patching import patcher, wrap

    if sys.excepthook is sys.__excepthook__:
        original = sys.excepthook

        def excepthook(kind, value, tb):
            try:
                strip_exception(value)
                tb = strip(tb)
            except Exception:
                pass
            return original(kind, value, tb)

        sys.excepthook = excepthook
    original_thread_hook = getattr(threading, "excepthook", None)
    if original_thread_hook is not None and original_thread_hook is getattr(threading, "__excepthook__", None):

        def thread_excepthook(args):
            try:
                strip_exception(args.exc_value)
                strip(args.exc_traceback)
            except Exception:
                pass
            return original_thread_hook(args)

        threading.excepthook = thread_excepthook

    @patcher("traceback")
    def _patch_traceback(module):
        for name in ("walk_tb", "_walk_tb_with_full_positions"):
            if hasattr(module, name):
                wrap(module, name, _generator_filter)
