"""Where a scheme goes wrong: scenario discovery with PRIM over sampled lever settings.

The lever space is sampled (Latin hypercube), every sample evaluated through the engine's draw
axis (a multi-year outcome runs one simulation per sample), and a stated bad outcome
(``不合格>10%``, ``budget<-100``, ``差@year5>10%``) marks each sample. PRIM (the Patient Rule
Induction Method, Friedman and Fisher 1999) then finds boxes of lever values where bad outcomes
concentrate. It is the EMA Workbench's implementation (``ema_workbench.analysis.prim``, BSD
licence, maintained at TU Delft; the standalone ``prim`` package is a GPL fork of the same code).

Each box reports its **coverage** (share of all bad samples that fall in it) and **density**
(share of its samples that are bad), counted, as PRIM does, over the samples not already in an
earlier box.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..compile import CompiledScheme
from ..data import UnitData
from ..errors import ParameterError
from ..labels import check_lang, parameter_words
from .pareto import measure_samples
from .reach_levers import Levers, parse_levers
from .reach_measure import Measurer
from .reach_targets import Target, parse_target


@dataclass(frozen=True)
class Box:
    """One PRIM box: limits on the levers it restricts, and its statistics."""

    limits: dict[str, tuple[float, float]]
    """Parameter → (low, high), inclusive, for the restricted levers only."""
    coverage: float
    density: float
    mass: float
    samples: int
    bad: int


@dataclass
class Discovery:
    """Result of :func:`discover`: the samples, the bad outcome and the boxes found."""

    compiled: CompiledScheme
    bad: Target
    samples: pd.DataFrame
    """Lever values, ``distance``, ``outcome`` (the measured value) and ``bad``."""
    boxes: list[Box]

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """One row per restricted lever of each box, with the box's coverage and density."""
        check_lang(lang)
        rows = []
        for i, box in enumerate(self.boxes, start=1):
            for name, (lo, hi) in box.limits.items():
                words = parameter_words(self.compiled, name, lang)
                rows.append(
                    {
                        "box": i,
                        "parameter": name,
                        "lever": words.name,
                        "from": lo,
                        "to": hi,
                        "coverage": box.coverage,
                        "density": box.density,
                        "samples": box.samples,
                    }
                )
        return pd.DataFrame(rows, columns=["box", "parameter", "lever", "from", "to", "coverage", "density", "samples"])

    def text(self, lang: str = "zh") -> str:
        """The boxes in words, one language."""
        check_lang(lang)
        bad_share = float(self.samples["bad"].mean())
        head = (
            f"不良结果（{self.bad.words(self.compiled, lang)}）出现在 {bad_share:.0%} 的抽样设置中"
            if lang == "zh"
            else f"the bad outcome ({self.bad.words(self.compiled, lang)}) occurs in {bad_share:.0%} of the samples"
        )
        lines = [head]
        if not self.boxes:
            lines.append(
                "PRIM 未找到集中出现不良结果的区域（不良设置太少或太分散）"
                if lang == "zh"
                else "PRIM found no box where the bad outcome concentrates (too few or too scattered bad settings)"
            )
        for i, box in enumerate(self.boxes, start=1):
            limits = "；".join if lang == "zh" else "; ".join
            parts = []
            for name, (lo, hi) in box.limits.items():
                w = parameter_words(self.compiled, name, lang)
                parts.append(f"{w.name} {w.value(lo)} – {w.value(hi)}")
            if lang == "zh":
                lines.append(
                    f"区域 {i}：{limits(parts)}；覆盖 {box.coverage:.0%} 的不良结果，区域内 {box.density:.0%} 不良"
                )
            else:
                lines.append(
                    f"box {i}: {limits(parts)}; covers {box.coverage:.0%} of bad outcomes, {box.density:.0%} bad inside"
                )
        return "\n".join(lines)


def discover(
    compiled: CompiledScheme,
    data: UnitData,
    bad: str | Target,
    levers: Sequence[str] | Levers,
    *,
    n: int = 1000,
    seed: int = 0,
    spread: float | None = None,
    max_boxes: int = 3,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    instability_draws: int = 30,
    years_draws: int = 10,
) -> Discovery:
    """Boxes of lever values where a bad outcome concentrates (PRIM over a Latin hypercube sample).

    Parameters
    ----------
    bad
        The bad outcome as a target text: ``不合格>10%``, ``budget<-100`` (万元), ``差@year5>10%``.
    levers
        As for :func:`~perfsim.analysis.reach.reach`.
    n
        Samples (each a lever setting; a multi-year outcome simulates each one).
    spread
        Sample only within this distance of the scheme as written, in each lever's encoded [0, 1]
        range (default: the whole legal range).
    max_boxes
        Boxes to look for; PRIM stops earlier when no bad samples are left.
    threshold
        Density a box should reach (PRIM's ``threshold``).
    peel_alpha, mass_min
        PRIM's share peeled per step and the smallest box mass.

    Returns
    -------
    Discovery
    """
    from scipy.stats import qmc

    target = bad if isinstance(bad, Target) else parse_target(bad, compiled, data)
    lv = levers if isinstance(levers, Levers) else parse_levers(list(levers), compiled)
    if n < 20:
        raise ParameterError("scenario discovery needs at least 20 samples", field="n", hint="e.g. n=1000")
    measurer = Measurer(
        compiled, data, [target], instability_draws=instability_draws, years_draws=years_draws, seed=seed
    )
    x = qmc.LatinHypercube(lv.size, seed=seed).random(n)
    if spread is not None:
        x = np.clip(lv.nominal() + (2 * x - 1) * spread, 0.0, 1.0)
    x = lv.ordered(x)
    frame, values = measure_samples(measurer, lv, x)
    frame["outcome"] = values[:, 0]
    frame["bad"] = target.met(values[:, 0])
    params = [c for c in frame.columns if c not in ("distance", "outcome", "bad")]
    varied = [c for c in params if frame[c].nunique() > 1]
    boxes: list[Box] = []
    if frame["bad"].any() and not frame["bad"].all():
        boxes = _prim(frame[varied], frame["bad"].to_numpy(), max_boxes, threshold, peel_alpha, mass_min)
    return Discovery(compiled, target, frame, boxes)


def _prim(
    x: pd.DataFrame, y: np.ndarray, max_boxes: int, threshold: float, peel_alpha: float, mass_min: float
) -> list[Box]:
    with warnings.catch_warnings():  # the workbench warns about optional parts (ipyparallel) and pandas 3 idioms
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        algorithm = prim.Prim(
            x.reset_index(drop=True), y, threshold=threshold, peel_alpha=peel_alpha, mass_min=mass_min
        )
        out = []
        full = {c: (float(x[c].min()), float(x[c].max())) for c in x.columns}
        for _ in range(max_boxes):
            if algorithm.yi_remaining.size == 0 or not y[algorithm.yi_remaining].any():
                break
            box = algorithm.find_box()
            if box is None:
                break
            lim = box.box_lim
            limits = {
                c: (float(lim[c].iloc[0]), float(lim[c].iloc[1]))
                for c in x.columns
                if (float(lim[c].iloc[0]), float(lim[c].iloc[1])) != full[c]
            }
            inside = np.asarray(box.yi)
            if not limits:  # PRIM could not peel: no box restricts any lever
                break
            out.append(
                Box(
                    limits,
                    float(box.coverage),
                    float(box.density),
                    float(box.mass),
                    int(inside.size),
                    int(y[inside].sum()),
                )
            )
    return out
