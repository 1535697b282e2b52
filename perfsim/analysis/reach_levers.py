"""Levers of backward design: which parameters a search moves, and how, as a vector in [0, 1]^d.

``cutoff:*`` moves each cut-off alone (so do rates, quotas, caps and period shares); ``points:ID``
moves one weight with its siblings rescaled; ``weights:*`` or ``weights:PARENT`` moves every weight
of a tier on the simplex, the tier's sum kept exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..errors import ParameterError, near
from .weights import Tier, fit_tier, move_in_tier, tier_of, tiers

LEVER_HINT = (
    "name levers as cutoff:*, cutoff:GRADE, weights:* (every tier of sibling weights), weights:PARENT "
    "(one tier), points:ID (one weight, siblings rescaled), rate:*, quota:*, cap:*, share:* or a parameter "
    "of the scheme; add =LOW..HIGH to narrow a range"
)
LEVER_HINT_ZH = (
    "调整项写作 分数线:*、分数线:等次、权重:*（各组同级权重）、权重:上级指标（一组）、分值:指标编号（一项，"
    "同级按比例调整）、调整比例:*、比例上限:*、扣分上限:*、时段占比:* 或方案参数名；加 =下限..上限 可缩小范围"
)
LEVER_KINDS_ZH = {
    "cutoff": "分数线",
    "weights": "权重",
    "points": "分值",
    "rate": "调整比例",
    "quota": "比例上限",
    "cap": "扣分上限",
    "share": "时段占比",
}
"""Chinese names of the lever kinds, accepted in place of the English ones (分数线:* = cutoff:*)."""
_KIND_OF = {zh: kind for kind, zh in LEVER_KINDS_ZH.items()}


def lever_in(text: str, lang: str) -> str:
    """A lever text with its kind named in ``lang`` (``cutoff:*`` ↔ ``分数线:*``); either form parses."""
    kind, sep, rest = text.strip().partition(":")
    if not sep:
        return text
    english = _KIND_OF.get(kind, kind)
    return f"{LEVER_KINDS_ZH.get(english, english) if lang == 'zh' else english}:{rest}"


@dataclass(frozen=True)
class Block:
    """Parameters one part of the search vector moves.

    ``scalar``: one parameter over ``[lower, upper]`` (one variable); ``renormalised``: one weight
    over ``[lower, upper]``, its siblings scaled to keep the tier's sum (one variable); ``simplex``:
    every weight of a tier (one variable each, normalised to the tier's sum).
    """

    kind: str
    params: tuple[str, ...]
    nominal: tuple[float, ...]
    lower: float
    upper: float
    tier: Tier | None = None

    @property
    def size(self) -> int:
        return len(self.params) if self.kind == "simplex" else 1


@dataclass
class Levers:
    """The parameters a search moves, as blocks of a vector in [0, 1]^d."""

    compiled: CompiledScheme
    blocks: list[Block]
    weights: dict[str, float] = field(default_factory=dict)
    """Weight of each parameter's relative change in the distance (default 1)."""

    @property
    def size(self) -> int:
        return sum(b.size for b in self.blocks)

    @property
    def params(self) -> list[str]:
        """Every parameter the levers set (a renormalised weight's siblings included), in order."""
        out: list[str] = []
        for b in self.blocks:
            names = b.tier.params if b.kind == "renormalised" and b.tier is not None else b.params
            out.extend(n for n in names if n not in out)
        return out

    def nominal(self) -> NDArray[np.float64]:
        """The encoded scheme as written: shape (d,)."""
        parts = []
        for b in self.blocks:
            if b.kind == "simplex":
                shares = np.array(b.nominal) / max(b.nominal)
                parts.append(np.clip(shares, 0.0, 1.0))
            else:
                parts.append(np.array([(b.nominal[0] - b.lower) / (b.upper - b.lower)]))
        return np.concatenate(parts)

    def decode(self, x: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
        """Encoded candidates (P, d) → parameter name → P values (tier sums exact)."""
        x = np.clip(np.atleast_2d(x), 0.0, 1.0)
        out: dict[str, NDArray[np.float64]] = {}
        j = 0
        for b in self.blocks:
            if b.kind == "scalar":
                out[b.params[0]] = b.lower + x[:, j] * (b.upper - b.lower)
            elif b.kind == "renormalised":
                assert b.tier is not None
                out.update(move_in_tier(b.tier, b.params[0], b.lower + x[:, j] * (b.upper - b.lower)))
            else:
                assert b.tier is not None
                points = fit_tier(b.tier, np.maximum(x[:, j : j + b.size], 1e-9))
                for k, name in enumerate(b.params):
                    out[name] = points[:, k]
            j += b.size
        return out

    def disorder(self, values: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
        """How far cut-offs are out of order (a better grade's bound at or below a worse one's), as a share.

        Bands must stay ordered for the solved scheme to load, so a search counts disorder as a miss.
        """
        names = self.compiled.parameters.names("cutoff")
        if not any(n in values for n in names):
            return np.zeros(1)
        space = self.compiled.parameters
        cols = [np.asarray(values[n]) if n in values else np.asarray(space[n].nominal) for n in names]
        out = np.zeros(np.broadcast_shapes(*(c.shape for c in cols)))
        for hi, lo, name in zip(cols[:-1], cols[1:], names):
            p = space[name]
            out = out + np.maximum(lo - hi + 1e-6, 0.0) / _range_scale(p.lower, p.upper)
        return out

    def ordered(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Samples with cut-off levers of equal range put in order, best grade highest (x: (n, d))."""
        x = x.copy()
        starts: dict[tuple[float, float], list[int]] = {}
        j = 0
        for b in self.blocks:
            if b.kind == "scalar" and b.params[0].startswith("cutoff:"):
                starts.setdefault((b.lower, b.upper), []).append(j)
            j += b.size
        for columns in starts.values():
            if len(columns) > 1:  # blocks come in the parameters' order: best grade first
                x[:, columns] = -np.sort(-x[:, columns], axis=1)
        return x

    def distance(self, values: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
        """Σ weight × |value − nominal| / scale over moved parameters; scale = |nominal|, or the range at 0."""
        total: NDArray[np.float64] | None = None
        for name in self.params:
            p = self.compiled.parameters[name]
            scale = abs(p.nominal) if p.nominal != 0 else _range_scale(p.lower, p.upper)
            part = self.weights.get(name, 1.0) * np.abs(values[name] - p.nominal) / scale
            total = part if total is None else total + part
        assert total is not None
        return total


def _range_scale(lower: float, upper: float) -> float:
    return upper - lower if math.isfinite(upper - lower) and upper > lower else 1.0


def _scalar(compiled: CompiledScheme, name: str, lo: float | None, hi: float | None, text: str) -> Block:
    p = compiled.parameters[name]
    lower = p.lower if lo is None else lo
    upper = p.upper if hi is None else hi
    if not math.isfinite(upper):  # caps and points have no upper bound: allow up to three times as written
        upper = max(3.0 * abs(p.nominal), p.nominal + 1.0)
    if not (p.lower - 1e-12 <= lower < upper <= p.upper + 1e-12):
        raise ParameterError(
            f"the lever '{text}' range {lower:g}..{upper:g} is empty or outside [{p.lower:g}, {p.upper:g}]",
            field="--lever",
            hint="give LOW..HIGH with LOW < HIGH inside the parameter's legal range",
            zh=(
                f"调整项「{text}」的范围 {lower:g}..{upper:g} 为空或超出 [{p.lower:g}, {p.upper:g}]",
                "请给出 下限..上限，下限小于上限且在参数的合法范围内",
            ),
        )
    if not lower <= p.nominal <= upper:
        raise ParameterError(
            f"the lever '{text}' range {lower:g}..{upper:g} leaves out the value as written ({p.nominal:g})",
            field="--lever",
            hint="widen the range so the search can start from the scheme as written",
            zh=(
                f"调整项「{text}」的范围 {lower:g}..{upper:g} 不含方案原值（{p.nominal:g}）",
                "请放宽范围，使求解能从方案原值出发",
            ),
        )
    return Block("scalar", (name,), (p.nominal,), lower, upper)


def parse_levers(specs: Sequence[str], compiled: CompiledScheme, weights: dict[str, float] | None = None) -> Levers:
    """Read lever texts (see :data:`LEVER_HINT`) into search blocks.

    Raises
    ------
    ParameterError
        For an unknown lever, a range outside the legal one, or a parameter named twice.
    """
    if not specs:
        raise ParameterError("no lever given", field="--lever", hint=LEVER_HINT, zh=("未给出调整项", LEVER_HINT_ZH))
    blocks: list[Block] = []
    seen: set[str] = set()
    space = compiled.parameters
    for text in specs:
        name, _, rng = lever_in(text, "en").partition("=")
        lo = hi = None
        if rng:
            low_text, sep, high_text = rng.partition("..")
            try:
                lo, hi = float(low_text), float(high_text)
            except ValueError:
                sep = ""
            if not sep:
                raise ParameterError(
                    f"cannot read the range of the lever '{text}'",
                    field="--lever",
                    hint=LEVER_HINT,
                    zh=(f"无法读取调整项「{text}」的范围", LEVER_HINT_ZH),
                )
        kind, _, key = name.partition(":")
        new: list[Block] = []
        if kind in ("weights", "points") and key == "*" or kind == "weights":
            chosen = [t for t in tiers(compiled) if key == "*" or t.parent == key or f"{t.class_id}/{t.parent}" == key]
            if not chosen:
                parents = sorted({t.parent for t in tiers(compiled)})
                raise ParameterError(
                    f"the lever '{text}' names no tier of sibling weights",
                    field="--lever",
                    hint=f"tiers sit under: {', '.join(parents[:12])}; or weights:*",
                    zh=(
                        f"调整项「{text}」不是一组同级权重",
                        f"同级权重的上级指标：{'、'.join(parents[:12])}；或 权重:*",
                    ),
                )
            if rng:
                raise ParameterError(
                    f"the lever '{text}' is a tier: it takes no range",
                    field="--lever",
                    hint=LEVER_HINT,
                    zh=(f"调整项「{text}」是一组权重，不能给范围", LEVER_HINT_ZH),
                )
            new = [Block("simplex", t.params, t.nominal, 0.0, 1.0, t) for t in chosen]
        elif key == "*":
            kinds = ["cutoff", "rate", "quota", "cap", "share"]
            if kind not in kinds:
                raise ParameterError(
                    f"unknown lever '{text}'",
                    field="--lever",
                    hint=near(kind, [*kinds, "weights"], LEVER_HINT),
                    zh=(f"未知的调整项「{text}」", LEVER_HINT_ZH),
                )
            names = space.names(kind)
            if not names:
                raise ParameterError(
                    f"the lever '{text}' matches no parameter of this scheme",
                    field="--lever",
                    hint=LEVER_HINT,
                    zh=(f"调整项「{text}」在本方案中没有对应参数", LEVER_HINT_ZH),
                )
            new = [_scalar(compiled, n, lo, hi, text) for n in names]
        elif name in space:
            tier = tier_of(compiled, name) if kind == "points" else None
            if tier is not None:
                block = _scalar(compiled, name, lo, min(hi, tier.total) if hi is not None else tier.total, text)
                new = [Block("renormalised", (name,), block.nominal, block.lower, block.upper, tier)]
            else:
                new = [_scalar(compiled, name, lo, hi, text)]
        else:
            raise ParameterError(
                f"unknown lever '{text}'",
                field="--lever",
                hint=near(name, space.names(), LEVER_HINT),
                zh=(f"未知的调整项「{text}」", LEVER_HINT_ZH),
            )
        for b in new:
            moved = set(b.tier.params if b.tier is not None else b.params)
            if moved & seen:
                raise ParameterError(
                    f"the lever '{text}' moves {', '.join(sorted(moved & seen))}, which another lever moves too",
                    field="--lever",
                    hint="name each parameter or tier once",
                    zh=(f"调整项「{text}」与另一调整项重复调整同一参数", "每个参数或每组权重只写一次"),
                )
            seen |= moved
            blocks.append(b)
    return Levers(compiled, blocks, dict(weights or {}))
