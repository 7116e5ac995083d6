"""Every way a command can fail for a reason people can fix is one line on stderr, naming the
problem and what to do, with a non-zero exit; ``--debug`` shows the traceback instead."""

import json
import uuid
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from aftercart.auth.service import IssuedCredentials
from aftercart.cli.failures import Failure
from aftercart.cli.main import app
from aftercart.db.engine import normalize_url
from tests.cli.helpers import cli
from tests.conftest import POSTGRES_URL, requires_postgres
from tests.stream.processes import free_port

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"

#: Every command that works on the database, with the arguments it needs to get that far.
DATA_COMMANDS = [
    ("clients", "create", "--name", "Shop"),
    ("clients", "list"),
    ("catalog", "import", "products.csv"),
    ("stores", "import", "stores.csv"),
    ("marketplaces", "create", "yandex_eats"),
    ("feedback", "export", "--format", "csv"),
    ("webhooks", "add", "--client-id", "c", "--url", "https://example.com/hooks"),
    ("webhooks", "list"),
    ("webhooks", "remove", "1"),
    ("webhooks", "test", "1"),
    ("webhooks", "deliveries", "1"),
    ("webhooks", "delivery", "1"),
    ("webhooks", "redeliver", "1"),
    ("webhooks", "prune"),
    ("worker",),
]


def run(*args: str, **env: str | None) -> Result:
    """The command as people run it: exceptions are not the runner's to catch."""
    return CliRunner(env=env).invoke(app, list(args))


def one_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return lines[0]


def test_an_unreachable_postgres_is_one_line() -> None:
    result = run("clients", "list", AFTERCART_DATABASE_URL=UNREACHABLE)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "error: cannot connect to PostgreSQL at 127.0.0.1:1 (connection refused); "
        "is the server running? Set AFTERCART_DATABASE_URL or --database-url"
    )
    assert result.stdout == ""


@pytest.mark.parametrize("command", [*DATA_COMMANDS, ("db", "upgrade")], ids=" ".join)
def test_every_command_tells_an_unreachable_database_in_one_line(
    command: tuple[str, ...],
) -> None:
    result = run(*command, "--database-url", UNREACHABLE)
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in one_error_line(result)


def test_serve_tells_an_unreachable_database_in_one_line() -> None:
    result = run("serve", "--port", str(free_port()), "--database-url", UNREACHABLE)
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL at 127.0.0.1:1" in one_error_line(result)
    assert "Aftercart on" not in result.stdout


@requires_postgres
def test_a_missing_postgres_database_is_one_line() -> None:
    server = make_url(normalize_url(str(POSTGRES_URL)))
    name = f"aftercart_missing_{uuid.uuid4().hex[:8]}"
    url = server.set(database=name).render_as_string(hide_password=False)
    for command in (("clients", "list"), ("db", "upgrade")):
        result = run(*command, AFTERCART_DATABASE_URL=url)
        assert result.exit_code == 1
        line = one_error_line(result)
        assert line.startswith(f'error: no database "{name}" on PostgreSQL at '), line
        assert f"createdb -h {server.host}" in line


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://app@db/shop", "names a mysql database; Aftercart runs on SQLite or PostgreSQL"),
        ("not a url", "is not a database URL ('not a url')"),
        ("postgresql+psycopg://app@db/shop", "asks for the psycopg driver"),
    ],
)
def test_a_database_url_aftercart_cannot_use_is_one_line(url: str, problem: str) -> None:
    from_env = run("clients", "list", AFTERCART_DATABASE_URL=url)
    assert from_env.exit_code == 1
    assert one_error_line(from_env).startswith(f"error: AFTERCART_DATABASE_URL {problem}")
    from_option = run("db", "upgrade", "--database-url", url)
    assert from_option.exit_code == 1
    assert one_error_line(from_option).startswith(f"error: --database-url {problem}")


def test_a_data_command_elsewhere_does_not_create_a_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("clients", "create", "--name", "Shop", AFTERCART_DATABASE_URL=None)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"error: no database at {tmp_path / 'aftercart.db'} (./aftercart.db is relative to the "
        "current folder); create one with 'aftercart db upgrade' or 'aftercart serve', "
        "or set AFTERCART_DATABASE_URL or --database-url to an existing one"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", DATA_COMMANDS, ids=" ".join)
def test_no_data_command_creates_a_sqlite_file(command: tuple[str, ...], tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = run(*command, "--database-url", f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert one_error_line(result).startswith(f"error: no database at {missing};")
    assert not missing.exists()


async def test_database_url_wins_and_the_database_is_named_on_stderr(
    db_url: str, tmp_path: Path
) -> None:
    result = await cli(
        f"sqlite:///{tmp_path / 'elsewhere.db'}",
        "clients",
        "list",
        "--json",
        "--database-url",
        db_url,
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    shown = make_url(normalize_url(db_url)).render_as_string(hide_password=True)
    assert result.stderr.splitlines()[0] == f"database: {shown}"


async def test_every_field_problem_of_a_subscription_is_told(
    db_url: str, creds: IssuedCredentials
) -> None:
    result = await cli(
        db_url,
        *("webhooks", "add", "--client-id", creds.client_id),
        *("--url", "ftp://x", "--event", "nope"),
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        "error: event_names[0]: is not included in the list",
        "error: url: must be an http or https URL",
    ]


def test_a_delivery_status_outside_the_list_is_a_usage_error() -> None:
    result = run("webhooks", "deliveries", "2", "--status", "bogus")
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "'bogus' is not one of 'pending', 'succeeded', 'failed'" in line
    assert line.endswith(" webhooks deliveries --help')")


def test_a_rating_source_outside_the_list_is_a_usage_error() -> None:
    result = run("feedback", "export", "--format", "csv", "--source", "ubereats")
    assert result.exit_code == 2
    assert "is not one of 'connect', 'yandex_eats'" in one_error_line(result)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("clients", "list", "--bogus"), "No such option: --bogus"),
        (("--bogus",), "No such option: --bogus"),
        (("clients", "create"), "Missing option '--name'."),
        (("nosuch",), "No such command 'nosuch'."),
        (("serve", "--port", "99999"), "Invalid value for '--port'"),
        (("serve", "--port", "0"), "Invalid value for '--port'"),
    ],
)
def test_a_bad_option_is_one_line(args: tuple[str, ...], problem: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert problem in one_error_line(result)


def test_production_refuses_laptop_settings_before_listening(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    result = run(
        *("serve", "--port", str(free_port()), "--database-url", f"sqlite:///{database}"),
        AFTERCART_ENV="production",
        AFTERCART_CORS_ORIGINS="*",
    )
    assert result.exit_code == 1
    assert one_error_line(result).startswith("error: refusing to start in production mode: ")
    assert "Aftercart on" not in result.stdout
    assert not database.exists()


def test_a_bad_setting_is_named() -> None:
    result = run("clients", "list", AFTERCART_TOKEN_TTL_SECONDS="a day")
    assert result.exit_code == 1
    assert one_error_line(result).startswith("error: AFTERCART_TOKEN_TTL_SECONDS: ")


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--debug", "clients", "list"), {}), (("clients", "list"), {"AFTERCART_DEBUG": "1"})],
)
def test_debug_shows_the_traceback(args: tuple[str, ...], env: dict[str, str]) -> None:
    result = run(*args, AFTERCART_DATABASE_URL=UNREACHABLE, **env)
    assert result.exit_code == 1
    assert isinstance(result.exception, Failure)
    assert isinstance(result.exception.__cause__, ConnectionRefusedError)
    assert "error: " not in result.stderr
