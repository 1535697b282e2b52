"""Chart builders return Vega-Lite specs bound to the analysis tables, and render to SVG offline."""

from __future__ import annotations

import numpy as np

import perfsim
from perfsim import analysis as a
from perfsim import charts


def test_every_builder_renders_offline(qitai):
    compiled, data = qitai
    grades = [g.zh for g in compiled.grades]
    ev = perfsim.evaluate(compiled, data, detail=True)
    results = perfsim.results_frame(ev)
    mc = a.weight_monte_carlo(compiled, data, 50)
    reform = perfsim.evaluate(compiled, data, {"cutoff:优秀": 85.0}, ranks=True)
    tornado = a.tornado(compiled, data, [("cutoff:合格", 60, 80), ("cap:complaints", 0, 4)])
    built = [
        charts.grade_distribution(results, grades),
        charts.sweep_chart(a.threshold_sweep(compiled, data, "优秀", np.arange(85, 96)), grades),
        charts.sweep_chart(a.sweep(compiled, data, "points:department/public", [5, 10, 20]), grades),
        charts.tornado_chart(tornado, "share 不合格"),
        charts.grade_probability_chart(mc.grade_probabilities, grades),
        charts.rank_interval_chart(mc.rank_intervals),
        charts.cliff_chart(results, [90, 80, 70], grades),
        charts.transition_chart(a.compare(perfsim.evaluate(compiled, data, ranks=True), reform).transitions),
        charts.sobol_chart(a.sobol(compiled, data, a.weight_factors(compiled), 64)),
    ]
    for chart in built:
        spec = chart.to_dict()
        assert "$schema" in spec
        svg = charts.to_svg(chart)
        assert svg.startswith("<svg") and "http://" not in svg.replace("http://www.w3.org", "")
    counts = {row["grade"]: row["units"] for row in built[0].to_dict()["datasets"].popitem()[1]}
    assert counts == results["grade"].value_counts().to_dict()
