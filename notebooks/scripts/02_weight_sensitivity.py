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
# # 02 · Weight sensitivity 权重敏感性
#
# Which of the scenario's levers (`analysis.levers`: weights, cut-offs, caps, shares) move the
# results, and how far? Every lever is read in measures that fit every scheme: **units changing
# grade**, **mean rank shift** and, where grades move money, **budgets and pay** against the
# scheme as written (rank tiers fix the grade shares, so shares alone would show nothing there).
#
# 1. a tornado: each lever at the low and the high end of its range, the others as written;
# 2. a sweep of each lever over its range, the value as written marked;
# 3. global sensitivity (Sobol, Morris): all levers drawn together;
# 4. a Monte Carlo of the weights (Dirichlet around the weights as written, every tier keeping
#    its sum): the units whose grade and rank are least certain.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"
lang = "zh"
sweep_points = 21
gsa_samples = 256
morris_trajectories = 20
draws = 1000
concentration = 100.0
seed = 0
top = 20

# %%
import numpy as np

from perfsim import analysis, charts, labels
from perfsim.scenario import find_file, load_scenario

sc = load_scenario(find_file(scenario))
compiled, data = sc.compiled, sc.data
grades = [g.zh for g in compiled.grades]
names = labels.grade_names(compiled, lang)
units = dict(zip(data.units, data.names))
levers = [(lever.parameter, lever.low, lever.high) for lever in sc.spec.analysis.levers]
words = {parameter: labels.parameter_words(compiled, parameter, lang) for parameter, _, _ in levers}
tiers = compiled.scheme.grading.rank_tiers is not None  # rank tiers fix the grade shares

# %% [markdown]
# ## Tornado 龙卷风图
#
# One panel per measure; the first is the scheme's main measure (units changing grade with grade
# bands, mean rank shift with rank tiers or quotas). Levers are in order of their swing there.

# %%
tornado = analysis.tornado(compiled, data, levers)
charts.show(
    charts.tornado_chart(tornado, words, grade_names=dict(zip(grades, names)), lang=lang), chart_mode, data=tornado
)
tornado

# %% [markdown]
# ## Sweeps 单参数扫描
#
# A weight moves with its siblings rescaled, so that its tier keeps its points.

# %%
measures = [m for m in analysis.tornado_measures(compiled) if not m.startswith("share ")]
for parameter, low, high in levers:
    table = analysis.sweep(compiled, data, parameter, np.linspace(low, high, sweep_points))
    chart = charts.sweep_chart(
        table,
        [] if tiers else grades,
        lever=words[parameter],
        nominal=compiled.parameters[parameter].nominal,
        names=names,
        measures=[m for m in measures if m in table],
        lang=lang,
    )
    charts.show(chart, chart_mode, data=table)

# %% [markdown]
# ## Which levers matter most 全局敏感性
#
# All levers drawn at once over their ranges (Sobol: `gsa_samples` × (levers + 2) evaluations;
# Morris: a cheaper screening). An index near 1 means the lever alone explains the measure's
# variation; a measure no lever moves has no bars.

# %%
factors = [analysis.Factor(parameter, low, high) for parameter, low, high in levers]
outputs = analysis.change_outputs(compiled, data)
indices = analysis.sobol(compiled, data, factors, gsa_samples, outputs=outputs, seed=seed)
charts.show(charts.sobol_chart(indices, words, lang=lang), chart_mode, data=indices)
screening = analysis.morris(compiled, data, factors, morris_trajectories, outputs=outputs, seed=seed)
screening.assign(lever=[words[f].name for f in screening["factor"]]).sort_values(
    ["output", "mu_star"], ascending=[True, False]
)

# %% [markdown]
# ## Monte Carlo over weights 权重蒙特卡洛
#
# Weights drawn around the scheme's own (`concentration`: larger = closer); the least certain
# units first.

# %%
mc = analysis.weight_monte_carlo(compiled, data, draws, concentration=concentration, seed=seed)
charts.show(
    charts.grade_probability_chart(mc.grade_probabilities, grades, top, names=names, units=units, lang=lang),
    chart_mode,
)
charts.show(charts.rank_interval_chart(mc.rank_intervals, top, units=units, lang=lang), chart_mode)
uncertain = mc.grade_probabilities[mc.grade_probabilities.max(axis=1) < 0.9]
uncertain.assign(name=[units[u] for u in uncertain.index])
