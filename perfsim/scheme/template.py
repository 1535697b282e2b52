"""Declared templates and floors: the first-level points a published form prescribes, checked by lint.

A self-evaluation form follows a template (财预〔2020〕10号: 产出 50 %, 效益 30 %, 满意度 10 %,
预算执行率 10 %) and an evaluation form a floor (产出、效益指标权重不低于60%). A scheme states them
under ``template``; ``perfsim lint`` reports a scheme that departs from them, as an error or a warning
as the scheme says. Loading never refuses a scheme for them: a form may depart with reason (如有特殊
情况，一级指标权重可做适当调整).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..models import Model
from .base import Id

Severity = Literal["error", "warning"]


class Floor(Model):
    """First-level indicators whose points together must reach a share of the total (产出+效益 ≥ 60 %)."""

    indicators: list[Id] = Field(min_length=1)
    """First-level indicators, by id or Chinese name."""
    min_percent: float = Field(gt=0, le=100)
    """Their points together, in % of the scheme total, at least this."""
    severity: Severity | None = None
    """``error`` or ``warning`` for this floor; the template's ``severity`` when not given."""


class Template(Model):
    """What a published form prescribes for the first level of the indicator tree, checked by lint."""

    weights: dict[str, float] = Field(default_factory=dict)
    """First-level indicator (by id or Chinese name) → its points in % of the scheme total
    (产出: 50, 效益: 30, 满意度: 10, 预算执行率: 10)."""
    floors: list[Floor] = Field(default_factory=list)
    """Sums of first-level points that must reach a share of the total."""
    severity: Severity = "warning"
    """How lint reports a departure: ``error`` (exit 2) or ``warning``."""
    source: str | None = None
    """The published form the template comes from."""
