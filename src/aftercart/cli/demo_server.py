"""Aftercart served from a thread of the command's own process, on a socket it already holds.

``aftercart demo`` plays its story from the main thread while this serves; keeping both in one
process means one Ctrl-C (which Python delivers to the main thread only) stops everything, and
no child process can outlive the command. uvicorn installs no signal handlers outside the main
thread, so the server stops only when :meth:`DemoServer.stop` asks it to.
"""

import asyncio
import socket
import threading
import time
from typing import Final

import uvicorn

from aftercart.app import create_app
from aftercart.cli.failures import Failure
from aftercart.config import Settings
from aftercart.observability import logs

START_SECONDS: Final = 60.0
#: Open responses (the demo's event stream, a browser's status page) get this long to finish.
STOP_SECONDS: Final = 5.0


class DemoServer:
    def __init__(self, settings: Settings, sock: socket.socket) -> None:
        config = uvicorn.Config(
            create_app(settings),
            log_level=settings.log_level.lower(),
            log_config=logs.uvicorn_config(settings.log_level, settings.log_format),
            access_log=False,
            timeout_graceful_shutdown=int(STOP_SECONDS),
        )
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="aftercart-demo", daemon=True)
        self.failure: BaseException | None = None

    def _serve(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._sock]))
        except BaseException as exc:  # told to the main thread, which waits for the start
            self.failure = exc

    def start(self) -> None:
        """Starts serving and returns once the app is up (its lifespan has run)."""
        self._thread.start()
        deadline = time.monotonic() + START_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise Failure(f"Aftercart did not start: {self.failure or 'timed out'}")
            time.sleep(0.05)

    def wait(self) -> None:
        """Returns when the server has stopped; a Ctrl-C meanwhile interrupts the wait."""
        while self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Ends open responses, runs the app's shutdown and waits for the thread."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(STOP_SECONDS * 2)
