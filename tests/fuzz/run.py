"""Schemathesis against a real ``aftercart serve``: the service's own OpenAPI document and the
post-checkout OpenAPI document Instacart publishes, with real tokens and real ids.

    .venv/bin/python -m tests.fuzz.run                       # CI's bounded run (>= 2,000 cases)
    .venv/bin/python -m tests.fuzz.run --max-examples 150 --min-cases 20000  # the long run
    .venv/bin/python -m tests.fuzz.run --postgres postgresql://postgres@127.0.0.1:5432/postgres

Each document is fuzzed twice: once with the path parameters schemathesis invents (unknown ids,
odd strings, out-of-range numbers) and once with the ids of an order that exists, so that
generated bodies reach the rules behind the look-ups. A case fails on any 5xx, an undocumented
status, a body or header that does not match the document, or a wrong content type. The run
fails when any case fails or when fewer than ``--min-cases`` were generated.
"""

import argparse
import asyncio
import json
import random
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx

from aftercart.auth import service as auth_service
from aftercart.db.engine import create_engine, session_factory
from aftercart.marketplace.service import KIND as MARKETPLACE_KIND
from aftercart.models.tenant import DEFAULT_TENANT
from tests import factories
from tests.stream.processes import arrange_order, scratch_database, serving, until_healthy

HERE = Path(__file__).parent
POST_CHECKOUT_SPEC = HERE.parent / "post_checkout" / "post-checkout-openapi.yml"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
#: Instacart's post-checkout document lists no 429, and one customer's chat limit (60 messages a
#: minute) is reached within seconds of fuzzing its chat: the run checks conformance with the limit
#: off, and ``tests/limits`` checks the limit.
SERVER_SETTINGS = {"rate_limit_chat": "off"}
#: A sandbox fault rule makes the server answer 500, 503 or 429, or drop connections, on purpose
#: (for every later request of the client that matches it): creating one is not fuzzed, or the
#: run would only find what it asked for. ``tests/sandbox/test_faults.py`` checks those routes.
NOT_FUZZED_PATH = "/v2/fulfillment_sandbox/faults"
SUMMARY = re.compile(r"(\d+) generated")
PASSED = "passed"
FAILED = "FAILED"
#: A run whose only problem is an exception inside schemathesis itself, which it reports as a
#: "Runtime Error" (a network error, a timeout or an unreachable server are reported under their
#: own names, and fail the run): no case failed, so Aftercart is not at fault. The report is
#: printed, and the run's cases still count towards ``--min-cases``.
TOOL_ERROR = "passed; schemathesis hit an error of its own, printed above"
ERROR_GROUP = re.compile(r"^\s+🚫 (.+?): \d+$", re.MULTILINE)
#: The sections of schemathesis's report, in the order it prints them.
SECTIONS = ("FAILURES", "ERRORS", "WARNINGS")


@dataclass(frozen=True)
class World:
    """What exists on the server under test, for headers and real path parameters."""

    client_token: str
    user_token: str
    marketplace_token: str
    user_id: str
    order_id: str


@dataclass(frozen=True)
class Run:
    label: str
    cases: int
    verdict: str

    @property
    def failed(self) -> bool:
        return self.verdict == FAILED


@dataclass
class Tally:
    runs: list[Run]

    @property
    def cases(self) -> int:
        return sum(run.cases for run in self.runs)

    @property
    def failed_runs(self) -> int:
        return sum(1 for run in self.runs if run.failed)


@dataclass(frozen=True)
class Seeded:
    creds: auth_service.IssuedCredentials
    marketplace: auth_service.IssuedCredentials
    user_id: str
    order_id: str


async def _seed(database_url: str) -> Seeded:
    """A migrated database with a client, a marketplace, and a user's order of three lines."""
    creds, user_id, order_id = await arrange_order(database_url, lines=3)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            marketplace = await auth_service.create_client(
                session,
                name="Fuzz marketplace",
                kind=MARKETPLACE_KIND,
                marketplace="yandex_eats",
                tenant_id=DEFAULT_TENANT,
            )
            await session.commit()
    finally:
        await engine.dispose()
    return Seeded(creds, marketplace, user_id, order_id)


async def _world(seeded: Seeded, base_url: str) -> World:
    marketplace = seeded.marketplace
    async with httpx.AsyncClient(base_url=base_url) as http:
        await until_healthy(http)
        answer = await http.post(
            "/security/oauth/token",
            data={
                "client_id": marketplace.client_id,
                "client_secret": marketplace.client_secret,
                "grant_type": "client_credentials",
                "scope": "read write",
            },
        )
        answer.raise_for_status()
        return World(
            client_token=await factories.client_token(http, seeded.creds),
            user_token=await factories.user_token(http, seeded.creds, seeded.user_id),
            marketplace_token=answer.json()["access_token"],
            user_id=seeded.user_id,
            order_id=seeded.order_id,
        )


