"""autoincrement ids: on SQLite, an id is never handed out again once its row is deleted

SQLite gives a new row the largest rowid plus one, so deleting the newest row frees its id for
the next insert: a webhook receiver that de-duplicates on ``webhook-id`` drops the real event that
gets it, and a client that kept the id finds another row under it. ``AUTOINCREMENT`` remembers
the largest id ever used in ``sqlite_sequence``. PostgreSQL's sequences never hand out a value
twice, so there is nothing to do there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Tables whose ids are shown, kept by clients, or used as cursors or ``webhook-id``s
#: (``auth_changes`` has been ``AUTOINCREMENT`` since 0002).
TABLES = (
    "events",
    "products",
    "shoppers",
    "batches",
    "service_options",
    "service_option_holds",
    "webhook_subscriptions",
    "orders",
    "webhook_deliveries",
    "chat_messages",
    "order_items",
    "ratings",
)


#: Names the primary key again on the way down (``AUTOINCREMENT`` keys have no constraint name).
NAMING = {"pk": "pk_%(table_name)s"}


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)


def _rebuild(*, autoincrement: bool) -> None:
    """Recreates :data:`TABLES` with (or without) ``AUTOINCREMENT``, keeping their rows, indexes,
    constraints and foreign keys.

    Migrations run in one transaction with foreign keys enforced, and ``PRAGMA foreign_keys``
    cannot change inside a transaction; dropping a table that still has rows would then cascade
    to the rows that reference it. So every table concerned, and every table that references one,
    is copied aside and emptied (children first); the empty tables are recreated; and the rows go
    back (parents first), checked as they arrive. Putting back its largest id records it in
    ``sqlite_sequence``, so no id in use today is ever issued again.
    """
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    schema = sa.MetaData()
    schema.reflect(bind)
    moved: list[sa.Table] = []
    for table in schema.sorted_tables:  # parents first
        parents = {key.column.table.name for key in table.foreign_keys}
        if table.name in TABLES or parents & {t.name for t in moved}:
            moved.append(table)

    for table in moved:
        bind.exec_driver_sql(f'CREATE TEMP TABLE "{_aside(table)}" AS SELECT * FROM "{table.name}"')
    for table in reversed(moved):
        bind.execute(table.delete())
    for name in TABLES:
        with op.batch_alter_table(
            name,
            recreate="always",
            table_kwargs={"sqlite_autoincrement": autoincrement},
            naming_convention=NAMING,
        ):
            pass
    for table in moved:
        columns = ", ".join(f'"{column.name}"' for column in table.columns)
        bind.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({columns}) '
            f'SELECT {columns} FROM temp."{_aside(table)}" ORDER BY rowid'
        )
        bind.exec_driver_sql(f'DROP TABLE temp."{_aside(table)}"')


def _aside(table: sa.Table) -> str:
    return f"_0003_{table.name}"
