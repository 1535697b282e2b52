# %% [markdown]
# # 01 · Scheme explorer 方案调参
#
# Move weights (linked: a tier keeps its sum), cut-offs, caps, quotas and budget rates, and see
# grades and money respond at once. The table lists units whose grade changed against the scheme
# as written. **Save as scenario** writes the current settings as a new scenario file.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"

# %%
from perfsim.scenario import find_file, load_scenario
from perfsim.widgets import ExplorerWidget

sc = load_scenario(find_file(scenario))
explorer = ExplorerWidget(sc, chart_mode=chart_mode)
explorer

# %% [markdown]
# ## Units and grades at the current settings 当前设置下的单位等次

# %%
explorer.view.table
