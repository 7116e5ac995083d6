"""The sandbox clock's limits, without a server."""

from datetime import UTC, datetime, timedelta

import pytest

from aftercart.errors import InvalidParameter
from aftercart.sandbox.clock_rules import EARLIEST, LATEST, MAX_ADVANCE, advanced, check_frozen_at

NOON = datetime(2026, 12, 24, 12, tzinfo=UTC)


def test_a_time_between_the_limits_is_taken_as_it_is() -> None:
    assert [check_frozen_at(t) for t in (EARLIEST, NOON, LATEST)] == [EARLIEST, NOON, LATEST]


@pytest.mark.parametrize(
    "moment",
    [
        EARLIEST - timedelta(microseconds=1),
        LATEST + timedelta(microseconds=1),
        datetime.max.replace(tzinfo=UTC),
    ],
)
def test_a_time_outside_the_limits_is_refused(moment: datetime) -> None:
    with pytest.raises(InvalidParameter) as refused:
        check_frozen_at(moment)
    assert refused.value.key == "frozen_at"


def test_an_advance_moves_forward_by_its_duration() -> None:
    assert advanced(NOON, timedelta(hours=25)) == NOON + timedelta(hours=25)
    assert advanced(NOON, MAX_ADVANCE) == NOON + MAX_ADVANCE
    assert advanced(LATEST - timedelta(seconds=1), timedelta(seconds=1)) == LATEST


@pytest.mark.parametrize(
    ("start", "duration"),
    [
        (NOON, timedelta(0)),
        (NOON, timedelta(seconds=-1)),
        (NOON, MAX_ADVANCE + timedelta(microseconds=1)),
        (LATEST, timedelta(seconds=1)),
    ],
)
def test_an_advance_that_is_not_forward_or_goes_past_the_limit_is_refused(
    start: datetime, duration: timedelta
) -> None:
    with pytest.raises(InvalidParameter) as refused:
        advanced(start, duration)
    assert refused.value.key == "duration"
