"""Process lifecycles: multiprocessing.Process, subprocess.Popen, and the audit events of os."""

import os
import sys
import threading

from . import channel
from .channel import emit
from .patching import patcher, wrap
from .preview import exception_info, function_name, preview

_context = threading.local()
# Processes whose arguments are multiprocessing's own queues (pool workers): not the program's handles.
_PLUMBING = frozenset(("multiprocessing.pool", "multiprocessing.managers", "concurrent.futures.process"))
_WATCHED = frozenset(("os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.kill", "os.killpg", "subprocess.Popen"))


def _argv(args):
    try:
        if isinstance(args, (str, bytes)):
            return [os.fsdecode(args)]
        return [os.fsdecode(arg) if isinstance(arg, (bytes, str)) else str(arg) for arg in list(args)[:64]]
    except Exception:
        return [preview(args)]


def _audit(event, args):
    if event not in _WATCHED:
        return
    try:
        if event == "os.kill" or event == "os.killpg":
            emit(
                {"e": "signal", "target": int(args[0]), "sig": int(args[1]), "group": event == "os.killpg",
                 "via": getattr(_context, "via", None)},
                urgent=True,
            )
        elif event == "subprocess.Popen":
            _context.popen = {"argv": _argv(args[1]), "cwd": os.fsdecode(args[2]) if args[2] else None}
        elif event == "os.exec" or event == "os.posix_spawn":
            emit({"e": "exec" if event == "os.exec" else "posix_spawn", "argv": _argv(args[1])}, urgent=True)
        else:
            emit({"e": "fork"}, urgent=True)
    except Exception:
        channel.count_error()


def install_audit_hook():
    if hasattr(sys, "addaudithook"):
        sys.addaudithook(_audit)


def _start_method(process):
    popen = getattr(process, "_popen", None)
    return getattr(popen, "method", None) or getattr(process, "_start_method", None)


def _handles_in(values):
    """Queues and pipe ends among a Process's arguments: the child holds them."""
    from . import queues

    for value in values:
        try:
            queues.note_handle(value)
        except Exception:
            channel.count_error()


@patcher("multiprocessing.process")
def _patch_process(module):
    base = module.BaseProcess

    def make_start(start):
        def start_wrapper(self):
            # start() forgets the target (so the parent holds no reference): name it first.
            target = function_name(getattr(self, "_target", None))
            start(self)
            try:
                emit(
                    {"e": "proc.start", "child": self.pid, "name": self.name, "target": target,
                     "method": _start_method(self), "daemon": bool(self.daemon)},
                    urgent=True,
                )
            except Exception:
                channel.count_error()

        return start_wrapper

    def make_join(join):
        def join_wrapper(self, timeout=None):
            popen = getattr(self, "_popen", None)
            waiting = popen is not None and popen.returncode is None and channel.is_on()
            if waiting:
                emit({"e": "wait", "kind": "join", "what": "Process.join", "on": self.pid, "timeout": timeout}, urgent=True)
            try:
                return join(self, timeout)
            finally:
                if waiting:
                    emit({"e": "wait.end", "kind": "join"})

        return join_wrapper

    def make_signal(method, via):
        def signal_wrapper(self):
            _context.via = via
            try:
                return method(self)
            finally:
                _context.via = None

        return signal_wrapper

    def make_bootstrap(bootstrap):
        def bootstrap_wrapper(self, *args, **kwargs):
            try:
                emit({"e": "proc.run", "name": self.name, "target": function_name(self._target)}, urgent=True)
                if getattr(self._target, "__module__", None) not in _PLUMBING:
                    _handles_in(list(self._args) + list(self._kwargs.values()))
            except Exception:
                channel.count_error()
            code = None
            try:
                code = bootstrap(self, *args, **kwargs)
                return code
            finally:
                emit({"e": "proc.end", "code": code}, urgent=True)

        return bootstrap_wrapper

    wrap(base, "start", make_start)
    wrap(base, "join", make_join)
    wrap(base, "terminate", lambda method: make_signal(method, "Process.terminate"))
    if "kill" in base.__dict__:
        wrap(base, "kill", lambda method: make_signal(method, "Process.kill"))
    wrap(base, "_bootstrap", make_bootstrap)


