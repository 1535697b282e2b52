# %% [markdown]
# # 06 · Briefing note 简报
#
# The template that `perfsim brief` and `perfsim batch` execute with papermill and export to a
# self-contained HTML note (code hidden, charts as inline SVG). The content comes from
# `perfsim.briefing.sections`.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
baseline = ""
params = {}
lang = "zh"
chart_mode = "svg"

# %%
from IPython.display import HTML, display

from perfsim.briefing import sections
from perfsim.scenario import find_file, load_scenario

note = sections(
    load_scenario(find_file(scenario)), params, load_scenario(find_file(baseline)) if baseline else None, lang
)
for section in note:
    display(HTML(section.html()))
