# %% [markdown]
# # 04 · Budget dynamics over years 多年预算动态
#
# Evaluate → grade → consequences → next year's budget, year after year, for many random
# histories. Shows grade shares, units stuck in the lowest grade, budget concentration (Gini)
# and money moved. The behaviour model's defaults are stated in `perfsim.population`.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"
years = 0
draws = 0
seed = 0
capacity_elasticity = 0.1

# %%
from perfsim import charts
from perfsim.population import BehaviourModel
from perfsim.scenario import find_file, load_scenario
from perfsim.simulate import simulate

sc = load_scenario(find_file(scenario))
defaults = sc.spec.analysis.simulation
sim = simulate(
    sc.compiled,
    sc.data,
    years=years or defaults.years,
    draws=draws or defaults.draws,
    seed=seed or defaults.seed,
    model=BehaviourModel(capacity_elasticity=capacity_elasticity),
)
summary = sim.summary()
summary

# %%
grades = [g.zh for g in sc.compiled.grades]
charts.show(charts.trajectory_chart(summary, [f"share {g}" for g in grades] + ["share stuck ≥3y"]), chart_mode)
if "budget gini" in summary:
    charts.show(charts.trajectory_chart(summary, ["budget gini"]), chart_mode)

# %% [markdown]
# ## Units stuck in the lowest grade for three years or more 连续三年以上最低等次

# %%
import pandas as pd

stuck = pd.Series(sim.stuck(3).mean(axis=0), index=sc.data.units, name="P(stuck ≥ 3 years)")
stuck[stuck > 0].sort_values(ascending=False).head(20)
