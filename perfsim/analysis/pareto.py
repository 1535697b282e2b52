"""Two goals at once: the Pareto front of lever settings for two competing outcomes.

The lever space is sampled with a scrambled Sobol sequence (plus the scheme as written) and every
sample is evaluated through the engine's draw axis; the front is the set of samples no other
sample beats on both outcomes. It is the front *among the samples*: more samples, a finer front.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ..compile import CompiledScheme
from ..data import UnitData
from ..errors import ParameterError, PerfsimError
from ..labels import check_lang
from .reach_levers import Levers, parse_levers
from .reach_measure import Measurer
from .reach_targets import Target, parse_target

BATCH = 512
"""Samples per engine call (bounds memory at BATCH × units per array)."""


DISTANCE = Target("distance", "distance", "<=", 0.0)
"""The objective ``min:distance``: how far a setting moves from the scheme as written."""


def parse_objective(text: str, compiled: CompiledScheme, data: UnitData) -> tuple[Target, str]:
    """``min:优秀``, ``max:不合格``, ``min:instability``, ``min:budget``, ``min:distance`` → (measure, sense)."""
    sense, _, what = text.partition(":")
    if what.strip() == "distance" and sense == "min":
        return DISTANCE, sense
    if sense not in ("min", "max") or not what:
        raise ParameterError(
            f"cannot read the objective '{text}'",
            field="objective",
            hint="write min:GRADE or max:GRADE (its share), min:budget, min:pay or min:instability",
        )
    try:
        return parse_target(f"{what}<=0%", compiled, data), sense
    except PerfsimError:
        return parse_target(f"{what}<=0", compiled, data), sense


def sample_levers(levers: Levers, n: int, seed: int, spread: float | None = None) -> NDArray[np.float64]:
    """``n`` encoded settings from a scrambled Sobol sequence, the scheme as written first.

    ``spread`` (0–1) keeps samples within that distance of the scheme as written in the encoded
    [0, 1] space of each lever (default: the whole legal range).
    """
    from scipy.stats import qmc

    if n < 2:
        raise ParameterError("at least 2 samples are needed", field="n", hint="e.g. n=1024")
    sobol = qmc.Sobol(levers.size, scramble=True, seed=seed)
    points = sobol.random(n - 1) if (n - 1) & (n - 2) else sobol.random_base2(int(np.log2(n - 1)))
    if spread is not None:
        points = np.clip(levers.nominal() + (2 * points - 1) * spread, 0.0, 1.0)
    return np.vstack([levers.nominal()[None, :], levers.ordered(points)])


def measure_samples(measurer: Measurer, levers: Levers, x: NDArray[np.float64]) -> tuple[pd.DataFrame, NDArray]:
    """Decoded lever values (one column per parameter) and each measure's values, in batches."""
    values = levers.decode(x)
    out = np.empty((x.shape[0], len(measurer.targets)))
    for start in range(0, x.shape[0], BATCH):
        part = {k: v[start : start + BATCH] for k, v in values.items()}
        out[start : start + BATCH] = measurer.values(part, min(BATCH, x.shape[0] - start))
    frame = pd.DataFrame(values)
    frame["distance"] = levers.distance(values)
    return frame, out


