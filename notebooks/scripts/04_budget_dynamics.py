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
# # 04 · Budget dynamics over years 多年预算动态
#
# Evaluate → grade → consequences → next year's budget, year after year, for many random
# histories: the total budget (with budget rules; total pay with pay rules), money moved,
# grade shares, units changing grade and units stuck in the lowest grade. The behaviour model's
# defaults are stated in `perfsim.population`; `years`, `draws` and `seed` of 0 take the
# scenario's own (`analysis.simulation`).

# %% tags=["parameters"]
scenario = "scenarios/budget-lifecycle.yaml"
chart_mode = "interactive"
lang = "zh"
years = 0
draws = 0
seed = 0
capacity_elasticity = 0.1

# %%
import pandas as pd

from perfsim import analysis, charts, labels
from perfsim.population import BehaviourModel
from perfsim.scenario import find_file, load_scenario
from perfsim.simulate import simulate

sc = load_scenario(find_file(scenario))
compiled, data = sc.compiled, sc.data
grades = [g.zh for g in compiled.grades]
names = labels.grade_names(compiled, lang)
defaults = sc.spec.analysis.simulation
sim = simulate(
    compiled,
    data,
    years=years or defaults.years,
    draws=draws or defaults.draws,
    seed=seed or defaults.seed,
    model=BehaviourModel(capacity_elasticity=capacity_elasticity),
)
units = dict(zip(sim.data.units, sim.data.names))  # with entrants: the projects entering in later years
yearly = analysis.yearly_measures(sim)
main = analysis.yearly_main_measures(compiled)
summary = sim.summary()

# %% [markdown]
# ## Money over the years 各年资金
#
# Where grades move budgets: the total budget (flat when the scheme fixes an envelope), how
# concentrated budgets become (Gini) and the money moved each year; where they move pay: total
# pay; otherwise the units changing grade from one year to the next. Means over the simulated
# histories, with their 5-95 % band.

# %%
charts.show(charts.yearly_chart(yearly, main, lang=lang), chart_mode, data=yearly[["year", *main]])
if "units changing grade from last year" not in main:
    charts.show(charts.yearly_chart(yearly, "units changing grade from last year", lang=lang), chart_mode)
yearly

# %% [markdown]
# ## Grades over the years 各年等次分布

# %%
charts.show(charts.grade_share_trajectory(summary, grades, names=names, lang=lang), chart_mode, data=summary)
summary

# %% [markdown]
# ## Units stuck in the lowest grade for three years or more 连续三年以上最低等次

# %%
stuck = pd.Series(sim.stuck(3).mean(axis=0), index=sim.data.units, name="P(stuck ≥ 3 years)")
stuck = stuck[stuck > 0].sort_values(ascending=False).head(20)
stuck.to_frame().assign(name=stuck.index.map(units))
