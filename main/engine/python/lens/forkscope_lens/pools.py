"""multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor: pools, workers and tasks.

The parent reports the pool, its workers and each submitted task; each worker reports the tasks
it starts and finishes. Both name the pool by the inode of its task pipe, which every process of
the pool shares whatever the start method, so no identifier has to travel inside the pickles.
"""

from . import channel
from .channel import emit
from .patching import INTERNAL, patcher, wrap
from .preview import args_preview, exception_info, function_name, items_preview, preview
from .queues import mark_internal, pipe_inode


def _pids(processes):
    try:
        return [process.pid for process in processes]
    except Exception:
        return []


def _mark_plumbing(owner):
    for value in list(vars(owner).values()):
        mark_internal(value)


class _Tap:
    """Stands for one of a worker's queues: everything passes through, some calls are told."""

    def __init__(self, target, on_get=None, on_put=None):
        self._fs_target = target
        self._fs_on_get = on_get
        self._fs_on_put = on_put

    def __getattr__(self, name):
        return getattr(self._fs_target, name)

    def get(self, *args, **kwargs):
        item = self._fs_target.get(*args, **kwargs)
        if self._fs_on_get is not None:
            try:
                self._fs_on_get(item)
            except Exception:
                channel.count_error()
        return item

    def put(self, item, *args, **kwargs):
        if self._fs_on_put is not None:
            try:
                self._fs_on_put(item)
            except Exception:
                channel.count_error()
        return self._fs_target.put(item, *args, **kwargs)


def _call(name, args, kwargs=None):
    given = args_preview(args, kwargs)
    label = "%s(%s)" % (name, given)
    return label if len(label) <= 200 else label[:199] + "…", given


def _task_of(function, args, kwargs):
    """What a task calls, its label and what it was given (its arguments, or a chunk's items): a
    map chunk (mapstar, _process_chunk) is named by the function it maps."""
    name = function_name(function)
    if name in ("mapstar", "starmapstar") and args and isinstance(args[0], tuple) and len(args[0]) == 2:
        mapped, chunk = args[0]
        items = len(chunk) if hasattr(chunk, "__len__") else None
        given = items_preview(chunk) if items is not None else None
        return function_name(mapped), items, "%s × %s" % (function_name(mapped), items), given
    if name == "_process_chunk":
        mapped = getattr(function, "args", (None,))[0] or getattr(function, "keywords", {}).get("fn")
        chunk = args[0] if args else ()
        items = len(chunk) if hasattr(chunk, "__len__") else None
        first = chunk[0] if items else ()
        label, given = _call(function_name(mapped), tuple(first))
        # A chunk of several calls: each call's arguments, as a tuple.
        return function_name(mapped), items, label, given if items == 1 else items_preview(chunk)
    label, given = _call(name, tuple(args), kwargs)
    return name, None, label, given


def _outcome(ok, value, wrapped_error=None):
    if ok:
        return {"ok": True, "result": preview(value)}
    error = getattr(wrapped_error, "exc", wrapped_error)
    tb = getattr(wrapped_error, "tb", None)
    info = exception_info(error, tb if isinstance(tb, str) else None)
    return {"ok": False, "error": info}


def _tapped_worker(worker, read_task, read_result):
    """A pool worker's main function, with its task and result queues tapped: each task it takes
    and each result it sends is told. `read_task` and `read_result` know the pool kind's tuples."""

    def worker_wrapper(tasks, results, *args, **kwargs):
        try:
            inode = pipe_inode(tasks)
            mark_internal(tasks)
            mark_internal(results)
            emit({"e": "worker.ready", "pool": inode}, urgent=True)

            def started(task):
                read = read_task(task)
                if read is None:
                    return
                job, index, function, task_args, task_kwargs = read
                name, items, label, given = _task_of(function, task_args, task_kwargs)
                emit({"e": "task.start", "pool": inode, "job": job, "i": index, "fn": name, "items": items,
                      "args": label, "input": given}, urgent=True)

            def finished(message):
                read = read_result(message)
                if read is None:
                    return
                job, index, ok, value, error = read
                event = {"e": "task.end", "pool": inode, "job": job, "i": index}
                event.update(_outcome(ok, value, error))
                emit(event, urgent=True)

            tasks = _Tap(tasks, on_get=started)
            results = _Tap(results, on_put=finished)
        except Exception:
            channel.count_error()
        return worker(tasks, results, *args, **kwargs)

    return worker_wrapper


