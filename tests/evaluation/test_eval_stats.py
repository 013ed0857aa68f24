"""The statistics against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from llmcouncil.evaluation.judging import combine, outcome_in_order
from llmcouncil.evaluation.stats import (
    compare,
    fleiss_kappa,
    majority,
    percent_agreement,
    position_consistency,
)


def test_win_tie_loss_and_a_paired_bootstrap_on_given_resamples() -> None:
    # Outcomes of 4 questions; three resamples of the questions, chosen by hand.
    picks = np.array([[0, 0, 0, 0], [1, 2, 3, 0], [2, 2, 2, 2]])
    result = compare([1, 0, -1, 1], indices=picks)
    assert (result.wins, result.ties, result.losses) == (2, 1, 1)
    # Win rates of the resamples: 1, 0.5, 0 → 2.5th/97.5th percentiles (linear) 0.025, 0.975.
    assert result.win_rate.value == 0.5
    assert result.win_rate.low == pytest.approx(0.025)
    assert result.win_rate.high == pytest.approx(0.975)
    # Net (wins − losses) of the resamples: 1, 0.25, −1 → −0.9375 and 0.9625; point 0.25.
    assert result.net.value == 0.25
    assert result.net.low == pytest.approx(-0.9375)
    assert result.net.high == pytest.approx(0.9625)
    assert result.tie_rate.value == 0.25
    assert result.loss_rate.value == 0.25


def test_a_unanimous_outcome_has_a_zero_width_interval() -> None:
    result = compare([1] * 10, seed=3)
    assert result.win_rate.as_dict() == {"value": 1.0, "low": 1.0, "high": 1.0}
    assert result.net.as_dict() == {"value": 1.0, "low": 1.0, "high": 1.0}


def test_the_interval_narrows_with_more_questions() -> None:
    small = compare([1, 0] * 5, seed=1)
    large = compare([1, 0] * 200, seed=1)
    assert small.win_rate.value == large.win_rate.value == 0.5
    assert large.win_rate.high - large.win_rate.low < small.win_rate.high - small.win_rate.low


def test_no_questions_gives_zeros() -> None:
    assert compare([]).n == 0


def test_fleiss_kappa_by_hand() -> None:
    # Subjects' category counts (−1, 0, 1): [0,0,2], [0,2,0], [1,0,1]; p = 1/6, 2/6, 3/6;
    # P_i = 1, 1, 0 → P̄ = 2/3; P_e = 14/36 → κ = (2/3 − 7/18) / (1 − 7/18) = 5/11.
    assert fleiss_kappa([[1, 1], [0, 0], [1, -1]]) == pytest.approx(5 / 11)
    assert fleiss_kappa([[1, 1], [1, 1]]) is None  # one category only: undefined
    assert fleiss_kappa([[1]]) is None  # one judge


def test_percent_agreement_and_majority() -> None:
    assert percent_agreement([[1, 1, 0], [0, 0, 0]]) == pytest.approx(4 / 6)
    assert percent_agreement([[1]]) is None
    assert majority([1, 1, -1]) == 1
    assert majority([1, -1]) == 0
    assert majority([-1, 0, 0]) == -1


def test_position_consistency_and_combining_both_orders() -> None:
    assert position_consistency([True, False, True, True]) == 0.75
    assert position_consistency([]) is None
    # A shown first wins ("1"), then B shown first loses ("2"): a consistent win for A.
    assert combine("1", "2") == (1, True)
    assert combine("2", "1") == (-1, True)
    # "1" in both orders follows the position, not the answer: a tie, inconsistent.
    assert combine("1", "1") == (0, False)
    assert combine("tie", "tie") == (0, True)
    assert combine(None, "2") == (0, False)
    assert outcome_in_order("2", first_is_a=False) == 1
