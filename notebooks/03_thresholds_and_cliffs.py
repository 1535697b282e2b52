# %% [markdown]
# # 03 · Thresholds and cliff edges 分数线与临界单位
#
# Grade distribution as each cut-off moves, the units within `eps` of a cut-off, and for each
# unit the smallest change of its total (and of one indicator) that changes its grade.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"
eps = 1.0
probe_column = ""

# %%
import numpy as np

import perfsim
from perfsim import analysis, charts
from perfsim.scenario import find_file, load_scenario

sc = load_scenario(find_file(scenario))
compiled, data = sc.compiled, sc.data
grades = [g.zh for g in compiled.grades]
ev = perfsim.evaluate(compiled, data, detail=True)

# %%
for name in compiled.parameters.names("cutoff"):
    nominal = compiled.parameters[name].nominal
    values = np.round(np.linspace(nominal - 10, nominal + 10, 81), 6)
    table = analysis.threshold_sweep(compiled, data, name.split(":", 1)[1], values)
    charts.show(charts.sweep_chart(table, grades), chart_mode)

# %% [markdown]
# ## Units on a cliff edge 临界单位

# %%
results = perfsim.results_frame(ev)
cut_points = list(ev.cutoffs[0])
if cut_points:
    charts.show(charts.cliff_chart(results, cut_points, grades, eps), chart_mode)
analysis.near_cutoffs(ev, eps)

# %% [markdown]
# ## Margins 距离升降等的分差

# %%
margins = analysis.grade_margins(ev)
margins.sort_values("up").head(20)

# %%
column = probe_column or next(iter(data.values))
analysis.indicator_margins(compiled, data, [column]).sort_values("raise_by").head(20)
