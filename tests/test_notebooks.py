"""Notebooks: twins in sync, clean when tracked, run under papermill, and their main chart answers its question.

Issue 6: every notebook runs with its defaults and on other scenarios. Issue 12: the analysis
notebooks (02-05) run on a band scheme, a rank-tier scheme and a budget scheme, and the data of
each one's main chart is not constant there (a tornado on a rank-tier scheme used to be flat).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jupytext
import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

from conftest import ROOT

FOLDER = ROOT / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
ANALYSIS = [n for n in NOTEBOOKS if n.stem[:2] in ("02", "03", "04", "05")]
OTHERS = [n for n in NOTEBOOKS if n not in ANALYSIS]
OTHER_SCENARIOS = ["scenarios/transport-bureau.yaml", "scenarios/county-housing-projects.yaml"]
PAIRING = "ipynb,scripts//py:percent"
NOT_YET_MOVED: set[str] = set()
"""Notebooks whose twin still sits next to them (owned elsewhere): `mv notebooks/<n>.py notebooks/scripts/`
and `jupytext --set-formats ipynb,scripts//py:percent notebooks/<n>.ipynb` move one; then drop it here."""

# a band scheme, a rank-tier scheme and a budget scheme, each with a reform its levers allow
SCHEMES = {
    "qitai-county": {"cutoff:优秀": 85.0},
    "transport-bureau": {"quota:综合优胜": 0.3},
    "budget-lifecycle": {"cutoff:优": 85.0},
}
SMALL = {  # keep papermill runs short
    "02_weight_sensitivity": {"draws": 50, "sweep_points": 5, "gsa_samples": 64, "morris_trajectories": 4},
    "03_thresholds_and_cliffs": {"sweep_points": 21},
    "04_budget_dynamics": {"years": 4, "draws": 20},
    "05_reform_comparison": {},
}


def twin(notebook: Path) -> Path:
    """The notebook's jupytext twin, where its pairing puts it."""
    formats = nbformat.read(notebook, as_version=4).metadata.get("jupytext", {}).get("formats", "")
    return FOLDER / "scripts" / f"{notebook.stem}.py" if "scripts//" in formats else notebook.with_suffix(".py")


def test_notebooks_are_in_sync_with_their_percent_scripts():
    assert len(NOTEBOOKS) >= 5
    for notebook in NOTEBOOKS:
        script = jupytext.read(twin(notebook))
        stored = nbformat.read(notebook, as_version=4)
        assert [c.source for c in script.cells] == [c.source for c in stored.cells], notebook.name


def test_twins_live_outside_the_designers_folder():
    """The folder designers browse lists each notebook once: the .py twins are in notebooks/scripts/."""
    for notebook in NOTEBOOKS:
        if notebook.stem in NOT_YET_MOVED:
            continue
        formats = nbformat.read(notebook, as_version=4).metadata.get("jupytext", {}).get("formats")
        assert formats == PAIRING, notebook.name
        assert twin(notebook).is_file() and not notebook.with_suffix(".py").exists(), notebook.name
    assert not [p for p in (FOLDER / "scripts").glob("*.ipynb")], "notebooks belong in notebooks/, twins in scripts/"


def test_tracked_notebooks_carry_no_outputs_or_widget_state():
    """Saving after a run must not commit outputs, execution counts or widget state (or checkpoints)."""
    for notebook in sorted(FOLDER.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        nb = nbformat.read(notebook, as_version=4)
        assert "widgets" not in nb.metadata, f"{notebook.name}: widget state in the notebook metadata"
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            assert not cell.get("outputs"), f"{notebook.name}: outputs saved (clear them before committing)"
            assert cell.get("execution_count") is None, f"{notebook.name}: execution count saved"
            assert not {"execution", "widgets", "collapsed", "scrolled"} & set(cell.metadata), notebook.name
    assert ".ipynb_checkpoints/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    listed = subprocess.run(["git", "ls-files", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=False)
    if listed.returncode == 0:  # in a git checkout: no checkpoint is tracked (a deletion not yet committed is fine)
        tracked = [p for p in listed.stdout.splitlines() if ".ipynb_checkpoints" in p and (ROOT / p).exists()]
        assert not tracked, tracked


def test_parameters_cells_hold_plain_values():
    for notebook in NOTEBOOKS:
        cells = nbformat.read(notebook, as_version=4).cells
        tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, notebook.name
        namespace: dict = {}
        exec(compile(tagged[0].source, notebook.name, "exec"), {}, namespace)  # noqa: S102 - our own notebook
        assert all(isinstance(v, str | int | float | bool | dict | list) for v in namespace.values())
        assert "scenario" in namespace, notebook.name
        if any("charts.show" in c.source for c in cells):  # the note template (06) draws no chart of its own
            assert "chart_mode" in namespace, notebook.name


def execute(notebook: Path, out: Path, **parameters) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        str(notebook),
        str(out),
        parameters={"chart_mode": "svg", **parameters},
        cwd=str(ROOT),
        kernel_name="python3",
        progress_bar=False,
    )
    return nbformat.read(out, as_version=4)


