"""What-if analysis on the vectorised engine: every function evaluates all its variants in one call.

- :mod:`.weights`: tiers of sibling weights, renormalised moves, tier-preserving samplers
- :mod:`.metrics`: outcomes per draw, and measures of change that fit every scheme (grades, ranks, money)
- :mod:`.sweeps`: one-at-a-time sweeps and tornado summaries
- :mod:`.montecarlo`: weight uncertainty → grade probabilities, rank intervals, budget-loss risk
- :mod:`.thresholds`: grade distribution against a cut-off, units on a cliff edge or a tier boundary, margins
- :mod:`.reliability`: measurement noise → probability of the deserved grade
- :mod:`.stability`: rank correlation and persistence of top and bottom units
- :mod:`.gsa`: Sobol and Morris global sensitivity (SALib) over grouped factors
- :mod:`.compare`: reform against baseline
- :mod:`.gaming`: effort shifted to cheap, high-weight indicators
- :mod:`.dynamics`: year-by-year budgets, pay and grade churn of a simulation
- :mod:`.reach`: design backwards: the smallest lever change that meets stated targets
"""

from .compare import Comparison, compare
from .dynamics import yearly_main_measures, yearly_measures
from .gaming import gaming_check
from .gsa import Factor, change_outputs, morris, sobol, sobol_interactions, weight_factors
from .metrics import change_measures, main_measure, summary_text
from .montecarlo import MonteCarlo, weight_monte_carlo
from .reach import Reach, reach
from .reliability import noise_reliability
from .stability import rank_stability
from .sweeps import sweep, tornado, tornado_measures
from .thresholds import (
    grade_margins,
    heaviest_column,
    indicator_margins,
    near_cutoffs,
    threshold_sweep,
    tier_boundaries,
    value_bounds,
)
from .weights import Tier, renormalised, sample_weights, tiers

__all__ = [
    "Comparison",
    "Factor",
    "MonteCarlo",
    "Reach",
    "Tier",
    "change_measures",
    "change_outputs",
    "compare",
    "gaming_check",
    "grade_margins",
    "heaviest_column",
    "indicator_margins",
    "main_measure",
    "morris",
    "near_cutoffs",
    "noise_reliability",
    "rank_stability",
    "reach",
    "renormalised",
    "sample_weights",
    "sobol",
    "sobol_interactions",
    "summary_text",
    "sweep",
    "threshold_sweep",
    "tier_boundaries",
    "tiers",
    "tornado",
    "tornado_measures",
    "value_bounds",
    "weight_factors",
    "weight_monte_carlo",
    "yearly_main_measures",
    "yearly_measures",
]