def _config(world: World, *, real_ids: bool) -> str:
    """A schemathesis.toml: each group of paths with the token it takes."""
    client = world.client_token
    groups = [
        (r"^/v2/(post_checkout|feedback/orders)/", world.user_token),
        (
            r"^/v2/(fulfillment|fulfillment_sandbox|webhooks|feedback/users|retailer_transaction)"
            r"(/|$)",
            client,
        ),
        (r"^/v1/", world.marketplace_token),
    ]
    lines = []
    if real_ids:
        lines += [
            "[parameters]",
            f'"path.order_id" = "{world.order_id}"',
            f'"path.user_id" = "{world.user_id}"',
            "",
        ]
    for pattern, token in groups:
        lines += [
            "[[operations]]",
            f"include-path-regex = '{pattern}'",
            f'headers = {{ Authorization = "Bearer {token}" }}',
            "",
        ]
    text = "\n".join(lines)
    tomllib.loads(text)
    return text


def _failures(output: str) -> str:
    """The report's failing cases with their ``curl`` reproductions, and its errors (a request
    that timed out or could not be sent), for CI's log."""
    return "".join(_section(output, name) for name in ("FAILURES", "ERRORS"))


def _section(output: str, name: str) -> str:
    """One ``= NAME =`` section of schemathesis's report, up to the next section or the summary."""
    start = output.find(f" {name} =")
    if start < 0:
        return ""
    sections = [output.find(f" {other} =", start + 1) for other in SECTIONS]
    end = min((i for i in (*sections, output.find("SUMMARY", start)) if i > 0), default=len(output))
    return output[output.rfind("\n", 0, start) + 1 : output.rfind("\n", 0, end) + 1]


def _verdict(output: str, returncode: int) -> str:
    """``returncode`` read with the report: only schemathesis's own errors do not fail a run."""
    if returncode == 0:
        return PASSED
    failed_cases = "= FAILURES =" in output or "unique failure" in output
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else ""
    errors = set(ERROR_GROUP.findall(summary))
    return TOOL_ERROR if errors == {"Runtime Error"} and not failed_cases else FAILED


def _schemathesis(
    spec: str, base_url: str, config: Path, args: argparse.Namespace, label: str
) -> Run:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "run",
        spec,
        "--url",
        base_url,
        "--checks",
        CHECKS,
        "--max-examples",
        str(args.max_examples),
        "--workers",
        str(args.workers),
        "--no-color",
        "--exclude-path",
        NOT_FUZZED_PATH,
    ]
    command += ["--seed", str(args.seed)]
    print(f"== {label}: {' '.join(command[3:])}", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-4000:]
    print(_failures(output) + summary, flush=True)
    if args.log_dir is not None:
        args.log_dir.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        (args.log_dir / f"{name}.log").write_text(output)
    found = SUMMARY.findall(output)
    cases = int(found[-1]) if found else 0
    return Run(label, cases, _verdict(output, done.returncode))


async def _fuzz(args: argparse.Namespace, folder: Path) -> Tally:
    tally = Tally([])
    async with scratch_database(folder, args.postgres) as database_url:
        seeded = await _seed(database_url)
        server_log = (folder / "server.log").open("wb")
        with server_log as log, serving(database_url, log, **SERVER_SETTINGS) as base_url:
            world = await _world(seeded, base_url)
            own = f"{base_url}/openapi.json"
            # The post-checkout document first: the service's own document may deactivate the
            # user or end the order, and the customer's operations document neither outcome.
            specs = [(str(POST_CHECKOUT_SPEC), "post-checkout"), (own, "own")]
            for spec, name in specs:
                for real_ids in (False, True):
                    config = folder / f"schemathesis-{real_ids}.toml"
                    config.write_text(_config(world, real_ids=real_ids))
                    label = f"{name} document, {'real' if real_ids else 'generated'} ids"
                    run = await asyncio.to_thread(
                        _schemathesis, spec, base_url, config, args, label
                    )
                    tally.runs.append(run)
        if tally.failed_runs:
            print(_server_errors(folder / "server.log"), flush=True)
    return tally


def _server_errors(log: Path) -> str:
    """The last line of each distinct traceback the server logged (SQLAlchemy's link to its
    error page aside): what a 5xx was."""
    causes: dict[str, None] = {}
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        trace = record.get("exc_info") if isinstance(record, dict) else None
        if trace:
            lines = [x for x in trace.strip().splitlines() if not x.startswith("(Background on")]
            causes[lines[-1]] = None
    return "\n".join(["server errors:", *(f"  {cause}" for cause in causes)] if causes else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", metavar="SERVER_URL", default=None)
    parser.add_argument("--max-examples", type=int, default=10, help="per operation and phase")
    parser.add_argument("--min-cases", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--seed", type=int, default=None, help="schemathesis's seed; a random one by default"
    )
    parser.add_argument(
        "--log-dir", type=Path, default=None, help="keep each run's whole report in this folder"
    )
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.getrandbits(64)
    print(f"seed {args.seed} (--seed {args.seed} repeats this run's cases)", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        tally = asyncio.run(_fuzz(args, Path(folder)))
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{database}: {tally.cases} cases in {len(tally.runs)} runs", flush=True)
    for run in tally.runs:
        print(f"  {run.label}: {run.cases} cases, {run.verdict}")
    if tally.failed_runs:
        sys.exit(f"{tally.failed_runs} run(s) found failures")
    if tally.cases < args.min_cases:
        sys.exit(f"only {tally.cases} cases generated, fewer than {args.min_cases}")


if __name__ == "__main__":
    main()
