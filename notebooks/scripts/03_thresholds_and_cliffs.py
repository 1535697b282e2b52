# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,scripts//py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Thresholds and cliff edges 分数线与临界单位
#
# How the grade distribution follows each cut-off (with grade bands) or each tier's share (with
# rank tiers), which units sit on a cliff edge, and for each unit the smallest change of its
# total, and of one indicator's value, that changes its grade. Changes stay within what each
# scoring method admits: a mark never goes past its scale.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"
lang = "zh"
eps = 1.0
sweep_points = 81
probe_column = ""

# %%
import numpy as np

import perfsim
from perfsim import analysis, charts, labels
from perfsim.scenario import find_file, load_scenario

sc = load_scenario(find_file(scenario))
compiled, data = sc.compiled, sc.data
grades = [g.zh for g in compiled.grades]
names = labels.grade_names(compiled, lang)
units = dict(zip(data.units, data.names))
ev = perfsim.evaluate(compiled, data, detail=True)
tiers = compiled.scheme.grading.rank_tiers is not None

# %% [markdown]
# ## Grade distribution against each cut-off 分数线与等次分布
#
# Each cut-off (rank tiers: each tier's share of its group) over a range around its value as
# written (dashed), the others kept.

# %%
thresholds = compiled.parameters.names("quota" if tiers else "cutoff")
for name in thresholds:
    p = compiled.parameters[name]
    half = 0.1 if p.kind == "quota" else 10.0
    values = np.round(np.linspace(max(p.lower, p.nominal - half), min(p.upper, p.nominal + half), sweep_points), 6)
    if p.kind == "cutoff":
        table = analysis.threshold_sweep(compiled, data, name.split(":", 1)[1], values)
    else:
        table = analysis.sweep(compiled, data, name, values)
    lever = labels.parameter_words(compiled, name, lang)
    chart = charts.sweep_chart(table, grades, lever=lever, nominal=p.nominal, names=names, lang=lang)
    charts.show(chart, chart_mode, data=table)

# %% [markdown]
# ## Units on a cliff edge 临界单位
#
# Grade bands: units within `eps` (in the grading basis: % of the total, or points) of a
# cut-off. Rank tiers: the last unit of each tier and the first of the next, nearest pairs first.

# %%
results = perfsim.results_frame(ev)
if tiers:
    edges = analysis.tier_boundaries(ev)
    points = eps * (compiled.scheme.total / 100 if compiled.scheme.grading.basis == "percent" else 1.0)
    close = edges[edges["gap"] <= points]
    cliff = charts.cliff_chart(
        results, [], grades, points, near=[*close["upper unit"], *close["lower unit"]], names=names, lang=lang
    )
    edge_table = edges.assign(upper_name=edges["upper unit"].map(units), lower_name=edges["lower unit"].map(units))
else:
    cliff = charts.cliff_chart(results, list(ev.cutoffs[0]), grades, eps, names=names, lang=lang)
    nearby = analysis.near_cutoffs(ev, eps)
    edge_table = nearby.assign(name=nearby["unit"].map(units))
charts.show(cliff, chart_mode)
edge_table

# %% [markdown]
# ## Margins 距离升降等的分差
#
# Grade bands: points of total to gain for the next grade up (`up`) and that may be lost before
# dropping one (`down`). Rank tiers have no fixed margin: it is the gap to the unit across the
# tier boundary above.

# %%
margins = analysis.grade_margins(ev).assign(name=lambda f: f["unit"].map(units))
margins.sort_values("up").head(20) if not tiers else edge_table.head(20)

# %% [markdown]
# ## One indicator's margin 单项指标的临界变化
#
# The smallest change of one data column (default: the indicator with the most points) that
# changes each unit's grade; NaN where no change within the column's range does.

# %%
column = probe_column or analysis.heaviest_column(compiled, data)
low, high, whole = analysis.value_bounds(compiled, column)
print(f"{column}: values from {low:g} to {high:g}" + (", whole numbers" if whole else ""))
probe = analysis.indicator_margins(compiled, data, [column])
probe.assign(name=probe["unit"].map(units)).sort_values("raise_by").head(20)
