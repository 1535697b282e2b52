# %% [markdown]
# # 02 · Weight sensitivity 权重敏感性
#
# One-at-a-time sweeps of the scenario's levers (a weight moves with its siblings rescaled),
# a tornado of their effect on the share of the lowest grade, and a Monte Carlo of weights
# drawn within each tier (Dirichlet around the nominal weights).

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"
draws = 1000
concentration = 100.0
seed = 0

# %%
import numpy as np

from perfsim import analysis, charts
from perfsim.scenario import find_file, load_scenario

sc = load_scenario(find_file(scenario))
compiled, data = sc.compiled, sc.data
grades = [g.zh for g in compiled.grades]
levers = [(lever.parameter, lever.low, lever.high) for lever in sc.spec.analysis.levers]

# %% [markdown]
# ## Tornado 龙卷风图

# %%
tornado = analysis.tornado(compiled, data, levers)
charts.show(charts.tornado_chart(tornado, f"share {grades[compiled.lowest]}"), chart_mode)
tornado

# %% [markdown]
# ## Sweeps 单参数扫描

# %%
for parameter, low, high in levers:
    table = analysis.sweep(compiled, data, parameter, np.linspace(low, high, 21))
    charts.show(charts.sweep_chart(table, grades), chart_mode)

# %% [markdown]
# ## Monte Carlo over weights 权重蒙特卡洛

# %%
mc = analysis.weight_monte_carlo(compiled, data, draws, concentration=concentration, seed=seed)
charts.show(charts.grade_probability_chart(mc.grade_probabilities, grades), chart_mode)
charts.show(charts.rank_interval_chart(mc.rank_intervals.head(40)), chart_mode)
uncertain = mc.grade_probabilities[mc.grade_probabilities.max(axis=1) < 0.9]
uncertain
