"""Logs: every line, the app's, uvicorn's and the webhook worker's, through one handler on the
root logger, as one JSON object (or, with ``AFTERCART_LOG_FORMAT=text``, one plain line), with
the id of the request it was written for.

``aftercart serve`` hands :func:`uvicorn_config` to uvicorn, so that its own lines are formatted
from the first one, in the supervisor and in every worker; :func:`configure` does the same for
the app (``create_app``) and for ``aftercart worker``.
"""

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any, Literal, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonEncoder
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

LogFormat = Literal["json", "text"]

#: The id of the request being handled (set by :class:`aftercart.middleware.RequestLogMiddleware`);
#: tasks started while handling it inherit it.
request_id: ContextVar[str | None] = ContextVar("aftercart_request_id", default=None)

#: Loggers that must not keep handlers of their own: their lines go to the root's.
_PROPAGATED = ("uvicorn", "uvicorn.error")
#: Aftercart writes its own line per request, with its id; uvicorn's would be a second one.
_SILENCED = ("uvicorn.access",)


class JsonFormatter(_JsonFormatter):
    """``time`` (UTC), ``level``, ``logger``, ``pid``, ``message``, then the record's extras
    (``request_id`` among them), then ``exc_info``: the traceback as one string."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # The library's own version renames and filters field by field; this is one line per
        # request, so it is done directly (a third of the formatting time).
        log_data["time"] = _utc(record.created)
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["pid"] = record.process
        log_data["message"] = record.message
        for key, value in record.__dict__.items():
            if key not in _NOT_EXTRAS and not key.startswith("_"):
                log_data[key] = value
        log_data.update(message_dict)

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        # One encoder for every line: ``json.dumps(cls=...)`` would build one per line.
        return _ENCODER.encode(log_data)


_ENCODER = JsonEncoder()
#: A record's own attributes; uvicorn adds a coloured copy of some messages.
_NOT_EXTRAS = frozenset([*RESERVED_ATTRS, "color_message", "taskName"])


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            defaults={"request_id": "-"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc(record.created)


def _utc(created: float) -> str:
    """ISO 8601 in UTC to the millisecond; the part up to the second is formatted once."""
    global _second
    whole = int(created)
    second = _second  # read once: another thread may replace it
    if second[0] != whole:
        second = _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{second[1]}.{int((created - whole) * 1000):03d}Z"


_second = (0, "")


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current is not None and not hasattr(record, "request_id"):
            record.request_id = current
        return True


class _TracebackOnce(logging.Filter):
    """Drops the server's report of an exception that was already logged with its traceback:
    the app's error handler logs it with the request, then uvicorn ("Exception in ASGI
    application") would log it again."""

    MARK = "_aftercart_logged"

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        if getattr(error, self.MARK, False) and record.name.startswith("uvicorn"):
            return False
        try:
            setattr(error, self.MARK, True)
        except AttributeError:  # an exception type without attributes of its own
            pass
        return True


class Handler(logging.StreamHandler[TextIO]):
    """Writes to the process's standard error, past any redirection of ``sys.stderr`` (a test
    that runs a CLI command in-process captures what the command writes, not the log)."""

    def __init__(self, log_format: LogFormat = "json") -> None:
        super().__init__(sys.__stderr__)
        self.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
        self.addFilter(_RequestId())
        self.addFilter(_TracebackOnce())


def configure(log_level: str, log_format: LogFormat) -> None:
    """Puts this module's handler on the root logger, in place of one put there before; other
    handlers (a test's log capture) stay."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, Handler)]:
        root.removeHandler(handler)
    root.addHandler(Handler(log_format))
    root.setLevel(log_level.upper())
    for name in _PROPAGATED:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    for name in _SILENCED:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = False


def uvicorn_config(log_level: str, log_format: LogFormat) -> dict[str, Any]:
    """uvicorn's ``log_config``: the set-up of :func:`configure`, as ``dictConfig`` takes it."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"aftercart": {"()": f"{__name__}.Handler", "log_format": log_format}},
        "root": {"handlers": ["aftercart"], "level": log_level.upper()},
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in _PROPAGATED},
            **{name: {"handlers": [], "propagate": False} for name in _SILENCED},
        },
    }
