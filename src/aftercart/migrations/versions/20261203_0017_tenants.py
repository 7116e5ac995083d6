"""tenants: every client belongs to one, and a tenant's data is its own

``tenants`` is new; ``api_clients.tenant_id`` names a client's tenant. Users, orders, shoppers,
batches, Instacart users, ratings, events and POS transactions gain ``tenant_id``, and every key a retailer
chooses becomes unique within the tenant only: ``users`` is keyed ``(tenant_id, user_id)``,
``orders.order_id``, shoppers' emails and phones, Instacart users' emails, rating de-duplication
keys and transaction ids are unique per tenant. Tables that name a user (tokens, addresses, links,
slot holds) name it with its tenant.

Everything that exists goes to tenant 1, ``default``, so a database upgraded from 0016 answers
as before: all its clients still share all its data.

On SQLite the tables concerned, and every table that references one, are copied aside and
emptied (children first), rebuilt, and refilled (parents first), as in 0003: a table that still
has rows cannot be dropped under enforced foreign keys without cascading. Their
``sqlite_sequence`` entries are kept, so no id once issued is issued again.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import op

import aftercart.db.types as aftercart_types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TENANT = 1
USER_KEY = ["tenant_id", "user_id"]


@dataclass(frozen=True)
class Change:
    """What one table gains and loses."""

    table: str
    #: Whether ``tenant_id`` references ``tenants`` (else it is part of a key to ``users``).
    tenant_fk: bool = True
    tenant_index: bool = False
    drop_constraints: list[tuple[str, str]] = field(default_factory=list)
    drop_indexes: list[str] = field(default_factory=list)
    primary_key: list[str] | None = None
    unique: list[list[str]] = field(default_factory=list)
    #: ``ondelete`` of the key naming a user, when the table has one.
    user_key: str | None = None
    indexes: dict[str, list[str]] = field(default_factory=dict)
    autoincrement: bool = False


#: Parents before children.
CHANGES = [
    Change("api_clients", tenant_index=True),
    Change("users", drop_constraints=[("pk_users", "primary")], primary_key=USER_KEY),
    Change(
        "orders",
        tenant_fk=False,
        drop_constraints=[
            ("uq_orders_order_id", "unique"),
            ("fk_orders_user_id_users", "foreignkey"),
        ],
        drop_indexes=["ix_orders_user_id"],
        unique=[["tenant_id", "order_id"]],
        user_key="NO ACTION",
        indexes={"ix_orders_tenant_id_user_id": USER_KEY},
        autoincrement=True,
    ),
    Change(
        "access_tokens",
        tenant_fk=False,
        drop_constraints=[("fk_access_tokens_user_id_users", "foreignkey")],
        drop_indexes=["ix_access_tokens_user_id"],
        user_key="CASCADE",
        indexes={"ix_access_tokens_tenant_id_user_id": USER_KEY},
    ),
    Change(
        "user_addresses",
        tenant_fk=False,
        drop_constraints=[
            ("fk_user_addresses_user_id_users", "foreignkey"),
            ("pk_user_addresses", "primary"),
        ],
        primary_key=["tenant_id", "user_id", "address_key"],
        user_key="CASCADE",
    ),
    Change(
        "user_links",
        tenant_fk=False,
        drop_constraints=[
            ("fk_user_links_user_id_users", "foreignkey"),
            ("pk_user_links", "primary"),
        ],
        primary_key=USER_KEY,
        user_key="CASCADE",
    ),
    Change(
        "service_option_holds",
        tenant_fk=False,
        drop_constraints=[
            ("fk_service_option_holds_user_id_users", "foreignkey"),
            ("uq_service_option_holds_user_id", "unique"),
        ],
        unique=[USER_KEY],
        user_key="CASCADE",
        autoincrement=True,
    ),
    Change(
        "shoppers",
        drop_constraints=[("uq_shoppers_email", "unique"), ("uq_shoppers_phone", "unique")],
        unique=[["tenant_id", "email"], ["tenant_id", "phone"]],
        autoincrement=True,
    ),
    Change(
        "instacart_users",
        drop_constraints=[("uq_instacart_users_email", "unique")],
        unique=[["tenant_id", "email"]],
        autoincrement=True,
    ),
    Change(
        "ratings",
        drop_constraints=[("uq_ratings_source_dedupe_key", "unique")],
        unique=[["tenant_id", "source", "dedupe_key"]],
        autoincrement=True,
    ),
    Change("batches", autoincrement=True),
    Change("events", tenant_fk=False, tenant_index=True, autoincrement=True),
    Change(
        "pos_transactions",
        drop_constraints=[("pk_pos_transactions", "primary")],
        primary_key=["tenant_id", "transaction_id"],
    ),
]


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    tenants = op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", aftercart_types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sqlite_autoincrement=True,
    )
    op.bulk_insert(
        tenants,
        [{"id": DEFAULT_TENANT, "name": "default", "created_at": aftercart_types.utcnow()}],
    )
    if not sqlite:
        bind.exec_driver_sql("SELECT setval(pg_get_serial_sequence('tenants', 'id'), 1)")
        for change in CHANGES:
            if change.user_key is not None:
                name = next(n for n, kind in change.drop_constraints if kind == "foreignkey")
                op.drop_constraint(name, change.table, type_="foreignkey")
    moved = _empty_for_rebuild(bind) if sqlite else None
    for change in CHANGES:
        _apply(change, sqlite=sqlite)
    if moved is not None:
        _refill(bind, *moved)


def _apply(change: Change, *, sqlite: bool) -> None:
    with op.batch_alter_table(
        change.table,
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True} if change.autoincrement else {},
    ) as batch:
        batch.add_column(
            sa.Column(
                "tenant_id",
                sa.Integer(),
                nullable=False,
                server_default=None if sqlite else str(DEFAULT_TENANT),
            )
        )
        for name, kind in change.drop_constraints:
            if sqlite or kind != "foreignkey" or change.user_key is None:
                batch.drop_constraint(name, type_=kind)
        for name in change.drop_indexes:
            batch.drop_index(name)
        if change.primary_key is not None:
            batch.create_primary_key(f"pk_{change.table}", change.primary_key)
        for columns in change.unique:
            batch.create_unique_constraint(f"uq_{change.table}_{'_'.join(columns)}", columns)
        if change.tenant_fk:
            batch.create_foreign_key(
                f"fk_{change.table}_tenant_id_tenants", "tenants", ["tenant_id"], ["id"]
            )
        if change.user_key is not None:
            batch.create_foreign_key(
                f"fk_{change.table}_tenant_id_users",
                "users",
                USER_KEY,
                USER_KEY,
                ondelete=None if change.user_key == "NO ACTION" else change.user_key,
            )
        if change.tenant_index:
            batch.create_index(f"ix_{change.table}_tenant_id", ["tenant_id"])
        for name, columns in change.indexes.items():
            batch.create_index(name, columns)
    if not sqlite:
        op.alter_column(change.table, "tenant_id", server_default=None)


def _empty_for_rebuild(bind: sa.Connection) -> tuple[list[sa.Table], dict[str, int]]:
    """Copies the tables concerned (and every table below one) aside and empties them; returns
    them, parents first, with the ``sqlite_sequence`` of every table."""
    schema = sa.MetaData()
    schema.reflect(bind)
    names = {change.table for change in CHANGES}
    moved: list[sa.Table] = []
    for table in schema.sorted_tables:
        parents = {key.column.table.name for key in table.foreign_keys}
        if table.name in names or parents & {t.name for t in moved}:
            moved.append(table)
    found = bind.exec_driver_sql("SELECT name, seq FROM sqlite_sequence").all()
    sequence: dict[str, int] = {name: seq for name, seq in found}
    for table in moved:
        bind.exec_driver_sql(f'CREATE TEMP TABLE "{_aside(table)}" AS SELECT * FROM "{table.name}"')
    for table in reversed(moved):
        bind.execute(table.delete())
    return moved, sequence


def _refill(bind: sa.Connection, moved: list[sa.Table], sequence: dict[str, int]) -> None:
    names = {change.table for change in CHANGES}
    for table in moved:
        columns = ", ".join(f'"{column.name}"' for column in table.columns)
        target, source = columns, columns
        if table.name in names:
            target, source = f'{columns}, "tenant_id"', f"{columns}, {DEFAULT_TENANT}"
        bind.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({target}) '
            f'SELECT {source} FROM temp."{_aside(table)}" ORDER BY rowid'
        )
        bind.exec_driver_sql(f'DROP TABLE temp."{_aside(table)}"')
    for name, seq in sequence.items():
        bind.exec_driver_sql(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (seq, name)
        )
        bind.exec_driver_sql(
            "INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
            (name, seq, name),
        )


def _aside(table: sa.Table) -> str:
    return f"_0017_{table.name}"


def downgrade() -> None:
    raise NotImplementedError(
        "0017 cannot be undone: two tenants may hold the same user_id or order_id"
    )