def outputs_text(nb: nbformat.NotebookNode) -> str:
    return json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)


def chart_tables(nb: nbformat.NotebookNode) -> list[pd.DataFrame]:
    """The tables the notebook's charts were drawn from (``charts.show(..., data=)``), in order."""
    return [
        pd.DataFrame(o["metadata"]["perfsim"]["data"])
        for c in nb.cells
        for o in c.get("outputs", [])
        if "perfsim" in o.get("metadata", {})
    ]


def varies(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy()
    return numbers.size > 1 and float(np.ptp(numbers)) > 0


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_runs_with_defaults(notebook, tmp_path):
    nb = execute(notebook, tmp_path / notebook.name)
    text = outputs_text(nb)
    assert '"output_type": "error"' not in text
    if notebook.stem != "01_scheme_explorer":
        assert "image/svg+xml" in text or "<svg" in text  # charts are static SVG under papermill


@pytest.mark.parametrize("scenario", OTHER_SCENARIOS)
@pytest.mark.parametrize("notebook", OTHERS, ids=[n.stem for n in OTHERS])
def test_notebook_runs_with_other_scenarios(notebook, scenario, tmp_path):
    nb = execute(notebook, tmp_path / notebook.name, scenario=scenario)
    assert '"output_type": "error"' not in outputs_text(nb)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("notebook", ANALYSIS, ids=[n.stem for n in ANALYSIS])
def test_main_chart_moves_on_band_rank_tier_and_budget_schemes(notebook, scheme, tmp_path):
    params: dict = {"scenario": f"scenarios/{scheme}.yaml", **SMALL[notebook.stem]}
    if notebook.stem == "05_reform_comparison":
        params["reform"] = SCHEMES[scheme]
    nb = execute(notebook, tmp_path / notebook.name, **params)
    assert '"output_type": "error"' not in outputs_text(nb)
    tables = chart_tables(nb)
    assert tables, "the main chart must hand its data to charts.show"
    main = tables[0]
    if notebook.stem == "02_weight_sensitivity":  # the tornado, on the scheme's main measure
        first = main[main["measure"] == main["measure"].iloc[0]]
        assert (first["swing"] > 0).any(), f"flat tornado on {first['measure'].iloc[0]}"
        if scheme == "transport-bureau":
            assert first["measure"].iloc[0] == "mean |rank shift|"
    elif notebook.stem == "03_thresholds_and_cliffs":  # grade shares against the first cut-off or tier share
        assert any(varies(main[c]) for c in main if c.startswith("share "))
    elif notebook.stem == "04_budget_dynamics":  # money (or churn) per year
        assert any(varies(main[c]) for c in main if c != "year")
    else:  # the transition matrix: someone changes grade
        matrix = main.set_index("baseline")
        assert (matrix.to_numpy().sum() - np.trace(matrix.loc[:, matrix.index].to_numpy())) > 0


def test_reform_notebook_refuses_an_unknown_key_with_a_did_you_mean(tmp_path):
    notebook = FOLDER / "05_reform_comparison.ipynb"
    with pytest.raises(papermill.PapermillExecutionError, match="did you mean 'cutoff:优秀'"):
        execute(notebook, tmp_path / notebook.name, reform={"cutoff:优异": 85.0})


def test_design_backwards_notebook_reaches_its_targets_and_draws_a_front(tmp_path):
    """07 on 篇四: the targets are met (re-checked by the notebook's own report) and the chart is a front."""
    nb = execute(
        FOLDER / "07_design_backwards.ipynb",
        tmp_path / "07.ipynb",
        targets=["优秀<=16%", "不合格>=11%"],
        levers=["cutoff:*"],
        pareto_samples=65,
        discovery_samples=200,
        lang="en",
    )
    text = outputs_text(nb)
    assert '"output_type": "error"' not in text
    assert "every target can be reached" in text and "cut-off for" in text
    front = chart_tables(nb)[0]
    a, b = front["min:优秀"].to_numpy(), front["min:instability"].to_numpy()
    for i in range(len(front)):  # no point of the front beats another on both outcomes
        assert not ((a <= a[i]) & (b <= b[i]) & ((a < a[i]) | (b < b[i]))).any()
