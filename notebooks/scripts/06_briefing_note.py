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
# # 06 · Briefing note 简报
#
# The template that `perfsim brief` and `perfsim batch` execute with papermill and export to a
# self-contained HTML note (code hidden, charts as inline SVG). The content comes from
# `perfsim.briefing.note`: computed here when the notebook runs on its own, or handed in
# ready-made (`content`) by `perfsim brief`, which has already computed the numbers.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
baseline = ""
params = {}
lang = "zh"
content = ""

# %%
import json

from IPython.display import HTML, display

if content:
    with open(content, encoding="utf-8") as handle:
        parts = json.load(handle)
else:
    from perfsim.briefing import note, note_html
    from perfsim.scenario import find_file, load_scenario

    base = load_scenario(find_file(baseline)) if baseline else None
    parts = [note_html(note(load_scenario(find_file(scenario)), params, base, lang))]
for part in parts:
    display(HTML(part))
