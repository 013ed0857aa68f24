"""The report as one self-contained HTML page: inline CSS and SVG charts, no external assets.

Every value taken from the report (names, categories, judge ids) is escaped; the page runs no
script, so it can be opened from disk, mailed or served as it is.
"""

from __future__ import annotations

from html import escape
from typing import Any

_WIDTH = 560
_BAR = 18
_LABEL = 190
_COLOURS = {"win": "#2e8b57", "tie": "#b0b7c3", "loss": "#c0392b"}

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:980px;
color:#1d2330;background:#fff;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.note{padding:.6rem .8rem;border-radius:6px;background:#fff4d6;border:1px solid #e9c46a}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{padding:.3rem .5rem;
border-bottom:1px solid #e3e6ec;text-align:right}th:first-child,td:first-child{text-align:left}
.muted{color:#667}td.q{text-align:left}svg text{font:12px system-ui,sans-serif;fill:#1d2330}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;
vertical-align:middle}
@media (prefers-color-scheme:dark){body{background:#14171c;color:#e6e8ec}
th,td{border-color:#2c313a}svg text{fill:#e6e8ec}.note{background:#3a3220;border-color:#6b5a2a}}
"""


def render_html(report: dict[str, Any]) -> str:
    meta = report["evaluation"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Evaluation {escape(str(meta['name']))}</title><style>{_STYLE}</style></head>",
        "<body>",
        f"<h1>Is the council worth it? — {escape(str(meta['name']))}</h1>",
        f"<p class='muted'>{meta['questions']} questions · strategies: "
        f"{escape(', '.join(meta['strategies']))} · judges: {escape(', '.join(meta['judges']))}"
        "</p>",
    ]
    if report.get("simulated"):
        parts.append(
            "<p class='note'><strong>Simulated.</strong> Every answer and verdict in this "
            "report came from the built-in simulated upstream (demo mode); it says nothing "
            "about real models.</p>"
        )
    parts += _comparisons(report)
    parts += _strategies(report)
    parts += _judging(report)
    parts += _questions(report)
    parts.append("</body></html>")
    return "\n".join(parts)


def _legend() -> str:
    items = "".join(
        f"<span style='background:{colour}'></span>{name}" for name, colour in _COLOURS.items()
    )
    return f"<p class='legend'>{items}</p>"


def _x(net: float) -> float:
    """Where a net score (−1…1) falls across the bar."""
    return _LABEL + _WIDTH * (net + 1) / 2


def _wtl_chart(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """One stacked bar per row (win/tie/loss shares) and the net score's 95 % interval."""
    height = len(rows) * (_BAR + 10) + 10
    bars = []
    for i, (label, c) in enumerate(rows):
        y = 10 + i * (_BAR + 10)
        x = _LABEL
        bars.append(f"<text x='0' y='{y + 13}'>{escape(label[:28])}</text>")
        n = max(1, c["n"])
        for key, count in (("win", c["wins"]), ("tie", c["ties"]), ("loss", c["losses"])):
            w = _WIDTH * count / n
            if w > 0:
                bars.append(
                    f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='{_BAR}' "
                    f"fill='{_COLOURS[key]}'><title>{key}: {count}</title></rect>"
                )
            x += w
        net = c["net"]
        # The net score (−1…1) drawn over the bar: a tick and its interval.
        lo, hi, value = (
            _LABEL + _WIDTH * (v + 1) / 2 for v in (net["low"], net["high"], net["value"])
        )
        mid = y + _BAR / 2
        bars.append(
            f"<line x1='{lo:.1f}' x2='{hi:.1f}' y1='{mid}' y2='{mid}' stroke='#111' "
            f"stroke-width='2'/><circle cx='{value:.1f}' cy='{mid}' r='3.5' fill='#111'>"
            f"<title>net {net['value']:+.2f} [{net['low']:+.2f}, {net['high']:+.2f}]</title>"
            "</circle>"
        )
    total = _LABEL + _WIDTH + 10
    return (
        f"<svg width='{total}' height='{height}' viewBox='0 0 {total} {height}' role='img' "
        f"aria-label='win tie loss'>{''.join(bars)}</svg>"
    )


def _pct(interval: dict[str, float]) -> str:
    return (
        f"{interval['value'] * 100:.0f}% "
        f"<span class='muted'>[{interval['low'] * 100:.0f}–{interval['high'] * 100:.0f}]</span>"
    )


def _comparisons(report: dict[str, Any]) -> list[str]:
    baseline = escape(str(report["baseline"]))
    comparisons = report["comparisons"]
    out = [
        f"<h2>The {baseline} against every other strategy</h2>",
        "<p class='muted'>Bars: the share of questions the council won, tied and lost; the dot "
        "and line: the net score (wins − losses) with its 95 % paired bootstrap interval "
        "(−1 at the left edge, +1 at the right).</p>",
        _legend(),
        _wtl_chart([(c["strategy"], c["overall"]) for c in comparisons]),
        "<table><tr><th>against</th><th>n</th><th>win</th><th>tie</th><th>loss</th>"
        "<th>net</th></tr>",
    ]
    for c in comparisons:
        o = c["overall"]
        out.append(
            f"<tr><td>{escape(c['strategy'])}</td><td>{o['n']}</td><td>{_pct(o['win_rate'])}</td>"
            f"<td>{_pct(o['tie_rate'])}</td><td>{_pct(o['loss_rate'])}</td>"
            f"<td>{o['net']['value']:+.2f} <span class='muted'>[{o['net']['low']:+.2f}, "
            f"{o['net']['high']:+.2f}]</span></td></tr>"
        )
    out.append("</table>")
    categories = report["evaluation"].get("categories") or []
    if len(categories) > 1:
        out.append("<h2>By category</h2>")
        for category in categories:
            rows = [
                (c["strategy"], c["by_category"][category])
                for c in comparisons
                if category in c["by_category"]
            ]
            out.append(f"<h3>{escape(category)}</h3>{_wtl_chart(rows)}")
    return out


def _hbar_chart(rows: list[tuple[str, float]], unit: str) -> str:
    top = max((v for _, v in rows), default=0.0) or 1.0
    height = len(rows) * (_BAR + 8) + 10
    parts = []
    for i, (label, value) in enumerate(rows):
        y = 8 + i * (_BAR + 8)
        w = _WIDTH * value / top
        parts.append(
            f"<text x='0' y='{y + 13}'>{escape(label[:28])}</text>"
            f"<rect x='{_LABEL}' y='{y}' width='{w:.1f}' height='{_BAR}' fill='#4a6fa5'/>"
            f"<text x='{_LABEL + w + 4:.1f}' y='{y + 13}'>{value:,.1f} {unit}</text>"
        )
    total = _LABEL + _WIDTH + 120
    box = f"width='{total}' height='{height}' viewBox='0 0 {total} {height}'"
    return f"<svg {box}>{''.join(parts)}</svg>"


def _strategies(report: dict[str, Any]) -> list[str]:
    rows = report["strategies"]
    out = [
        "<h2>What each strategy cost</h2>",
        "<table><tr><th>strategy</th><th>answered</th><th>failed</th><th>calls</th>"
        "<th>tokens / question</th><th>cost</th><th>mean latency</th></tr>",
    ]
    for r in rows:
        cost = "—" if r["cost"] is None else f"${r['cost']:.4f}"
        mean = r["latency_ms"]["mean"]
        out.append(
            f"<tr><td>{escape(r['strategy'])}</td><td>{r['answered']}</td><td>{r['failed']}</td>"
            f"<td>{r['calls']}</td><td>{r['tokens_per_question']:,.0f}</td><td>{cost}</td>"
            f"<td>{'—' if mean is None else f'{mean / 1000:.2f} s'}</td></tr>"
        )
    out.append("</table><h3>Tokens per question</h3>")
    out.append(_hbar_chart([(r["strategy"], r["tokens_per_question"]) for r in rows], "tok"))
    latencies = [(r["strategy"], (r["latency_ms"]["mean"] or 0) / 1000) for r in rows]
    out.append("<h3>Mean latency</h3>" + _hbar_chart(latencies, "s"))
    return out


def _judging(report: dict[str, Any]) -> list[str]:
    judging = report["judging"]
    agreement = judging["agreement"]
    kappa = agreement["fleiss_kappa"]
    share = agreement["percent"]
    consistency = judging["position_consistency"]
    out = [
        "<h2>The judges</h2>",
        "<p>Position consistency (both orders agreed): "
        f"{'—' if consistency is None else f'{consistency * 100:.0f}%'} · agreement between "
        f"judges: {'—' if share is None else f'{share * 100:.0f}%'} of judge pairs, Fleiss' κ "
        f"{'—' if kappa is None else f'{kappa:.2f}'} over {agreement['subjects']} comparisons."
        "</p><table><tr><th>judge</th><th>judgements</th><th>position consistency</th></tr>",
    ]
    for j in judging["judges"]:
        value = j["position_consistency"]
        out.append(
            f"<tr><td>{escape(j['judge'])}</td><td>{j['judgements']}</td>"
            f"<td>{'—' if value is None else f'{value * 100:.0f}%'}</td></tr>"
        )
    spend = judging["spend"]
    cost = "—" if spend["cost"] is None else f"${spend['cost']:.4f}"
    out.append(
        f"</table><p class='muted'>Judging spent {spend['calls']} calls, "
        f"{spend['prompt_tokens'] + spend['completion_tokens']:,} tokens, {cost}.</p>"
    )
    return out


_MARK = {1: ("won", "#2e8b57"), 0: ("tie", "#8a93a3"), -1: ("lost", "#c0392b")}


def _questions(report: dict[str, Any]) -> list[str]:
    """Every question with the council's outcome against each strategy, folded away."""
    others = [c["strategy"] for c in report["comparisons"]]
    head = "".join(f"<th>{escape(name)}</th>" for name in others)
    out = [
        "<details><summary><strong>Question by question</strong></summary>",
        f"<table><tr><th>#</th><th>question</th><th>category</th>{head}</tr>",
    ]
    for row in report.get("per_question", []):
        cells = []
        for name in others:
            word, colour = _MARK.get(row["outcomes"].get(name, 0), _MARK[0])
            cells.append(f"<td style='color:{colour}'>{word}</td>")
        question = escape(str(row.get("question", "")))
        out.append(
            f"<tr><td>{row['index'] + 1}</td><td class='q'>{question}</td>"
            f"<td>{escape(str(row['category']))}</td>{''.join(cells)}</tr>"
        )
    out.append("</table></details>")
    return out
