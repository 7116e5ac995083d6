"""Serving on a port taken before anything else starts.

``aftercart serve`` binds its port, and listens, before it migrates or starts the app: a port in
use fails in one line before any start-up line, and from the banner on a request to the URL is
answered (it waits in the listen queue while the app starts). uvicorn then serves on that socket,
in this process or in ``--workers`` processes that share it.
"""

import socket

import typer
import uvicorn
from uvicorn.supervisors import Multiprocess

from aftercart.cli.failures import listen_failure

#: Connections the port queues while no process accepts them (uvicorn's default).
BACKLOG = 2048
#: The exit status of a server whose app did not start (uvicorn's).
STARTUP_FAILURE = 3


def bind(
    host: str, port: int, *, host_option: str = "--host", port_option: str = "--port"
) -> socket.socket:
    """A socket listening on ``host``:``port``, or a one-line failure naming the options."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: a restart may take the port while the last one's connections close.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise listen_failure(
            host, port, exc, host_option=host_option, port_option=port_option
        ) from exc
    sock.set_inheritable(True)
    return sock


def run(config: uvicorn.Config, sock: socket.socket) -> None:
    """Serves ``config``'s app on ``sock``, in ``config.workers`` processes if more than one."""
    if config.workers > 1:
        Multiprocess(config, sockets=[sock]).run()
        return
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        raise typer.Exit(STARTUP_FAILURE)
