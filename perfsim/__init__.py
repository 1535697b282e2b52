"""perfsim: simulate performance-management schemes of Chinese public bodies.

The pipeline runs one way: scheme file → :func:`load_scheme` → :func:`compile_scheme` →
unit data :func:`load_units` → :func:`evaluate` (S draws × U units at once) →
:func:`results_frame` / :func:`explain`. A scenario (:func:`load_scenario`, by file or bundled
name) bundles a scheme and its data; :func:`simulate` runs years of evaluation and consequences;
:func:`compare`, :func:`weight_monte_carlo`, :func:`sweep`, :func:`tornado`, :func:`threshold_sweep`,
:func:`near_cutoffs`, :func:`grade_margins`, :func:`noise_reliability`, :func:`sobol` … analyse;
:func:`note` and :func:`brief` write briefing notes; :func:`import_table` / :func:`export_table`
read and write indicator tables in Excel.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import DataError, ParameterError, PerfsimError, SchemeError

if TYPE_CHECKING:
    from .analysis import (
        Comparison,
        MonteCarlo,
        grade_margins,
        indicator_margins,
        near_cutoffs,
        noise_reliability,
        rank_stability,
        sobol,
        sweep,
        threshold_sweep,
        tornado,
        weight_monte_carlo,
    )
    from .analysis.compare import compare
    from .briefing import note
    from .compile import CompiledScheme, compile_scheme
    from .consequences import apply_consequences
    from .data import UnitData, load_units
    from .engine import Evaluation, evaluate
    from .lint import lint
    from .population import BehaviourModel
    from .publish import brief
    from .results import explain, results_frame
    from .scenario import Scenario, bundled_scenarios_folder, init_scenario, list_scenarios, load_scenario
    from .scheme import Scheme, load_scheme, scheme_from_data
    from .simulate import simulate
    from .simulate_stream import simulate_summary
    from .tables.export_table import export_table
    from .tables.import_table import import_table

# names re-exported from submodules, imported on first use: `import perfsim` then costs no pandas,
# pydantic or numpy import, and a command pays only for what it uses
_LAZY = {
    "CompiledScheme": "compile",
    "compile_scheme": "compile",
    "UnitData": "data",
    "load_units": "data",
    "Evaluation": "engine",
    "evaluate": "engine",
    "lint": "lint",
    "explain": "results",
    "results_frame": "results",
    "Scheme": "scheme",
    "load_scheme": "scheme",
    "scheme_from_data": "scheme",
    # the rest of the pipeline a notebook needs: scenarios, simulation, analysis, notes, Excel tables
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "list_scenarios": "scenario",
    "bundled_scenarios_folder": "scenario",
    "init_scenario": "scenario",
    "simulate": "simulate",
    "simulate_summary": "simulate_stream",
    "BehaviourModel": "population",
    "apply_consequences": "consequences",
    "Comparison": "analysis",
    "compare": "analysis",
    "MonteCarlo": "analysis",
    "weight_monte_carlo": "analysis",
    "sweep": "analysis",
    "tornado": "analysis",
    "threshold_sweep": "analysis",
    "near_cutoffs": "analysis",
    "grade_margins": "analysis",
    "indicator_margins": "analysis",
    "noise_reliability": "analysis",
    "rank_stability": "analysis",
    "sobol": "analysis",
    "note": "briefing",
    "brief": "publish",
    "export_table": "tables",
    "import_table": "tables",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'perfsim' has no attribute '{name}'")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


_NAMED_LIKE_MODULES = frozenset({"lint", "simulate"})
"""Functions named like the submodule that defines them."""


class _Package(types.ModuleType):
    """Importing ``perfsim.lint`` or ``perfsim.simulate`` (the module) sets the package attribute
    of that name; keep it the function, which is what ``perfsim.lint(...)`` means."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _NAMED_LIKE_MODULES and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__version__ = "0.1.0"

__all__ = [
    "BehaviourModel",
    "Comparison",
    "CompiledScheme",
    "DataError",
    "Evaluation",
    "ParameterError",
    "PerfsimError",
    "Scheme",
    "SchemeError",
    "UnitData",
    "compile_scheme",
    "evaluate",
    "explain",
    "lint",
    "load_scheme",
    "load_units",
    "results_frame",
    "scheme_from_data",
    "Scenario",
    "MonteCarlo",
    "apply_consequences",
    "brief",
    "bundled_scenarios_folder",
    "compare",
    "export_table",
    "grade_margins",
    "import_table",
    "indicator_margins",
    "init_scenario",
    "list_scenarios",
    "load_scenario",
    "near_cutoffs",
    "noise_reliability",
    "note",
    "rank_stability",
    "simulate",
    "simulate_summary",
    "sobol",
    "sweep",
    "threshold_sweep",
    "tornado",
    "weight_monte_carlo",
]
