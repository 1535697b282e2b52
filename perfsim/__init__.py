"""perfsim: simulate performance-management schemes of Chinese public bodies.

The pipeline runs one way: scheme file → :func:`load_scheme` → :func:`compile_scheme` →
unit data :func:`load_units` → :func:`evaluate` (S draws × U units at once) →
:func:`results_frame` / :func:`explain`.
"""

from .compile import CompiledScheme, compile_scheme
from .data import UnitData, load_units
from .engine import Evaluation, evaluate
from .errors import DataError, ParameterError, PerfsimError, SchemeError
from .lint import lint
from .results import explain, results_frame
from .scheme import Scheme, load_scheme, scheme_from_data

__version__ = "0.1.0"

__all__ = [
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
]
