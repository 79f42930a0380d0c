"""Short, bounded previews of values: a program's data never costs more than a glance."""

import reprlib
import traceback

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 8
_repr.maxlevel = 3
LIMIT = 120


_PLAIN = frozenset((int, float, bool, type(None), str, bytes))
_SIZED = frozenset((str, bytes))


def preview(value):
    # The common case, at a third of reprlib's cost: a short plain value or a small tuple of them
    # (a long string, even inside a tuple, goes to reprlib, whose cost is bounded).
    try:
        kind = type(value)
        if kind in _PLAIN:
            if kind not in _SIZED or len(value) <= LIMIT:
                text = repr(value)
                if len(text) <= LIMIT:
                    return text
        elif kind is tuple and len(value) <= 8:
            for part in value:
                part_kind = type(part)
                if part_kind not in _PLAIN or (part_kind in _SIZED and len(part) > LIMIT):
                    break
            else:
                text = repr(value)
                if len(text) <= LIMIT:
                    return text
        text = _repr.repr(value)
    except Exception:
        text = "<%s>" % type(value).__name__
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"


def args_preview(args, kwargs=None):
    """A call's arguments as they would be written in it: `3, 'a', key=1`, bounded."""
    try:
        parts = [preview(arg) for arg in args[:6]]
        if len(args) > 6:
            parts.append("…")
        for key, value in list((kwargs or {}).items())[:4]:
            parts.append("%s=%s" % (key, preview(value)))
        text = ", ".join(parts)
    except Exception:
        text = "…"
    return text if len(text) <= 200 else text[:199] + "…"


def items_preview(items):
    """A map chunk's items, each previewed, at most 6 of them: `1, 2, 3, …`."""
    try:
        parts = [preview(item) for item in items[:6]]
        if len(items) > 6:
            parts.append("…")
        text = ", ".join(parts)
    except Exception:
        text = "…"
    return text if len(text) <= 200 else text[:199] + "…"


def function_name(function):
    if function is None:
        return None
    try:
        import functools

        while isinstance(function, functools.partial):
            function = function.func
        return getattr(function, "__qualname__", None) or getattr(function, "__name__", None) or repr(function)
    except Exception:
        return "?"


def exception_info(error, tb_text=None):
    """Type, message and traceback of an exception, each bounded."""
    try:
        if tb_text is None:
            tb_text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return {
            "type": type(error).__name__,
            "message": str(error)[:1000],
            "traceback": tb_text[-8000:],
        }
    except Exception:
        return {"type": "Exception", "message": "?", "traceback": ""}
