"""Rows of any table, with every required column filled and the parents they need made first.

Works on the models' tables and on tables reflected from a database at an older revision, so a
migration test can fill a schema that the current models no longer describe.
"""

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_SAMPLES: dict[type, Any] = {
    int: 1,
    bool: False,
    float: 0.5,
    Decimal: Decimal("1.25"),
}


def _sample(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.JSON):
        return {"sample": True}
    if kind.python_type is str:
        length = getattr(kind, "length", None) or 32
        return uuid.uuid4().hex[: min(length, 32)]
    if kind.python_type is datetime:
        return datetime.now(UTC).replace(microsecond=0)
    return _SAMPLES[kind.python_type]


def insert(connection: Connection, table: sa.Table) -> dict[str, Any]:
    """Inserts one row into ``table`` (and one into each table it must refer to); its values,
    the generated key included. A key of several columns (a user's ``(tenant_id, user_id)``)
    takes all of them from one parent row."""
    values: dict[str, Any] = {}
    for constraint in table.foreign_key_constraints:
        required = [c for c in constraint.columns if not c.nullable]
        if not required or any(c.key in values for c in constraint.columns):
            continue
        parent = insert(connection, constraint.referred_table)
        for element in constraint.elements:
            values[element.parent.key] = parent[element.column.key]
    for column in table.columns:
        if column is table.autoincrement_column or column.nullable or column.key in values:
            continue
        values[column.key] = _sample(column)
    generated = connection.execute(table.insert().values(values)).inserted_primary_key
    assert generated is not None
    for column, value in zip(table.primary_key.columns, generated, strict=True):
        values[column.key] = value
    return values


def key_of(table: sa.Table) -> sa.Column[Any]:
    """The integer key that the database generates."""
    column = table.autoincrement_column
    assert column is not None, f"{table.name} has no generated integer key"
    return column


def reissued_after_delete(connection: Connection, table: sa.Table) -> tuple[int, int]:
    """Inserts two rows, deletes the newer one and inserts again: the deleted id and the new one."""
    key = key_of(table)
    insert(connection, table)
    newest = insert(connection, table)[key.key]
    connection.execute(table.delete().where(key == newest))
    return newest, insert(connection, table)[key.key]


def snapshot(connection: Connection) -> dict[str, Any]:
    """Every table's rows, foreign keys, indexes and unique constraints, in a stable order."""
    inspector = sa.inspect(connection)
    tables = sorted(set(inspector.get_table_names()) - {"alembic_version"})
    schema = sa.MetaData()
    schema.reflect(connection, only=tables)

    def by_name(items: list[Any]) -> list[Any]:
        return sorted(items, key=lambda item: (str(item.get("name")), str(item)))

    found: dict[str, Any] = {}
    for name in tables:
        table = schema.tables[name]
        rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
        found[name] = {
            "rows": [tuple(row) for row in rows],
            "foreign_keys": by_name(inspector.get_foreign_keys(name)),
            "indexes": by_name(inspector.get_indexes(name)),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
            ),
        }
    return found
