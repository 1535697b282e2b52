"""What-if analysis on the vectorised engine: every function evaluates all its variants in one call.

- :mod:`.weights`: tiers of sibling weights, renormalised moves, tier-preserving samplers
- :mod:`.sweeps`: one-at-a-time sweeps and tornado summaries
- :mod:`.montecarlo`: weight uncertainty → grade probabilities, rank intervals, budget-loss risk
- :mod:`.thresholds`: grade distribution against a cut-off, units on a cliff edge, margins
- :mod:`.reliability`: measurement noise → probability of the deserved grade
- :mod:`.stability`: rank correlation and persistence of top and bottom units
- :mod:`.gsa`: Sobol and Morris global sensitivity (SALib) over grouped factors
- :mod:`.compare`: reform against baseline
- :mod:`.gaming`: effort shifted to cheap, high-weight indicators
"""

from .compare import Comparison, compare
from .gaming import gaming_check
from .gsa import Factor, morris, sobol, weight_factors
from .montecarlo import MonteCarlo, weight_monte_carlo
from .reliability import noise_reliability
from .stability import rank_stability
from .sweeps import sweep, tornado
from .thresholds import grade_margins, indicator_margins, near_cutoffs, threshold_sweep
from .weights import Tier, renormalised, sample_weights, tiers

__all__ = [
    "Comparison",
    "Factor",
    "MonteCarlo",
    "Tier",
    "compare",
    "gaming_check",
    "grade_margins",
    "indicator_margins",
    "morris",
    "near_cutoffs",
    "noise_reliability",
    "rank_stability",
    "renormalised",
    "sample_weights",
    "sobol",
    "sweep",
    "threshold_sweep",
    "tiers",
    "tornado",
    "weight_factors",
    "weight_monte_carlo",
]
