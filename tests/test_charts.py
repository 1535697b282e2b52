"""Chart builders return Vega-Lite specs bound to the analysis tables, and render to SVG offline.

Issue 12: one grade palette, grade labels horizontal, titles that name the lever in words, a
marker at the value as written, tornado bars by end, the least certain units with their names.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import perfsim
from perfsim import analysis as a
from perfsim import charts, labels
from perfsim.simulate import simulate


def walk(spec: object) -> Iterator[dict]:
    """Every dict in a Vega-Lite spec, depth first."""
    if isinstance(spec, dict):
        yield spec
        for value in spec.values():
            yield from walk(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from walk(value)


def datasets(chart) -> list[list[dict]]:
    return list(chart.to_dict()["datasets"].values())


def texts(spec: dict) -> str:
    return " ".join(str(d.get("text", "")) + " " + str(d.get("title", "")) for d in walk(spec))


@pytest.fixture(scope="module")
def built(qitai):
    compiled, data = qitai
    grades = [g.zh for g in compiled.grades]
    names = labels.grade_names(compiled, "zh")
    units = dict(zip(data.units, data.names))
    ev = perfsim.evaluate(compiled, data, detail=True)
    results = perfsim.results_frame(ev)
    mc = a.weight_monte_carlo(compiled, data, 50)
    base = perfsim.evaluate(compiled, data, ranks=True)
    reform = perfsim.evaluate(compiled, data, {"cutoff:优秀": 85.0}, ranks=True)
    comparison = a.compare(base, reform)
    levers = [("cutoff:合格", 60, 80), ("cap:complaints", 0, 4), ("points:department/public", 5, 20)]
    words = {p: labels.parameter_words(compiled, p, "zh") for p, _, _ in levers}
    tornado = a.tornado(compiled, data, levers)
    sim = simulate(compiled, data, years=3, draws=5, seed=1)
    factors = [a.Factor(p, lo, hi) for p, lo, hi in levers]
    cutoff = labels.parameter_words(compiled, "cutoff:优秀", "zh")
    return {
        "distribution": charts.grade_distribution(results, grades, names=names),
        "threshold": charts.sweep_chart(
            a.threshold_sweep(compiled, data, "优秀", np.arange(85, 96)), grades, lever=cutoff, nominal=90, names=names
        ),
        "sweep": charts.sweep_chart(
            a.sweep(compiled, data, "points:department/public", [5, 10, 20]),
            grades,
            lever=words["points:department/public"],
            nominal=10,
            names=names,
            measures=["units changing grade", "mean |rank shift|", "net pay change"],
        ),
        "tornado": charts.tornado_chart(tornado, words, grade_names=dict(zip(grades, names))),
        "probabilities": charts.grade_probability_chart(mc.grade_probabilities, grades, names=names, units=units),
        "ranks": charts.rank_interval_chart(mc.rank_intervals, 10, units=units),
        "cliff": charts.cliff_chart(results, [90, 80, 70], grades, names=names),
        "transitions": charts.transition_chart(comparison.transitions, names=names),
        "shifts": charts.shift_chart(comparison.units, grades, names=names, units=units),
        "sobol": charts.sobol_chart(
            a.sobol(compiled, data, factors, 64, outputs=a.change_outputs(compiled, data)), words
        ),
        "shares over years": charts.grade_share_trajectory(sim.summary(), grades, names=names),
        "yearly": charts.yearly_chart(a.yearly_measures(sim), a.yearly_main_measures(compiled)),
        "counts": charts.grade_counts_chart(
            results.groupby("grade")
            .size()
            .reindex(grades, fill_value=0)
            .rename("units")
            .reset_index()
            .assign(scheme="baseline"),
            grades,
            title="t",
            axis=("grade", "units"),
        ),
    }


def test_every_builder_renders_offline(built, qitai):
    for name, chart in built.items():
        spec = chart.to_dict()
        assert "$schema" in spec, name
        svg = charts.to_svg(chart)
        assert svg.startswith("<svg") and "http://" not in svg.replace("http://www.w3.org", ""), name
    counts = {row["grade"]: row["units"] for row in datasets(built["distribution"])[0]}
    ev = perfsim.evaluate(*qitai)
    names = dict(zip([g.zh for g in qitai[0].grades], labels.grade_names(qitai[0], "zh")))
    assert counts == {names[g]: n for g, n in zip(*np.unique(ev.grade_labels(), return_counts=True))}


def test_one_grade_palette_best_grade_first_and_horizontal_grade_labels(built, qitai):
    names = labels.grade_names(qitai[0], "zh")
    graded = 0
    for name, chart in built.items():
        for node in walk(chart.to_dict()):
            scale = node.get("scale") if isinstance(node.get("scale"), dict) else None
            if scale and scale.get("domain") and set(scale["domain"]) <= set(names) and "range" in scale:
                graded += 1
                order = [names.index(g) for g in scale["domain"]]
                assert order == sorted(order), name  # best grade first
                assert scale["range"] == [charts.GRADE_COLOURS[i] for i in range(len(order))], name
            if node.get("field") in ("grade", "baseline", "reform") and node.get("type") == "nominal":
                axis = node.get("axis") or {}
                assert axis.get("labelAngle", 0) == 0, name
    assert graded >= 7  # every chart that colours grades
    for name in ("distribution", "transitions"):
        angles = [n["axis"]["labelAngle"] for n in walk(built[name].to_dict()) if isinstance(n.get("axis"), dict)]
        assert angles and all(angle == 0 for angle in angles if angle is not None), name


def test_sweeps_name_their_lever_in_words_and_mark_the_value_as_written(built, qitai):
    spec = built["threshold"].to_dict()
    assert "优秀 分数线" in texts(spec)
    rules = [row for rows in datasets(built["threshold"]) for row in rows if "label" in row]
    assert rules == [{"value": 90, "label": "现行方案 90 分"}]
    shares = [row["share"] for row in datasets(built["threshold"])[0]]
    assert max(shares) <= 1 and any(n.get("format") == "%" for n in walk(spec) if "format" in n)
    english = charts.sweep_chart(
        a.threshold_sweep(*qitai, "优秀", [88, 90]),
        [g.zh for g in qitai[0].grades],
        lever=labels.parameter_words(qitai[0], "cutoff:优秀", "en"),
        nominal=90,
        names=labels.grade_names(qitai[0], "en"),
        lang="en",
    )
    assert "Outcomes as the cut-off for excellent moves" in texts(english.to_dict())
    assert "县直部门 · 公众评议 分值" in texts(built["sweep"].to_dict())  # a weight, and its panels of measures
    assert "等次变化的单位数" in texts(built["sweep"].to_dict())


def test_tornado_bars_run_from_the_value_as_written_to_each_end(built):
    spec = built["tornado"].to_dict()
    bars = [row for rows in datasets(built["tornado"]) for row in rows if "end" in row]
    assert "合格 分数线 (60 分 – 80 分)" in {row["lever"] for row in bars}  # each lever with its range
    ends = {row["end"] for row in bars}
    assert ends == {"取区间低端", "取区间高端"}
    assert any(n.get("range") == charts.END_COLOURS for n in walk(spec))
    assert "等次变化的单位数" in texts(spec) and "平均名次变动（位）" in texts(spec) and "不合格 占比" in texts(spec)


def test_rank_intervals_show_the_least_certain_units_with_names_in_rank_order(built, qitai):
    rows = [row for rows in datasets(built["ranks"]) for row in rows if "label" in row]
    assert 0 < len(rows) <= 10
    assert all(row["rank p95"] > row["rank p5"] for row in rows)  # only units whose rank moves
    names = dict(zip(qitai[1].units, qitai[1].names))
    assert all(row["label"] == f"{row['unit']} {names[row['unit']]}" for row in rows)
    keys = [(row["group"], row["nominal rank"]) for row in rows]
    assert keys == sorted(keys)
