# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,jupyter,-all
#     formats: ipynb,scripts//py:percent
#     notebook_metadata_filter: title
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
#   title: perfsim scheme explorer
# ---

# %% [markdown]
# # 01 · Scheme explorer 方案调参
#
# Levers on the left (weights grouped by tier, linked so a tier keeps its sum), results on the right:
# grade counts against the scheme as written, what it costs, the chart and the units that change
# (click one for its trace). `perfsim explore` opens the same explorer as a standalone web app.

# %% jupyter={"source_hidden": true} tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
chart_mode = "interactive"
lang = "zh"

# %% jupyter={"source_hidden": true}
# The explorer: perfsim.widgets.ExplorerWidget over perfsim.explorer.Explorer
import altair  # noqa: F401 - first: imported from deeper inside perfsim, its schema checks load seconds slower

from perfsim.widgets import ExplorerWidget

ExplorerWidget.launch(scenario, chart_mode=chart_mode, lang=lang)
