# %% [markdown]
# # 06 · Briefing note 简报
#
# The template that `perfsim brief` and `perfsim batch` execute with papermill and export to a
# self-contained HTML note (code hidden, charts as inline SVG). The content comes from
# `perfsim.briefing.sections`: computed here when the notebook runs on its own, or handed in
# ready-made (`content`) by `perfsim brief`, which has already computed the numbers.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
baseline = ""
params = {}
lang = "zh"
chart_mode = "svg"
content = ""

# %%
import json

from IPython.display import HTML, display

if content:
    with open(content, encoding="utf-8") as handle:
        parts = json.load(handle)
else:
    from perfsim.briefing import sections
    from perfsim.scenario import find_file, load_scenario

    note = sections(
        load_scenario(find_file(scenario)), params, load_scenario(find_file(baseline)) if baseline else None, lang
    )
    parts = [section.html() for section in note]
for part in parts:
    display(HTML(part))
