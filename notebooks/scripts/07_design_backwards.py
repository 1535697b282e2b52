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
# # 07 · Design backwards 反向设计
#
# Start from what the scheme should achieve and find the smallest change that achieves it:
# targets such as `优秀<=20%` (a grade's share), `不合格>=3` (a count), `优秀@township<=20%`
# (one class or group), `budget<=0` (net change of next year's budgets, 万元) or `instability<=1`
# (mean rank shift under weight uncertainty), and levers such as `cutoff:*`, `weights:*` (every
# tier of sibling weights, sums kept), `rate:*`, `quota:*`. Then two goals at once (a Pareto
# front), and where the scheme goes wrong (boxes of lever values that lead to a bad outcome).
# Empty lists take questions that fit the scheme (`analysis.reach_defaults`).

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"
lang = "zh"
targets = []
levers = []
objectives = []
pareto_levers = []
pareto_samples = 257
bad_outcome = ""
discovery_levers = []
discovery_samples = 400
seed = 0

# %%
from perfsim import charts
from perfsim.analysis import reach
from perfsim.analysis.discovery import discover
from perfsim.analysis.pareto import pareto
from perfsim.analysis.reach_defaults import suggestions
from perfsim.scenario import find_file, load_scenario

sc = load_scenario(find_file(scenario))
compiled, data = sc.compiled, sc.data
ask = suggestions(compiled, data)

# %% [markdown]
# ## Targets → levers 目标与调整
#
# The setting closest to the scheme as written (relative change per parameter, added up) that
# meets every target; if none does, the targets that conflict and the closest values reached.

# %%
solved = reach(compiled, data, targets or ask.targets, levers or ask.levers, seed=seed)
print(solved.text(lang))

# %% [markdown]
# ## Two goals at once 两个目标的权衡
#
# Sampled lever settings (grey), the best trade-offs between the two outcomes (the Pareto front,
# red) and the scheme as written (diamond).

# %%
front = pareto(
    compiled,
    data,
    objectives or ask.objectives,
    pareto_levers or ask.pareto_levers,
    n=pareto_samples,
    seed=seed,
    spread=0.3,
)
charts.show(front.chart(lang), chart_mode, data=front.front)
front.front_table(lang)

# %% [markdown]
# ## Where it goes wrong 方案在哪里出问题
#
# Lever settings sampled around the scheme as written (`spread`: 15 % of each lever's range either
# side); PRIM finds boxes where the bad outcome concentrates.
# Coverage: the share of all bad settings inside the box; density: the share of the box's
# settings that are bad.

# %%
found = discover(
    compiled,
    data,
    bad_outcome or ask.bad,
    discovery_levers or ask.discovery_levers,
    n=discovery_samples,
    seed=seed,
    spread=0.15,
)
print(found.text(lang))
found.table(lang).round(3)