def non_dominated(costs: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Rows no other row beats: ≤ in every column and < in one (all columns minimised)."""
    le = (costs[:, None, :] <= costs[None, :, :]).all(axis=2)
    lt = (costs[:, None, :] < costs[None, :, :]).any(axis=2)
    dominated = (le & lt).any(axis=0)
    return np.asarray(~dominated)


@dataclass
class Pareto:
    """Samples of the lever space with two outcomes; ``table`` holds all, ``front`` the best trade-offs."""

    compiled: CompiledScheme
    measures: list[Target]
    senses: list[str]
    table: pd.DataFrame
    """Lever values, ``distance``, the two outcomes (named by their objective texts), ``front`` and ``as written``."""

    @property
    def front(self) -> pd.DataFrame:
        """The non-dominated samples, sorted by the first outcome."""
        first = self.table.columns[-4]
        return self.table[self.table["front"]].sort_values(first).reset_index(drop=True)

    def front_table(self, lang: str = "zh", changes: int = 3) -> pd.DataFrame:
        """The front for people: both outcomes in their units, the distance, and the largest moves in words."""
        from ..labels import parameter_words

        check_lang(lang)
        front = self.front
        params = [c for c in self.table.columns if c in self.compiled.parameters]
        out = pd.DataFrame()
        for m, column in zip(self.measures, self.table.columns[-4:-2]):
            title = _measure_words(m, self.compiled, lang)
            if m.kind in ("budget", "pay"):
                out[title] = [f"{v / 10_000:+,.2f}" for v in front[column]]
            elif m.kind == "share":
                out[title] = [f"{v:.1%}" for v in front[column]]
            else:
                out[title] = [f"{v:,.2f}" for v in front[column]]
        out["相对变动合计" if lang == "zh" else "total relative change"] = front["distance"].round(3)
        moves = []
        for _, row in front.iterrows():
            rel = {
                p: abs(row[p] - self.compiled.parameters[p].nominal)
                / max(abs(self.compiled.parameters[p].nominal), 1e-9)
                for p in params
            }
            top = sorted((p for p in rel if rel[p] > 1e-9), key=lambda p: -rel[p])[:changes]
            words = [
                parameter_words(self.compiled, p, lang).change(self.compiled.parameters[p].nominal, row[p]) for p in top
            ]
            moves.append("；".join(words) if lang == "zh" else "; ".join(words))
        out["主要调整" if lang == "zh" else "largest moves"] = moves
        return out

    def chart(self, lang: str = "zh"):  # type: ignore[no-untyped-def]
        """Every sample (grey), the front (line and dots) and the scheme as written (a diamond)."""
        import altair as alt

        check_lang(lang)
        a, b = (_measure_words(m, self.compiled, lang) for m in self.measures)
        x, y = self.table.columns[-4], self.table.columns[-3]
        data = self.table.rename(columns={x: "x", y: "y"})
        for axis, m in zip(("x", "y"), self.measures):
            if m.kind in ("budget", "pay"):  # yuan → 万元, as every money figure people read
                data[axis] = data[axis] / 10_000
        kind = {
            "zh": ("抽样设置", "最优权衡（帕累托前沿）", "现行方案"),
            "en": ("sampled setting", "best trade-off (Pareto front)", "as written"),
        }[lang]
        data["kind"] = np.where(data["as written"], kind[2], np.where(data["front"], kind[1], kind[0]))
        fmt = {
            "share": ".0%",
            "count": ",.0f",
            "budget": ",.0f",
            "pay": ",.0f",
            "instability": ".2f",
            "distance": ".2f",
        }
        enc_x = alt.X("x:Q", title=a, axis=alt.Axis(format=fmt[self.measures[0].kind]))
        enc_y = alt.Y("y:Q", title=b, axis=alt.Axis(format=fmt[self.measures[1].kind]))
        colour = alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=list(kind), range=["#c8c8c8", "#c0392b", "#1f4e79"]),
            legend=alt.Legend(orient="bottom"),
        )
        dots = alt.Chart(data).mark_circle(size=28).encode(enc_x, enc_y, colour)
        line = alt.Chart(data[data["front"]]).mark_line(color="#c0392b").encode(enc_x, enc_y)
        mark = (
            alt.Chart(data[data["as written"]])
            .mark_point(shape="diamond", size=160, filled=True)
            .encode(enc_x, enc_y, colour)
        )
        return (dots + line + mark).properties(width=420, height=300)


def _measure_words(m: Target, compiled: CompiledScheme, lang: str) -> str:
    if m is DISTANCE:
        return "与现行方案的相对变动合计" if lang == "zh" else "total relative change from the scheme as written"
    words = m.measure_words(compiled, lang)
    if m.kind in ("budget", "pay"):
        return f"{words}（万元）" if lang == "zh" else f"{words} (CNY 10k)"
    return words


def pareto(
    compiled: CompiledScheme,
    data: UnitData,
    objectives: Sequence[str],
    levers: Sequence[str] | Levers,
    *,
    n: int = 1025,
    seed: int = 0,
    spread: float | None = None,
    instability_draws: int = 30,
) -> Pareto:
    """The Pareto front of two outcomes over sampled lever settings.

    Parameters
    ----------
    objectives
        Two of ``min:GRADE`` / ``max:GRADE`` (the grade's share), ``min:budget``, ``min:pay``,
        ``min:instability`` (mean rank shift under weight uncertainty), ``min:distance`` (how far
        from the scheme as written).
    levers
        As for :func:`~perfsim.analysis.reach.reach`.
    n
        Samples, the scheme as written included (Sobol: n − 1 a power of two is best balanced).
    spread
        Sample only near the scheme as written (see :func:`sample_levers`).

    Returns
    -------
    Pareto
    """
    if len(objectives) != 2:
        raise ParameterError(
            "a Pareto front needs two objectives", field="objective", hint="e.g. min:优秀 and min:instability"
        )
    parsed = [parse_objective(o, compiled, data) for o in objectives]
    measures, senses = [p[0] for p in parsed], [p[1] for p in parsed]
    lv = levers if isinstance(levers, Levers) else parse_levers(list(levers), compiled)
    measured = [m for m in measures if m is not DISTANCE]
    measurer = Measurer(compiled, data, measured, instability_draws=instability_draws, seed=seed)
    frame, got = measure_samples(measurer, lv, sample_levers(lv, n, seed, spread))
    columns = iter(got.T)
    values = np.stack([frame["distance"].to_numpy() if m is DISTANCE else next(columns) for m in measures], axis=1)
    costs = np.where(np.array(senses) == "max", -values, values)
    for j, text in enumerate(objectives):
        frame[text] = values[:, j]
    frame["front"] = non_dominated(costs)
    frame["as written"] = np.arange(len(frame)) == 0
    return Pareto(compiled, measures, senses, frame)
