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
# # 05 · Reform against baseline 改革方案对比
#
# Compare the scheme as written (baseline) with a reform: a set of parameter changes (`reform`,
# parameter id → value, e.g. `{"cutoff:优秀": 85.0}`; `perfsim.load_scheme(...)` and
# `compiled.parameters` list them), or another scenario on the same units (`reform_scenario`).
# Shows the grade transition matrix, who changes grade, rank shifts and money moved.

# %% tags=["parameters"]
scenario = "scenarios/qitai-county.yaml"
reform_scenario = ""
reform = {"cutoff:优秀": 85.0}
chart_mode = "interactive"
lang = "zh"

# %%
import perfsim
from perfsim import analysis, charts, labels
from perfsim.scenario import find_file, load_scenario

base = load_scenario(find_file(scenario))
compiled, data = base.compiled, base.data
grades = [g.zh for g in compiled.grades]
names = labels.grade_names(compiled, lang)
units = dict(zip(data.units, data.names))
baseline = perfsim.evaluate(compiled, data, ranks=True)
if reform_scenario:
    other = load_scenario(find_file(reform_scenario))
    changed = perfsim.evaluate(other.compiled, other.data, ranks=True)
    described = [labels.pick(other.spec.name, lang)]
elif reform:
    changed = perfsim.evaluate(compiled, data, reform, ranks=True)  # an unknown key fails here, with a did-you-mean
    described = [
        labels.parameter_words(compiled, key, lang).change(compiled.parameters[key].nominal, value)
        for key, value in reform.items()
    ]
else:
    raise perfsim.ParameterError(
        "no reform given", hint="set reform (parameter id → value, e.g. {'cutoff:优秀': 85.0}) or reform_scenario"
    )
comparison = analysis.compare(baseline, changed)
print("\n".join(described))
print()
print(analysis.summary_text(comparison.summary, lang))

# %% [markdown]
# ## Grade transitions 等次变化

# %%
transitions = charts.transition_chart(comparison.transitions, names=names, lang=lang)
charts.show(transitions, chart_mode, data=comparison.transitions.reset_index())
comparison.transitions

# %% [markdown]
# ## Who changes 变化的单位
#
# Units whose grade changes, and the largest rank shifts.

# %%
shifts = charts.shift_chart(comparison.units, grades, names=names, units=units, lang=lang)
charts.show(shifts, chart_mode, data=comparison.units)
comparison.changed.assign(name=comparison.changed["unit"].map(units))
