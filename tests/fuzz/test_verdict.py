"""How the fuzzing runner reads schemathesis's exit code together with its report."""

import pytest

from tests.fuzz.run import FAILED, PASSED, TOOL_ERROR, _failures, _verdict


def _report(cases: str, errors: list[str]) -> str:
    lines = ["SUMMARY ====================", "", "Test Phases:", "  🚫 Coverage", ""]
    if errors:
        lines += ["Errors:", *(f"  🚫 {title}: 1" for title in errors), ""]
    return "\n".join([*lines, "Test cases:", f"  {cases}", "", "Seed: 1"])


@pytest.mark.parametrize(
    ("cases", "errors", "code", "verdict"),
    [
        ("10 generated, 10 passed", [], 0, PASSED),
        ("10 generated, 10 passed", ["Runtime Error"], 1, TOOL_ERROR),
        ("10 generated, 2 found 1 unique failure", ["Runtime Error"], 1, FAILED),
        ("10 generated, 2 found 1 unique failure", [], 1, FAILED),
        ("10 generated, 10 passed", ["Network Error"], 1, FAILED),
        ("10 generated, 10 passed", ["Runtime Error", "Server Unavailable"], 1, FAILED),
        ("No test cases were generated", [], 1, FAILED),
    ],
)
def test_only_schemathesis_own_errors_leave_a_run_passed(
    cases: str, errors: list[str], code: int, verdict: str
) -> None:
    assert _verdict(_report(cases, errors), code) == verdict


def test_a_report_without_a_summary_fails() -> None:
    assert _verdict("Traceback (most recent call last):", 1) == FAILED


def test_failures_and_errors_are_both_printed() -> None:
    output = "\n".join(
        [
            "head",
            "==== FAILURES ====",
            "a failing case",
            "==== ERRORS ====",
            "a timeout",
            "==== WARNINGS ====",
            "a warning",
            "SUMMARY ====",
        ]
    )
    printed = _failures(output)
    assert "a failing case" in printed
    assert "a timeout" in printed
    assert "a warning" not in printed
    assert "head" not in printed
