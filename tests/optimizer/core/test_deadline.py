"""Deadline: one clock per solve, the stages' shares from one table."""

from __future__ import annotations

import math
import time

import pytest

from optimizer.core.deadline import SHARES, Deadline, search_seconds


def test_without_a_limit_nothing_runs_out():
    clock = Deadline(None)
    assert clock.left() == math.inf and clock.at == math.inf and clock.left_or_none() is None
    assert clock.share("search") is None and clock.budget("search", unlimited=7.0) == 7.0


def test_shares_come_from_the_table_and_shrink_with_the_time_left():
    clock = Deadline(10.0)
    assert clock.share("search") == pytest.approx(SHARES["search"] * 10.0, rel=0.01)
    assert clock.budget("bound", unlimited=99.0) == pytest.approx(SHARES["bound"] * 10.0, rel=0.01)
    late = Deadline(0.05)
    time.sleep(0.06)
    assert late.left() == 0.0 and late.left_or_none(floor=0.05) == 0.05 and late.share("root") == 0.0
    with pytest.raises(KeyError):
        clock.share("nonsense")
    assert search_seconds(100) == 3.0
