"""Issue 14, deliverable 5: the top level exposes the pipeline a notebook user needs, documented.

"The Python top level offers no `simulate`, `load_scenario` or analysis entry" (issue 14): every
public name is now reachable as ``perfsim.<name>``, carries a docstring, and every public function
a numpy-style one (``Parameters`` and ``Returns``); a notebook-style script using only ``perfsim.*``
runs from a folder outside the checkout.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import perfsim

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = [
    "load_scenario",
    "load_scheme",
    "compile_scheme",
    "load_units",
    "evaluate",
    "results_frame",
    "explain",
    "simulate",
    "compare",
    "weight_monte_carlo",
    "sweep",
    "tornado",
    "threshold_sweep",
    "near_cutoffs",
    "grade_margins",
    "noise_reliability",
    "sobol",
    "note",
    "brief",
    "import_table",
    "export_table",
]


def test_the_pipeline_is_at_the_top_level() -> None:
    assert set(PIPELINE) <= set(perfsim.__all__)
    assert set(perfsim.__all__) <= set(dir(perfsim))


@pytest.mark.parametrize("name", sorted(perfsim.__all__))
def test_every_public_name_is_documented(name: str) -> None:
    obj = getattr(perfsim, name)
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"perfsim.{name} has no docstring"
    if inspect.isfunction(obj):
        takes = [p for p in inspect.signature(obj).parameters.values() if p.kind is not p.VAR_KEYWORD]
        if takes:
            assert "Parameters\n----------" in doc, f"perfsim.{name}: no numpy-style Parameters section"
        assert "Returns\n-------" in doc, f"perfsim.{name}: no numpy-style Returns section"


def test_functions_named_like_their_modules_stay_functions() -> None:
    """``perfsim.lint`` and ``perfsim.simulate`` are functions even after their modules are imported."""
    code = (
        "import perfsim, perfsim.cli, perfsim.lint, perfsim.simulate; "
        "print(perfsim.lint.__name__, callable(perfsim.simulate), type(perfsim.simulate).__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["lint", "True", "function"]


def test_a_notebook_style_script_using_only_perfsim_runs(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import numpy as np
        import perfsim

        sc = perfsim.load_scenario("qitai-county")           # a bundled scenario, by name
        ev = perfsim.evaluate(sc.compiled, sc.data, detail=True)
        table = perfsim.results_frame(ev)
        assert len(table) == len(sc.data)
        assert "U020" in str(perfsim.explain(ev, "U020", lang="zh"))

        reform = perfsim.evaluate(sc.compiled, sc.data, {"cutoff:优秀": np.array([95.0])})
        moved = perfsim.compare(ev, reform)
        assert moved.summary["grade changes"] == moved.summary["down"] > 0   # a higher cut-off only lowers

        mc = perfsim.weight_monte_carlo(sc.compiled, sc.data, n=50, seed=1)
        assert np.allclose(mc.grade_probabilities.sum(axis=1), 1)
        cut = perfsim.threshold_sweep(sc.compiled, sc.data, "优秀", [85, 90, 95])
        assert list(cut["cutoff"]) == [85, 90, 95]
        assert (perfsim.near_cutoffs(ev, 1.0)["distance"].abs() <= 1.0).all()
        assert len(perfsim.grade_margins(ev)) == len(sc.data)

        sim = perfsim.simulate(sc.compiled, sc.data, years=2, draws=3, seed=1)
        assert len(sim.summary()) == 2
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")
