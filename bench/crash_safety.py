"""A kill -9 probe: no write answered 2xx is lost when ``aftercart serve`` is killed mid-request.

    .venv/bin/python -m bench.crash_safety [--rounds 5] [--seed N] [--max-kill-delay 1.0]
                                           [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

One ``aftercart serve`` (development mode, the webhook worker on, 2 s leases) on a fresh SQLite
file, or with ``--postgres`` on a fresh database of that server (dropped afterwards). Each round
twelve lanes write at once: shopper item updates (sandbox PUT), replacements and the customer's
decisions, customer chat messages, and ratings of delivered orders. A random 0.2 s to
``--max-kill-delay`` after every lane's first answer, the server gets SIGKILL with requests in
flight; it is started again on the same database, takes one more write, and delivers every
webhook to a receiver in this process.

Per round and in total it prints the writes answered 2xx and how many of them are stored, what
became of the writes the kill interrupted, changes against events (the outbox), webhook
deliveries and duplicates (the same ``webhook-id`` again: at-least-once), and on SQLite
``PRAGMA integrity_check`` / ``foreign_key_check`` after the kill and after the restart. It exits
1 if an acknowledged write is missing, the database is damaged, or any other check fails.
"""

import argparse
import asyncio
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import make_url
from tests.crash.checks import RoundReport, probe
from tests.crash.traffic import SERVE_SETTINGS
from tests.stream.processes import scratch_database

KINDS = ("item", "replacement", "chat", "rating")


def _acked(counts: Counter[str]) -> str:
    return ", ".join(f"{kind} {counts[kind]}" for kind in KINDS)


def print_round(report: RoundReport) -> None:
    print(
        f"round {report.number}: SIGKILL {report.kill_after:.2f} s after every lane's first answer"
    )
    print(
        f"  writes acknowledged {report.acked.total()} ({_acked(report.acked)}); "
        f"found after restart {report.found}; missing {report.missing}"
    )
    print(
        f"  in flight at the kill {report.in_flight}: committed {report.committed}, "
        f"not committed {report.in_flight - report.committed}; "
        f"answered non-2xx {len(report.rejected)}"
    )
    print(
        f"  outbox: {report.changes} changes, {report.events} events; webhook deliveries "
        f"{report.deliveries} in all, {report.delivered} distinct webhook-ids received, "
        f"{report.duplicates} duplicate receipts this round"
    )
    integrity = ", ".join(f"{moment} {verdict}" for moment, verdict in report.integrity.items())
    print(f"  integrity: {integrity or 'n/a (PostgreSQL); the restarted server took a write'}")
    for line in report.rejected[:5]:
        print(f"  non-2xx: {line}")
    for problem in report.problems[:20]:
        print(f"  PROBLEM: {problem}")


def print_total(reports: list[RoundReport]) -> None:
    acked: Counter[str] = sum((r.acked for r in reports), Counter())
    found = sum(r.found for r in reports)
    in_flight = sum(r.in_flight for r in reports)
    committed = sum(r.committed for r in reports)
    damaged = sum(v != "ok" for r in reports for v in r.integrity.values())
    checks = sum(len(r.integrity) for r in reports)
    print(
        f"total over {len(reports)} rounds: writes acknowledged {acked.total()} "
        f"({_acked(acked)}); found after restart {found}; missing {acked.total() - found}"
    )
    print(
        f"  in flight at the kills {in_flight}: committed {committed}, "
        f"not committed {in_flight - committed}; "
        f"answered non-2xx {sum(len(r.rejected) for r in reports)}"
    )
    last = reports[-1]
    print(
        f"  changes {sum(r.changes for r in reports)}, events "
        f"{sum(r.events for r in reports)}; deliveries {last.deliveries}, distinct received "
        f"{last.delivered}, duplicate receipts {sum(r.duplicates for r in reports)}"
    )
    if checks:
        print(f"  integrity checks: {checks - damaged} ok of {checks}")
    problems = sum(len(r.problems) for r in reports)
    print(f"  {'OK' if not problems else f'FAILED: {problems} problems'}")


async def main_async(args: argparse.Namespace) -> list[RoundReport]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        async with scratch_database(folder, args.postgres) as url:
            backend = make_url(url).get_backend_name()
            print(
                f"db={backend} rounds={args.rounds} seed={args.seed} webhook worker on "
                f"(lease {SERVE_SETTINGS['webhook_lease_seconds']} s), "
                f"kill after 0.2-{args.max_kill_delay:g} s"
            )
            reports = await probe(
                url,
                folder,
                rounds=args.rounds,
                seed=args.seed,
                max_kill_delay=args.max_kill_delay,
                on_round=print_round,
            )
            failed = any(r.problems for r in reports)
            if failed:
                log = (folder / "serve.log").read_text(errors="replace")
                print("--- last lines of the server log ---\n" + "\n".join(log.splitlines()[-30:]))
            return reports


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None, help="default: a random one (printed)")
    parser.add_argument("--max-kill-delay", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument("--postgres", default=None, metavar="SERVER_URL")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.randrange(1 << 32)
    reports = asyncio.run(main_async(args))
    print_total(reports)
    sys.exit(1 if any(r.problems for r in reports) else 0)


if __name__ == "__main__":
    main()
