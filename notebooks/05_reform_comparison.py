# %% [markdown]
# # 05 · Reform against baseline 改革方案对比
#
# Compare the scheme as written (baseline) with a reform: a set of parameter changes, or another
# scenario on the same units. Shows the grade transition matrix, who changes grade, rank shifts
# and money moved.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
reform_scenario = ""
reform = {"cutoff:优秀": 85.0}
chart_mode = "interactive"

# %%
import perfsim
from perfsim import analysis, charts
from perfsim.scenario import find_file, load_scenario

base = load_scenario(find_file(scenario))
baseline = perfsim.evaluate(base.compiled, base.data, ranks=True)
if reform_scenario:
    other = load_scenario(find_file(reform_scenario))
    changed = perfsim.evaluate(other.compiled, other.data, ranks=True)
else:
    changed = perfsim.evaluate(
        base.compiled, base.data, {k: v for k, v in reform.items() if k in base.compiled.parameters}, ranks=True
    )
comparison = analysis.compare(baseline, changed)
comparison.summary

# %%
charts.show(charts.transition_chart(comparison.transitions), chart_mode)
comparison.transitions

# %%
comparison.changed
