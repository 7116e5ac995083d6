"""The pytest plugin as a retailer's suite gets it: loaded from the installed entry point."""

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from aftercart.testing import plugin

pytest_plugins = ["pytester"]

DOCS = Path(__file__).parents[2] / "docs"
EXAMPLE = DOCS / "examples" / "test_my_integration.py"
#: A strict suite of a retailer's: warnings are errors (pytest-asyncio, installed here, warns
#: when its loop scope is not set).
STRICT_INI = """[pytest]
addopts = -p no:cacheprovider --strict-markers --strict-config
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""


def run_pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makeini(STRICT_INI)
    return pytester.runpytest_subprocess(*args)


def test_the_entry_point_names_the_plugin() -> None:
    (found,) = [e for e in entry_points(group="pytest11") if e.name == "aftercart"]
    assert found.value == "aftercart.testing.plugin"


def test_the_plugin_defines_fixtures_and_no_hooks() -> None:
    assert [name for name in vars(plugin) if name.startswith("pytest_")] == []


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    heavy = ["aftercart.app", "fastapi", "sqlalchemy", "httpx", "anyio"]
    code = f"import sys, aftercart.testing.plugin; print([m for m in {heavy} if m in sys.modules])"
    answer = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert answer.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_example_passes_in_a_retailers_suite(pytester: pytest.Pytester) -> None:
    """A fresh pytest process, in a folder with no configuration or conftest of ours: the
    fixture comes only from the installed entry point. The examples in docs/sandbox.md and in the
    README too."""
    pytester.makepyfile(
        test_my_integration=EXAMPLE.read_text(),
        test_from_docs=docs_example(DOCS / "sandbox.md"),
        test_from_readme=docs_example(DOCS.parent / "README.md"),
    )
    result = run_pytest(pytester)
    result.assert_outcomes(passed=8)


def docs_example(page: Path) -> str:
    """Every Python block of the page's "Use Aftercart in your tests" section, one file."""
    section = page.read_text().split("## Use Aftercart in your tests")[1].split("\n## ")[0]
    return "\n\n".join(block.split("```")[0] for block in section.split("```python\n")[1:])


@pytest.mark.slow
def test_a_suite_that_does_not_use_it_sets_nothing_up(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain(tmp_path):\n    assert tmp_path.is_dir()\n")
    result = run_pytest(pytester, "--setup-plan")
    result.stdout.fnmatch_lines(["plugins: *aftercart-*"])  # loaded, yet nothing set up
    result.stdout.no_fnmatch_line("*SETUP*aftercart*")
    ran = run_pytest(pytester)
    ran.assert_outcomes(passed=1)


@pytest.mark.slow
def test_settings_are_overridden_by_a_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_settings="""
import pytest

@pytest.fixture
def aftercart_settings():
    return {"remove_shopper_information": True}

def test_no_shopper_shown(aftercart):
    user_id = aftercart.user()
    order = aftercart.order(user_id)
    aftercart.advance(order, to="picking")
    token = aftercart.user_token(user_id)
    handling = aftercart.client.get(
        f"/v2/post_checkout/orders/{order['id']}/handling",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert handling.status_code == 200, handling.text
    assert handling.json().get("shopper") is None
"""
    )
    result = run_pytest(pytester)
    result.assert_outcomes(passed=1)
