"""Models as answerers: Bradley–Terry strength from peer reviews and from people, win rates.

Peer strength: the pair rows' wins summed per (model, model, length bin) from the roll-ups
(``analytics.rollups``), a matrix of a few models, one fit. Its interval is a percentile
bootstrap over runs when the filtered runs are few enough to resample
(``BOOTSTRAP_RUN_LIMIT``), else the Wald interval of the fit (the report says which).
People's strength: each vote's pick beats every other answer of its run (a full ranking gives
every pair), fitted the same way, Wald intervals.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, case, func, select

from llmcouncil.analytics import rollups
from llmcouncil.analytics.queries import AnalyticsFilter
from llmcouncil.analytics.schemas import (
    AnswererRow,
    ChairmanRow,
    Estimate,
    IntervalMethod,
    ModelsReport,
)
from llmcouncil.analytics.stats import (
    Z95,
    BradleyTerryFit,
    Interval,
    PairCount,
    bootstrap_over_runs,
    fit_bradley_terry,
    wilson,
)
from llmcouncil.analytics.tables import PAIR_FIGURES
from llmcouncil.feedback.tables import VOTES

BOOTSTRAP_RUN_LIMIT = 500
BOOTSTRAP_ROUNDS = 200


def count_runs(connection: Connection, wanted: AnalyticsFilter) -> int:
    return int(sum(g.sums["rows"] for g in rollups.totals(connection, rollups.RUNS, wanted)))


def models_report(connection: Connection, wanted: AnalyticsFilter) -> ModelsReport:
    runs = count_runs(connection, wanted)
    peer_pairs, length_pairs = _peer_pairs(connection, wanted)
    peer = fit_bradley_terry(peer_pairs)
    controlled = fit_bradley_terry(length_pairs, with_covariate=True)
    method: IntervalMethod = "wald"
    intervals = {m: peer.interval(k) for k, m in enumerate(peer.models)}
    if 0 < runs <= BOOTSTRAP_RUN_LIMIT and peer.models:
        method = "bootstrap_runs"
        for model, (low, high) in zip(
            peer.models, _bootstrap(connection, wanted, peer.models), strict=True
        ):
            intervals[model] = Interval(estimate=intervals[model].estimate, low=low, high=high)
    votes = _votes(connection, wanted)
    human = fit_bradley_terry(_human_pairs(votes))
    picks = _human_picks(votes)
    rows = []
    for model, stats in sorted(_answer_stats(connection, wanted).items()):
        if wanted.model is not None and model != wanted.model:
            continue
        comparisons = int(stats["comparisons"])
        picked, voted = picks.get(model, (0, 0))
        rows.append(
            AnswererRow(
                model=model,
                answers=int(stats["rows"]),
                strength=Estimate.of(intervals.get(model), comparisons),
                length_controlled_strength=_fitted(controlled, model),
                human_strength=_fitted(human, model),
                win_rate=Estimate.of(wilson(stats["wins"], comparisons), comparisons),
                top_rate=Estimate.of(wilson(stats["won"], int(stats["rows"])), int(stats["rows"])),
                human_pick_rate=Estimate.of(wilson(picked, voted), voted),
                first_place_votes=int(stats["first_places"]),
            )
        )
    rows.sort(key=lambda r: -(r.strength.value if r.strength.value is not None else -1e9))
    slope = controlled.slope
    slope_error = controlled.slope_error
    length_effect = Estimate.of(
        Interval(slope, slope - Z95 * slope_error, slope + Z95 * slope_error)
        if slope is not None and slope_error is not None
        else None,
        int(sum(p.a_wins + p.b_wins for p in length_pairs)),
    )
    return ModelsReport(
        filters=wanted.public(),
        runs=runs,
        interval_method=method,
        length_effect=length_effect,
        models=rows,
        chairmen=_chairmen(connection, wanted),
    )


def _fitted(fit: BradleyTerryFit, model: str) -> Estimate:
    if model not in fit.models:
        return Estimate.of(None, 0)
    k = fit.models.index(model)
    return Estimate.of(fit.interval(k), int(fit.comparisons[k]))


def _peer_pairs(
    connection: Connection, wanted: AnalyticsFilter
) -> tuple[list[PairCount], list[PairCount]]:
    keyed: dict[tuple[str, str, int], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for group in rollups.totals(connection, rollups.PAIRS, wanted):
        a, b, length_bin = group.key
        keyed[(a, b, int(length_bin))][0] += group.sums["a_wins"]
        keyed[(a, b, int(length_bin))][1] += group.sums["b_wins"]
    binned = [
        PairCount(a=a, b=b, a_wins=w[0], b_wins=w[1], covariate=length_bin / 4)
        for (a, b, length_bin), w in sorted(keyed.items())
    ]
    summed: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for pair in binned:
        summed[(pair.a, pair.b)][0] += pair.a_wins
        summed[(pair.a, pair.b)][1] += pair.b_wins
    plain = [PairCount(a=a, b=b, a_wins=w[0], b_wins=w[1]) for (a, b), w in summed.items()]
    return plain, binned


def _bootstrap(
    connection: Connection, wanted: AnalyticsFilter, models: list[str]
) -> list[tuple[float, float]]:
    table = PAIR_FIGURES
    index = {m: k for k, m in enumerate(models)}
    query = select(
        table.c.run_id, table.c.model_a, table.c.model_b, table.c.a_wins, table.c.b_wins
    ).where(wanted.where(table))
    per_run: dict[str, list[tuple[int, int, float, float]]] = defaultdict(list)
    for run_id, a, b, aw, bw in connection.execute(query):
        per_run[run_id].append((index[a], index[b], float(aw), float(bw)))
    ordered = [per_run[k] for k in sorted(per_run)]
    return bootstrap_over_runs(ordered, len(models), rounds=BOOTSTRAP_ROUNDS, seed=len(ordered))


def _answer_stats(connection: Connection, wanted: AnalyticsFilter) -> dict[str, dict[str, float]]:
    """Per model: its answers' sums (every model: the model filter picks rows afterwards)."""
    return rollups.summed(rollups.totals(connection, rollups.ANSWERS, wanted), by=0)