def _make_poll(poll):
    """The moment multiprocessing learns a child's exit code (join, is_alive, exitcode, at exit)."""

    def poll_wrapper(self, *args, **kwargs):
        known = self.returncode is not None
        result = poll(self, *args, **kwargs)
        if not known and self.returncode is not None:
            emit({"e": "proc.exit", "child": self.pid, "code": self.returncode}, urgent=True)
        return result

    return poll_wrapper


@patcher("multiprocessing.popen_fork")
def _patch_popen_fork(module):
    wrap(module.Popen, "poll", _make_poll)


@patcher("multiprocessing.popen_forkserver")
def _patch_popen_forkserver(module):
    if "poll" in module.Popen.__dict__:
        wrap(module.Popen, "poll", _make_poll)


@patcher("subprocess")
def _patch_subprocess(module):
    popen = module.Popen

    def make_init(init):
        def init_wrapper(self, args, *rest, **kwargs):
            _context.popen = None
            try:
                init(self, args, *rest, **kwargs)
            except OSError as error:
                asked = getattr(_context, "popen", None) or {"argv": _argv(args), "cwd": kwargs.get("cwd")}
                emit({"e": "popen.fail", "argv": asked["argv"], "cwd": asked["cwd"], "error": exception_info(error),
                      "errno": getattr(error, "errno", None)}, urgent=True)
                raise
            asked = getattr(_context, "popen", None) or {"argv": _argv(args), "cwd": kwargs.get("cwd")}
            emit({"e": "popen", "child": self.pid, "argv": asked["argv"], "cwd": asked["cwd"]}, urgent=True)

        return init_wrapper

    def make_wait(wait):
        def wait_wrapper(self, timeout=None):
            waiting = self.returncode is None and channel.is_on()
            if waiting:
                emit({"e": "wait", "kind": "child", "what": "Popen.wait", "on": self.pid}, urgent=True)
            try:
                return wait(self, timeout)
            finally:
                if waiting:
                    emit({"e": "wait.end", "kind": "child"})
                if self.returncode is not None and not getattr(self, "_forkscope_exit_told", False):
                    self._forkscope_exit_told = True
                    emit({"e": "popen.exit", "child": self.pid, "code": self.returncode}, urgent=True)

        return wait_wrapper

    wrap(popen, "__init__", make_init)
    wrap(popen, "wait", make_wait)


def _exit_code(status):
    """A wait status as Python's os.waitstatus_to_exitcode says it: the code, or -signal; None
    for a child that only stopped or continued (WUNTRACED, WCONTINUED)."""
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return None


def _tell_reaped(pid, code):
    if pid > 0 and code is not None:
        emit({"e": "reaped", "child": pid, "code": code})


def _make_reaper(wait):
    """os.wait, waitpid, wait3, wait4: (pid, status, …), pid 0 when WNOHANG found nothing. The
    result and any exception are the original's, untouched."""

    def reaper_wrapper(*args, **kwargs):
        result = wait(*args, **kwargs)
        try:
            _tell_reaped(result[0], _exit_code(result[1]))
        except Exception:
            channel.count_error()
        return result

    return reaper_wrapper


def _make_waitid(waitid):
    """os.waitid: a result with si_pid, si_code, si_status, or None when WNOHANG found nothing."""

    def waitid_wrapper(*args, **kwargs):
        result = waitid(*args, **kwargs)
        try:
            if result is not None:
                if result.si_code == os.CLD_EXITED:
                    _tell_reaped(result.si_pid, result.si_status)
                elif result.si_code in (os.CLD_KILLED, os.CLD_DUMPED):
                    _tell_reaped(result.si_pid, -result.si_status)
        except Exception:
            channel.count_error()
        return result

    return waitid_wrapper


@patcher("os")
def _patch_os(module):
    # A bare os.fork child's exit code is known only to the parent that collects it: every wait
    # function is watched (multiprocessing and subprocess collect theirs through os.waitpid too).
    for name in ("wait", "waitpid", "wait3", "wait4"):
        wrap(module, name, _make_reaper)
    wrap(module, "waitid", _make_waitid)