@patcher("multiprocessing.pool")
def _patch_pool(module):
    pool_class = module.Pool
    thread_pool = getattr(module, "ThreadPool", None)

    def is_thread_pool(pool):
        return thread_pool is not None and isinstance(pool, thread_pool)

    def make_init(init):
        def init_wrapper(self, *args, **kwargs):
            with INTERNAL:
                init(self, *args, **kwargs)
            if is_thread_pool(self):
                return
            try:
                _mark_plumbing(self)
                self._forkscope_inode = pipe_inode(self._inqueue)
                ctx = getattr(self, "_ctx", None)
                emit(
                    {"e": "pool.new", "kind": "Pool", "pool": self._forkscope_inode, "size": self._processes,
                     "initializer": function_name(self._initializer) if self._initializer else None,
                     "maxtasks": self._maxtasksperchild,
                     "method": ctx.get_start_method() if ctx is not None else None,
                     "workers": _pids(self._pool)},
                    urgent=True,
                )
            except Exception:
                channel.count_error()

        return init_wrapper

    def pool_inode(pool):
        return getattr(pool, "_forkscope_inode", None)

    def make_apply_async(apply_async):
        def apply_async_wrapper(self, func, args=(), kwds={}, *rest, **kwargs):  # noqa: B006 (Python's own default)
            result = apply_async(self, func, args, kwds, *rest, **kwargs)
            inode = pool_inode(self)
            if inode is not None:
                label, given = _call(function_name(func), tuple(args), kwds)
                emit({"e": "task.submit", "pool": inode, "job": result._job, "i": 0, "fn": function_name(func),
                      "args": label, "input": given})
            return result

        return apply_async_wrapper

    def make_map_async(map_async):
        def map_async_wrapper(self, func, iterable, mapper, *rest, **kwargs):
            result = map_async(self, func, iterable, mapper, *rest, **kwargs)
            inode = pool_inode(self)
            if inode is not None:
                items = len(getattr(result, "_value", None) or ())
                emit({"e": "map.submit", "pool": inode, "job": result._job, "fn": function_name(func),
                      "chunks": getattr(result, "_number_left", 0), "items": items,
                      "chunksize": getattr(result, "_chunksize", None),
                      "star": function_name(mapper) == "starmapstar"})
            return result

        return map_async_wrapper

    def make_imap(imap, ordered):
        def imap_wrapper(self, func, iterable, chunksize=1):
            result = imap(self, func, iterable, chunksize)
            inode = pool_inode(self)
            if inode is not None:
                emit({"e": "map.submit", "pool": inode, "job": result._job, "fn": function_name(func),
                      "chunks": None, "items": None, "chunksize": chunksize,
                      "imap": "ordered" if ordered else "unordered"})
            return result

        return imap_wrapper

    def make_lifecycle(method, name):
        def lifecycle_wrapper(self, *args, **kwargs):
            inode = pool_inode(self)
            if inode is not None:
                emit({"e": "pool." + name, "pool": inode}, urgent=True)
            if name == "join" and inode is not None:
                emit({"e": "wait", "kind": "join", "what": "Pool.join", "on": _pids(self._pool)}, urgent=True)
            try:
                with INTERNAL:
                    return method(self, *args, **kwargs)
            finally:
                if name == "join" and inode is not None:
                    emit({"e": "wait.end", "kind": "join"})

        return lifecycle_wrapper

    def make_repopulate(repopulate):
        def repopulate_wrapper(ctx, process, processes, pool, inqueue, *rest, **kwargs):
            before = set(_pids(pool))
            with INTERNAL:
                result = repopulate(ctx, process, processes, pool, inqueue, *rest, **kwargs)
            added = [pid for pid in _pids(pool) if pid not in before]
            if added:
                emit({"e": "pool.workers", "pool": pipe_inode(inqueue), "added": added}, urgent=True)
            return result

        return repopulate_wrapper

    def make_join_exited(join_exited):
        def join_exited_wrapper(pool, *args, **kwargs):
            try:
                for worker in list(pool):
                    if worker.exitcode is not None:
                        emit({"e": "worker.exit", "child": worker.pid, "code": worker.exitcode})
            except Exception:
                channel.count_error()
            return join_exited(pool, *args, **kwargs)

        return join_exited_wrapper

    wrap(pool_class, "__init__", make_init)
    wrap(pool_class, "apply_async", make_apply_async)
    wrap(pool_class, "_map_async", make_map_async)
    wrap(pool_class, "imap", lambda method: make_imap(method, True))
    wrap(pool_class, "imap_unordered", lambda method: make_imap(method, False))
    for name in ("close", "terminate", "join"):
        wrap(pool_class, name, lambda method, name=name: make_lifecycle(method, name))
    if "_repopulate_pool_static" in pool_class.__dict__:
        wrap(pool_class, "_repopulate_pool_static", make_repopulate)
    if "_join_exited_workers" in pool_class.__dict__:
        wrap(pool_class, "_join_exited_workers", make_join_exited)

    def pool_result(message):
        job, index, (ok, value) = message
        return job, index, ok, value, None if ok else value

    # A Pool task is (job, index, function, args, kwargs) already; None tells the worker to stop.
    wrap(module, "worker", lambda worker: _tapped_worker(worker, lambda task: task, pool_result))

    # A parent waiting for results shows what it submitted first: its events are sent before it blocks.
    wrap(module.ApplyResult, "wait", _flush_first)
    wrap(module.IMapIterator, "next", _flush_first)