def _votes(connection: Connection, wanted: AnalyticsFilter) -> list[Any]:
    query = select(VOTES.c.preferred_label, VOTES.c.ranking, VOTES.c.label_to_model).where(
        wanted.where(VOTES, time="updated_at"), VOTES.c.preferred_label.is_not(None)
    )
    return list(connection.execute(query))


def _human_pairs(votes: list[Any]) -> list[PairCount]:
    wins: dict[tuple[str, str], float] = defaultdict(float)
    for preferred, ranking, labels in votes:
        labels = labels or {}
        order = list(ranking) if ranking else [preferred]
        for i, better in enumerate(order):
            worse_ones = order[i + 1 :] if ranking else [x for x in labels if x != preferred]
            for worse in worse_ones:
                if better in labels and worse in labels and labels[better] != labels[worse]:
                    wins[(labels[better], labels[worse])] += 1.0
    return [PairCount(a=a, b=b, a_wins=w, b_wins=0.0) for (a, b), w in wins.items()]


def _human_picks(votes: list[Any]) -> dict[str, tuple[int, int]]:
    """Per model: (votes that picked it, votes on runs where it answered)."""
    picks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for preferred, _ranking, labels in votes:
        for label, model in (labels or {}).items():
            picks[model][1] += 1
            if label == preferred:
                picks[model][0] += 1
    return {m: (p[0], p[1]) for m, p in picks.items()}


def _chairmen(connection: Connection, wanted: AnalyticsFilter) -> list[ChairmanRow]:
    query = (
        select(
            VOTES.c.chairman,
            func.count(),
            func.sum(case((VOTES.c.rating == "up", 1), else_=0)),
        )
        .where(wanted.where(VOTES, time="updated_at", model="chairman"))
        .where(VOTES.c.rating.is_not(None), VOTES.c.chairman.is_not(None))
        .group_by(VOTES.c.chairman)
    )
    return [
        ChairmanRow(model=model, rated_up=Estimate.of(wilson(int(up or 0), int(n)), int(n)))
        for model, n, up in connection.execute(query)
    ]
