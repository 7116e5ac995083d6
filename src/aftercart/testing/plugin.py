"""The pytest plugin that installing Aftercart registers (entry point ``pytest11``).

Fixtures only: no hooks, no options, nothing autouse, and nothing of Aftercart imported until a
test asks for a fixture, so that a suite that never uses them does not notice them.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aftercart.testing.harness import Aftercart


@pytest.fixture(scope="session")
def aftercart_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database holding the sample stores and products, made once per
    session (per worker under xdist); every ``aftercart`` starts on a copy of it."""
    from aftercart.testing.inprocess import make_template

    return make_template(tmp_path_factory.mktemp("aftercart") / "template.db")


@pytest.fixture
def aftercart_settings() -> dict[str, Any]:
    """Settings for ``aftercart`` over its defaults, e.g. ``{"remove_shopper_information":
    True}``; override this fixture to change them."""
    return {}


@pytest.fixture
def aftercart(
    aftercart_database: Path,
    aftercart_settings: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator["Aftercart"]:
    """Aftercart started in this process on a fresh database (the sandbox on, no webhook
    worker), with ``.client`` holding a client-credentials token and helpers that drive it."""
    from aftercart.testing.harness import running

    database = tmp_path_factory.mktemp("aftercart") / "aftercart.db"
    with running(aftercart_database, database, **aftercart_settings) as harness:
        yield harness