def _flush_first(method):
    def flush_first_wrapper(self, *args, **kwargs):
        channel.flush_if_waiting()
        return method(self, *args, **kwargs)

    return flush_first_wrapper


@patcher("concurrent.futures._base")
def _patch_futures(module):
    for name in ("result", "exception"):
        wrap(module.Future, name, _flush_first)


@patcher("concurrent.futures.process")
def _patch_executor(module):
    executor = module.ProcessPoolExecutor

    def make_init(init):
        def init_wrapper(self, *args, **kwargs):
            with INTERNAL:
                init(self, *args, **kwargs)
            try:
                _mark_plumbing(self)
                self._forkscope_inode = pipe_inode(self._call_queue)
                ctx = getattr(self, "_mp_context", None)
                emit(
                    {"e": "pool.new", "kind": "ProcessPoolExecutor", "pool": self._forkscope_inode,
                     "size": self._max_workers,
                     "initializer": function_name(self._initializer) if getattr(self, "_initializer", None) else None,
                     "maxtasks": getattr(self, "_max_tasks_per_child", None),
                     "method": ctx.get_start_method() if ctx is not None else None,
                     "workers": list(getattr(self, "_processes", {}) or {})},
                    urgent=True,
                )
            except Exception:
                channel.count_error()

        return init_wrapper

    def make_submit(submit):
        def submit_wrapper(self, fn, /, *args, **kwargs):
            with INTERNAL:
                future = submit(self, fn, *args, **kwargs)
            inode = getattr(self, "_forkscope_inode", None)
            if inode is not None:
                name, items, label, given = _task_of(fn, args, kwargs)
                emit({"e": "task.submit", "pool": inode, "job": self._queue_count - 1, "i": 0, "fn": name,
                      "items": items, "args": label, "input": given})
            return future

        return submit_wrapper

    def make_spawn(spawn):
        def spawn_wrapper(self, *args, **kwargs):
            before = set(getattr(self, "_processes", {}) or {})
            with INTERNAL:
                result = spawn(self, *args, **kwargs)
            added = [pid for pid in (getattr(self, "_processes", {}) or {}) if pid not in before]
            inode = getattr(self, "_forkscope_inode", None)
            if added and inode is not None:
                emit({"e": "pool.workers", "pool": inode, "added": added}, urgent=True)
            return result

        return spawn_wrapper

    def make_shutdown(shutdown):
        def shutdown_wrapper(self, wait=True, *args, **kwargs):
            inode = getattr(self, "_forkscope_inode", None)
            if inode is not None:
                emit({"e": "pool.close", "pool": inode}, urgent=True)
                if wait:
                    emit({"e": "wait", "kind": "join", "what": "ProcessPoolExecutor.shutdown",
                          "on": list(getattr(self, "_processes", {}) or {})}, urgent=True)
            try:
                with INTERNAL:
                    return shutdown(self, wait, *args, **kwargs)
            finally:
                if inode is not None and wait:
                    emit({"e": "wait.end", "kind": "join"})

        return shutdown_wrapper

    wrap(executor, "__init__", make_init)
    wrap(executor, "submit", make_submit)
    wrap(executor, "_spawn_process" if "_spawn_process" in executor.__dict__ else "_adjust_process_count", make_spawn)
    wrap(executor, "shutdown", make_shutdown)

    def executor_task(call_item):
        if call_item is None:
            return None
        return call_item.work_id, 0, call_item.fn, call_item.args, call_item.kwargs

    def executor_result(result_item):
        work_id = getattr(result_item, "work_id", None)
        if work_id is None:
            return None  # the worker's goodbye (its pid), not a task's result
        error = getattr(result_item, "exception", None)
        return work_id, 0, error is None, getattr(result_item, "result", None), error

    wrap(module, "_process_worker", lambda worker: _tapped_worker(worker, executor_task, executor_result))

