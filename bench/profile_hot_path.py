"""Where one ``aftercart serve`` process spends its time while ``wrk`` loads one hot path.

    .venv/bin/python -m bench.profile_hot_path [--path items|handling|order|item_update]
                                               [--seconds 8] [--postgres SERVER_URL]
                                               [--raw FILE] [--idle]

Arranges the data of ``bench/api_throughput.py``, starts the server, loads the path with
``wrk -t1 -c32`` and samples the server's main thread with py-spy (``pip install py-spy``) for
``--seconds``. Prints the share of the samples whose innermost frame is in each package
(SQLAlchemy, FastAPI, uvicorn, Aftercart's own code, ...), then Aftercart's functions by the samples
they hold including what they call. The requests per second of the same run are printed beside it.
"""

import argparse
import asyncio
import collections
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from tests.stream.processes import scratch_database

from bench import wrk
from bench.api_throughput import aftercart, arrange, hot_paths
from bench.stream_latency import prepare

PATHS = {"item_update": 0, "items": 1, "handling": 2, "order": 3}
PACKAGES = (
    "sqlite_inline",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy",
    "pydantic",
    "fastapi",
    "starlette",
    "uvicorn",
    "aftercart",
    "asyncio",
    "logging",
    "json",
)


def _package(frame: str) -> str:
    return next((name for name in PACKAGES if name in frame), "other")


def summarize(raw: Path, top: int = 25) -> None:
    by_package: collections.Counter[str] = collections.Counter()
    including: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "MainThread" not in stack:
            continue
        samples = int(count)
        total += samples
        frames = stack.split(";")
        by_package[_package(frames[-1])] += samples
        for frame in set(frames[1:]):
            including[frame] += samples
    if not total:
        raise SystemExit("py-spy recorded no samples of the main thread")
    print(f"\nsamples of the main thread: {total}\n\n| innermost frame in | share |")
    print("| --- | ---: |")
    for name, samples in by_package.most_common():
        print(f"| {name} | {samples / total:.1%} |")
    print("\nAftercart's functions by samples including what they call:")
    ours = [(frame, n) for frame, n in including.most_common() if "aftercart/" in frame]
    for frame, samples in ours[:top]:
        print(f"{samples / total:6.1%}  {frame}")


async def run(args: argparse.Namespace, database_url: str, folder: Path) -> None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("install py-spy (pip install py-spy)")
    wrk.executable()
    creds, user_id, order_id, database = await arrange(database_url)
    async with aftercart(database_url, folder, None) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            sandbox = await prepare(http, creds, user_id, [order_id])
        hot = hot_paths(sandbox.user_token, sandbox.retailer, user_id, order_id, sandbox.shopper)[
            PATHS[args.path]
        ]
        script = folder / "request.lua"
        script.write_text(wrk.script(hot.request))
        port = httpx.URL(url).port
        server = subprocess.run(
            ["pgrep", "-f", f"serve --port {port}"], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        raw = folder / "profile.txt"
        load = asyncio.create_task(
            wrk.run(url + hot.path, script, connections=32, duration=args.seconds + 2)
        )
        await asyncio.sleep(1)
        record = await asyncio.create_subprocess_exec(
            spy,
            "record",
            "--pid",
            server,
            "--duration",
            str(args.seconds),
            "--rate",
            "250",
            "--threads",
            *(["--idle"] if args.idle else []),
            "--format",
            "raw",
            "--output",
            str(raw),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await record.wait()
        result = await load
    print(f"{hot.label} on {database}: {result.requests_per_s:,.0f} req/s while sampled")
    summarize(raw)
    if args.raw is not None:
        shutil.copyfile(raw, args.raw)


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as name:
        async with scratch_database(Path(name), args.postgres) as url:
            await run(args, url, Path(name))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--path", choices=sorted(PATHS), default="items")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--postgres", default=None, metavar="SERVER_URL")
    parser.add_argument("--raw", type=Path, default=None, help="keep py-spy's raw stacks here")
    parser.add_argument(
        "--idle", action="store_true", help="sample the thread while it waits too (py-spy --idle)"
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
