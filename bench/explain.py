"""The SQL a request runs, and the database's plan for each statement, so index use is visible.

Statements are caught with a ``before_cursor_execute`` listener on the app's engine and explained
afterwards on the same engine with the parameters they ran with: ``EXPLAIN QUERY PLAN`` on
SQLite, ``EXPLAIN`` on PostgreSQL. Neither runs the statement.
"""

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

EXPLAINABLE = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")


@dataclass
class Statement:
    sql: str
    parameters: Any
    plan: list[str] = field(default_factory=list)


@dataclass
class Caught:
    """The statements each request ran, by label; each distinct SQL text kept once."""

    statements: list[Statement] = field(default_factory=list)
    by_request: dict[str, list[int]] = field(default_factory=dict)

    def add(self, label: str, sql: str, parameters: Any) -> None:
        known = [s.sql for s in self.statements]
        if sql not in known:
            # A list would read as many parameter sets to exec_driver_sql; one set is a tuple.
            given = tuple(parameters) if isinstance(parameters, list) else parameters
            self.statements.append(Statement(sql, given))
            known.append(sql)
        self.by_request.setdefault(label, []).append(known.index(sql))


@contextlib.contextmanager
def catching(engine: AsyncEngine, caught: Caught, label: str) -> Iterator[None]:
    def listener(
        _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if sql.lstrip().upper().startswith(EXPLAINABLE):
            caught.add(label, sql, parameters)

    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)


def _sqlite_tree(rows: Sequence[Any]) -> list[str]:
    """EXPLAIN QUERY PLAN rows are (id, parent, _, detail); indent each under its parent."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


async def explain(engine: AsyncEngine, caught: Caught) -> None:
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        for statement in caught.statements:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            result = await connection.exec_driver_sql(prefix + statement.sql, statement.parameters)
            rows = result.all()
            statement.plan = _sqlite_tree(rows) if sqlite else [str(r[0]) for r in rows]
        await connection.rollback()


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


def as_text(caught: Caught) -> str:
    lines = []
    for label, numbers in caught.by_request.items():
        lines.append(f"{label}: runs " + ", ".join(f"S{n + 1}" for n in numbers))
    for n, statement in enumerate(caught.statements, start=1):
        lines += [
            "",
            f"S{n}: {_one_line(statement.sql)}",
            f"    parameters: {statement.parameters}",
        ]
        lines += [f"    {line}" for line in statement.plan]
    return "\n".join(lines)


def as_markdown(caught: Caught, heading: str) -> str:
    lines = [f"# {heading}", ""]
    for label, numbers in caught.by_request.items():
        lines.append(f"- `{label}` runs " + ", ".join(f"S{n + 1}" for n in numbers))
    for n, statement in enumerate(caught.statements, start=1):
        lines += ["", f"## S{n}", "", "```sql", _one_line(statement.sql), "```", ""]
        lines += [f"Parameters: `{statement.parameters}`", "", "```", *statement.plan, "```"]
    return "\n".join(lines) + "\n"
