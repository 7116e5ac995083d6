"""The yardstick for ``bench/api_throughput.py``: a bare Starlette app that replays answers.

    .venv/bin/python -m bench.reference --answers FILE [--port 8001] [--workers N]

Each answer (method, path, status, content type, body) was captured from Aftercart, and is sent
back byte for byte with no database, no auth and no validation, under the same uvicorn options
as ``aftercart serve`` (src/aftercart/cli/serve.py): loop and HTTP parser ``auto`` (uvloop and
httptools when installed), log level ``warning``, uvicorn's access log off, and the same number
of workers. What is left is the cost of uvicorn and Starlette routing on this machine: the floor
Aftercart is held to. :func:`launch` starts any such bare app (``bench/query_floor.py`` too).
"""

import argparse
import base64
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWERS_ENV = "AFTERCART_REFERENCE_ANSWERS"


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int
    content_type: str
    body: bytes


def write_answers(path: Path, answers: list[Answer]) -> None:
    rows = [{**asdict(a), "body": base64.b64encode(a.body).decode()} for a in answers]
    path.write_text(json.dumps(rows))


def read_answers(path: Path) -> list[Answer]:
    return [
        Answer(**{**row, "body": base64.b64decode(row["body"])})
        for row in json.loads(path.read_text())
    ]


def _replay(answer: Answer) -> Route:
    headers = {"content-type": answer.content_type}

    async def endpoint(_request: Request) -> Response:
        return Response(answer.body, status_code=answer.status, headers=headers)

    return Route(answer.path, endpoint, methods=[answer.method])


async def healthz(_request: Request) -> Response:
    return Response(b'{"status":"ok"}', headers={"content-type": "application/json"})


def create_app() -> Starlette:
    """The factory uvicorn calls in each worker; the answers come by file, named in the
    environment, because a factory takes no arguments."""
    answers = read_answers(Path(os.environ[ANSWERS_ENV]))
    return Starlette(routes=[Route("/healthz", healthz), *map(_replay, answers)])


def launch(factory: str, *, file_option: str, file_env: str, doc: str | None) -> None:
    """The command line of a bare app: ``{file_option} FILE [--port] [--workers]``. The file is
    handed to ``factory`` (``module:function``) through ``file_env``, and the app is served under
    ``aftercart serve``'s uvicorn options."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument(file_option, type=Path, required=True, dest="file", metavar="FILE")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    os.environ[file_env] = str(args.file.resolve())
    uvicorn.run(
        factory,
        factory=True,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        workers=args.workers,
    )


def main() -> None:
    launch("bench.reference:create_app", file_option="--answers", file_env=ANSWERS_ENV, doc=__doc__)


if __name__ == "__main__":
    main()
