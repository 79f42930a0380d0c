"""Forkscope's Python lens, loaded at interpreter start through PYTHONPATH.

It reports what multiprocessing, concurrent.futures and subprocess do to the Forkscope run that
started this interpreter, and never changes what the program does or prints. A program's own
sitecustomize (which this file shadows on sys.path) is run right after, as Python would have.
"""


def _start_lens():
    try:
        import forkscope_lens

        forkscope_lens.start()
    except Exception:  # the lens must never stop a program from starting
        pass


def _run_shadowed_sitecustomize():
    import importlib.machinery
    import importlib.util
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


_start_lens()
_run_shadowed_sitecustomize()
