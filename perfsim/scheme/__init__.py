"""The scheme file: pydantic models of a scoring scheme, strict loading and consistency checks.

A scheme (考核方案) is an indicator tree per unit class with points or weights and a
scoring method per leaf, bonus/deduction items with caps, veto items (一票否决),
rounding rules and grading (bands, rank tiers, quotas). Pydantic checks types and
unknown keys; :func:`check_scheme` checks what only the whole scheme can tell (points
that add up, bands without gaps or overlaps, references that resolve).

Data flows one way through the modules: :mod:`.loading` reads a file and validates it
into the models, then runs the checks, and returns a :class:`Scheme` for
:mod:`perfsim.compile`.

- :mod:`.base` — ``Id``, ``Loc``, ``TOLERANCE``, the :class:`Problem` a check raises, location and sum formatting.
- :mod:`.methods` — the scoring methods of a leaf (``score`` … ``composite``), the ``Method`` union, band tables.
- :mod:`.grading` — grade bands, quotas, rank tiers, tie rules, units not assessed, :class:`Grading`.
- :mod:`.models` — the indicator tree, unit classes, periods, adjustments, clamp, vetoes, rounding,
  不适用, attributes and the :class:`Scheme` itself.
- :mod:`.tree_checks` — effective points, sums of children, depth, ids, periods, method tables.
- :mod:`.class_totals` — classes with their own full marks: the grading basis per class, grouping checks.
- :mod:`.grading_checks` — band order, gaps and overlaps, quotas, rank tiers, the reachable step of totals.
- :mod:`.reference_checks` — ids and references, the grade source, consequences; :func:`check_scheme`.
- :mod:`.validation` — pydantic's errors as problems in the file's terms; problems as one error (up to 20).
- :mod:`.loading` — validation errors in the user's words, :func:`load_scheme`, :func:`scheme_from_data`,
  :func:`read_yaml_model`.
"""

from ..models import Label
from .base import TOLERANCE, Id, Loc, Problem, format_loc, format_sum
from .class_totals import basis_factor
from .form_methods import DeductionBlock, DeductionBlocks, Linear, RankPoints, Stepwise
from .grading import GradeBand, Grading, NotAssessed, Quota, Ranking, RankTier, TopList
from .grading_checks import band_gap_holds_total, check_grading, gap_holds_a_total, reachable_step
from .loading import load_scheme, read_yaml_model, read_yaml_model_doc, scheme_from_data
from .methods import (
    METHODS_WITH_DIRECTION,
    Band,
    BandLookup,
    BandTable,
    BaseAddSubtract,
    CategoryLookup,
    CompletionRatio,
    Composite,
    Conversion,
    Cumulative,
    DirectDeduction,
    DirectScore,
    Method,
    QuantityDecrement,
    Rubric5pt,
    TierPoints,
    TimeLimit,
    VetoScoring,
)
from .models import (
    AdjustmentItem,
    Adjustments,
    Attribute,
    Clamp,
    Indicator,
    NotApplicable,
    Period,
    Rounding,
    Scheme,
    UnitClass,
    Veto,
)
from .reference_checks import check_scheme
from .roll_up import RollUp
from .template import Floor, Template
from .tree_checks import MAX_DEPTH, check_tree, effective_points
from .value_parts import Raters, SubItems

__all__ = [
    "RollUp",
    "SubItems",
    "Raters",
    "Stepwise",
    "RankPoints",
    "Linear",
    "DeductionBlocks",
    "DeductionBlock",
    "MAX_DEPTH",
    "METHODS_WITH_DIRECTION",
    "TOLERANCE",
    "AdjustmentItem",
    "Adjustments",
    "Attribute",
    "Band",
    "BandLookup",
    "BandTable",
    "BaseAddSubtract",
    "CategoryLookup",
    "Clamp",
    "CompletionRatio",
    "Composite",
    "Conversion",
    "Cumulative",
    "DirectDeduction",
    "DirectScore",
    "Floor",
    "GradeBand",
    "Grading",
    "Id",
    "Indicator",
    "Label",
    "Loc",
    "Method",
    "NotApplicable",
    "NotAssessed",
    "Period",
    "Problem",
    "QuantityDecrement",
    "Quota",
    "RankTier",
    "Ranking",
    "Rounding",
    "Rubric5pt",
    "Scheme",
    "Template",
    "TierPoints",
    "TimeLimit",
    "TopList",
    "UnitClass",
    "Veto",
    "VetoScoring",
    "band_gap_holds_total",
    "basis_factor",
    "check_grading",
    "check_scheme",
    "check_tree",
    "effective_points",
    "format_loc",
    "format_sum",
    "gap_holds_a_total",
    "load_scheme",
    "read_yaml_model",
    "read_yaml_model_doc",
    "reachable_step",
    "scheme_from_data",
]
