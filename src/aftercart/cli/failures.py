"""What the ``aftercart`` command prints when it fails.

A failure people can act on (a bad option, a database that cannot be reached, a port in use, a
request the rules refuse) is told on stderr in one line that names the problem and what to do,
and the command exits non-zero: 2 for a usage error, as Click does, 1 for anything else.
``--debug`` or ``AFTERCART_DEBUG=1`` shows the traceback instead. The root command is a
:class:`ReportingGroup`, so that no command has to catch anything itself.
"""

import errno
import socket
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.engine import URL
from typer.core import TyperGroup

from aftercart.catalog.csvfile import CsvFileError
from aftercart.config import Settings
from aftercart.errors import AftercartError, MultipleErrors
from aftercart.modes import UnsafeSettings

DATABASE_HINT = "set AFTERCART_DATABASE_URL or --database-url"
CONNECT_HINT = "is the server running? Set AFTERCART_DATABASE_URL or --database-url"
FAILED = 1


class Failure(Exception):
    """A failure explained, in one line, where it happens."""


def explain(exc: Exception) -> list[str]:
    """The lines printed for ``exc``: every problem of a domain error, one line otherwise."""
    if isinstance(exc, MultipleErrors):
        return [_domain_line(error) for error in exc.errors]
    if isinstance(exc, AftercartError):
        return [_domain_line(exc)]
    if isinstance(exc, ValidationError) and exc.title == Settings.__name__:
        return [_setting_line(error["loc"], error["msg"]) for error in exc.errors()]
    if isinstance(exc, Failure | CsvFileError | UnsafeSettings):
        return [f"error: {exc}"]
    if isinstance(exc, OSError) and exc.filename is not None:
        return [f"error: {exc.filename}: {exc.strerror or exc}"]
    return [
        f"error: unexpected {type(exc).__name__}: {_first_line(exc)} "
        "(run again with --debug to see where)"
    ]


def _domain_line(error: AftercartError) -> str:
    where = f"{error.key}: " if error.key else ""
    return f"error: {where}{error.message}"


def _setting_line(loc: tuple[int | str, ...], message: str) -> str:
    name = "AFTERCART_" + "_".join(str(part) for part in loc).upper()
    return f"error: {name}: {message}; correct it or unset it"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"


def database_failure(url: URL, exc: Exception) -> Failure:
    """Why the first connection to ``url`` failed, told to whoever must fix it."""
    reason = str(getattr(exc, "orig", None) or exc)
    if url.get_backend_name() == "sqlite":
        path = url.database
        if "file is not a database" in reason:
            return Failure(f"{path} is not a SQLite database; {DATABASE_HINT}")
        return Failure(
            f"cannot open the SQLite database {path} ({reason}); does its folder exist and may "
            f"you write there? Or {DATABASE_HINT}"
        )
    host, port = url.host or "localhost", url.port or 5432
    server = f"PostgreSQL at {host}:{port}"
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    if sqlstate == "3D000":
        user = f" -U {url.username}" if url.username else ""
        return Failure(
            f'no database "{url.database}" on {server}; create it '
            f"(createdb -h {host} -p {port}{user} {url.database}) or {DATABASE_HINT}"
        )
    if sqlstate in ("28000", "28P01"):
        return Failure(f"{server} refused the login ({reason}); check the user and password")
    if isinstance(exc, socket.gaierror):
        return Failure(
            f"cannot connect to {server}: unknown host; check the host, or {DATABASE_HINT}"
        )
    if isinstance(exc, ConnectionRefusedError):
        why = "connection refused"
    elif isinstance(exc, TimeoutError):
        why = "no answer"
    else:
        why = _first_line(exc) if not isinstance(exc, OSError) else exc.strerror or str(exc)
    return Failure(f"cannot connect to {server} ({why}); {CONNECT_HINT}")


def listen_failure(
    host: str, port: int, exc: OSError, *, host_option: str = "--host", port_option: str = "--port"
) -> Failure:
    """Why ``aftercart serve`` (or the worker's metrics port) could not take ``host``:``port``;
    the options named are those that set them."""
    if isinstance(exc, socket.gaierror):
        problem = f"cannot listen on {host}: unknown host"
    elif exc.errno == errno.EADDRINUSE:
        return Failure(
            f"port {port} on {host} is already in use; stop what listens there or choose "
            f"another port with {port_option}"
        )
    elif exc.errno == errno.EACCES:
        return Failure(
            f"not allowed to listen on port {port} (ports below 1024 need privileges); choose "
            f"another port with {port_option}"
        )
    elif exc.errno == errno.EADDRNOTAVAIL:
        problem = f"cannot listen on {host}: not an address of this machine"
    else:
        problem = f"cannot listen on {host}:{port} ({exc.strerror or exc})"
    return Failure(
        f"{problem}; use {host_option} 127.0.0.1 (this machine) or 0.0.0.0 (every interface)"
    )


def usage_line(exc: typer.TyperException) -> str:
    """A usage error (bad option, missing argument) in one line, with where to read more."""
    context = getattr(exc, "ctx", None)
    more = f" (see '{context.command_path} --help')" if context is not None else ""
    return f"error: {' '.join(exc.format_message().splitlines())}{more}"


def _shows_help(exc: typer.TyperException) -> bool:
    """Click's "no arguments, so show the help": a usage error by class, not a failure.
    Typer does not export its class, hence the name."""
    return type(exc).__name__ == "NoArgsIsHelpError"


def _report_usage(exc: typer.TyperException) -> NoReturn:
    if _shows_help(exc):
        raise exc
    typer.echo(usage_line(exc), err=True)
    raise typer.Exit(exc.exit_code) from exc


def _debug_asked(context: Any) -> bool:
    if context.params.get("debug"):
        return True
    try:
        return Settings().debug
    except ValidationError:
        return False


class ReportingGroup(TyperGroup):
    """The root command: reports every failure below it as :func:`explain` says."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:
            _report_usage(exc)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except typer.TyperException as exc:
            _report_usage(exc)
        except Exception as exc:
            if _debug_asked(ctx):
                raise
            for line in explain(exc):
                typer.echo(line, err=True)
            raise typer.Exit(FAILED) from exc
