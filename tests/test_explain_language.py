"""One language per trace (issue 11): a Chinese trace has no English word, an English one no Chinese character.

For every bundled scenario and a handful of units chosen to reach every kind of step (vetoes,
bonus and deduction items, 不适用 cells, quotas, budget rules, pay, flags), ``explain`` in ``zh``
and ``en`` is checked against allow-lists built from the scheme and the data: what may stay in
the other script is data (unit ids and names, data columns, group and category values) or the
scheme's own name for a thing in that language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from perfsim.compile import CompiledScheme
from perfsim.consequences import Outcome, apply_consequences
from perfsim.data import UnitData
from perfsim.engine import Evaluation, evaluate
from perfsim.errors import PerfsimError
from perfsim.models import Label
from perfsim.results import Trace, explain
from perfsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml"))

ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


@dataclass
class Case:
    compiled: CompiledScheme
    data: UnitData
    ev: Evaluation
    outcome: Outcome | None
    units: list[int]
    """Positions of the units to trace: one per kind of step the scenario reaches."""


def _labels(model: object) -> Iterator[Label]:
    """Every bilingual label in a scheme (indicators, grades, rules, flags...)."""
    if isinstance(model, Label):
        yield model
    elif isinstance(model, BaseModel):
        for name in type(model).model_fields:
            yield from _labels(getattr(model, name))
    elif isinstance(model, (list, tuple)):
        for item in model:
            yield from _labels(item)
    elif isinstance(model, dict):
        for item in model.values():
            yield from _labels(item)


def _first(mask: np.ndarray) -> list[int]:
    hits = np.flatnonzero(np.asarray(mask, dtype=bool))
    return [int(hits[0])] if hits.size else []


def _pick_units(compiled: CompiledScheme, data: UnitData, ev: Evaluation, outcome: Outcome | None) -> list[int]:
    n = len(data)
    vetoes = ev.veto_flags if ev.veto_flags.ndim == 2 else ev.veto_flags[0]
    masks = [
        np.arange(n) == n - 1,
        vetoes.any(axis=1) if vetoes.size else np.zeros(n, bool),
        data.adjustments.any(axis=1) if data.adjustments.size else np.zeros(n, bool),
        compiled.not_assessed(data),
        np.logical_or.reduce([*data.not_applicable.values(), np.zeros(n, bool)]),
        np.logical_or.reduce([*data.missing.values(), np.zeros(n, bool)]),
        np.asarray(ev.quota_dropped)[0],
        np.asarray(ev.clamped)[0],
        *[data.class_index == c for c in range(len(compiled.classes))],
    ]
    if outcome is not None:
        masks += [outcome.gated[0], outcome.suspended[0], outcome.released[0] > 0, outcome.received[0] > 0]
        masks += [outcome.ladder_step[0] > 0, outcome.next_budget[0] != outcome.budget[0]]
        masks += [flag[0] for flag in outcome.flags.values()]
        masks += [amounts[0] > 0 for amounts in outcome.pay.values()]
    return sorted({0, *(u for mask in masks for u in _first(mask))})


@pytest.fixture(scope="module", params=SCENARIO_FILES, ids=lambda p: p.stem)
def case(request: pytest.FixtureRequest) -> Case:
    scenario = load_scenario(request.param)
    compiled, data = scenario.compiled, scenario.data
    ev = evaluate(compiled, data, detail=True, ranks=True)
    outcome = apply_consequences(ev)[0] if compiled.scheme.consequences is not None else None
    return Case(compiled, data, ev, outcome, _pick_units(compiled, data, ev, outcome))


def _data_texts(case: Case) -> set[str]:
    """Text that is data, whatever the language of the trace: unit names, group and category values."""
    texts = set(case.data.names) | set(case.ev.group_names)
    for attr in case.compiled.scheme.attributes:
        if attr.kind == "text":
            texts |= {str(v) for v in case.data.attributes[attr.id]}
    for cc in case.compiled.classes:
        for ind in cc.indicators:
            method = getattr(ind, "method", None)
            texts |= set(getattr(method, "map", None) or ())
    return texts


def _ids(case: Case) -> set[str]:
    """Ids of the scheme and the data: units, indicators and their data columns, items, vetoes, flags."""
    compiled, scheme = case.compiled, case.compiled.scheme
    ids = set(case.data.units) | set(compiled.data_columns) | {scheme.id, scheme.version}
    ids |= {i for cc in compiled.classes for i in cc.ids} | {cc.id for cc in compiled.classes}
    ids |= {item.id for item in compiled.adjustment_items} | {v.id for v in compiled.vetoes}
    ids |= {p.id for p in scheme.periods}
    if scheme.consequences is not None:
        ids |= {f.id for f in scheme.consequences.flags}
    return ids


def _allowed(texts: set[str]) -> re.Pattern[str]:
    """Any of ``texts``, longest first; one that begins or ends with a letter or digit only as a whole token."""
    word = re.compile(r"[A-Za-z0-9_]")
    parts = [
        ("" if not word.match(t[0]) else r"(?<![A-Za-z0-9_])")
        + re.escape(t)
        + ("" if not word.match(t[-1]) else r"(?![A-Za-z0-9_])")
        for t in sorted((t for t in texts if t), key=len, reverse=True)
    ]
    return re.compile("|".join(parts))


def _offending(trace: Trace, pattern: re.Pattern[str], allowed: set[str]) -> list[str]:
    strip = _allowed(allowed)
    return [f"[{step}] {line}" for step, line in trace.lines if pattern.search(strip.sub(" ", f"{step} {line}"))]


def test_zh_trace_has_no_english_word(case: Case) -> None:
    allowed = _data_texts(case) | {label.zh for label in _labels(case.compiled.scheme)}
    for u in case.units:
        trace = explain(case.ev, case.data.units[u], lang="zh")
        assert trace.lang == "zh"
        bad = _offending(trace, ASCII_WORD, allowed | _ids(case))
        assert not bad, "English words in the Chinese trace:\n" + "\n".join(bad)


def test_en_trace_has_no_chinese_character(case: Case) -> None:
    allowed = _data_texts(case) | {label.en for label in _labels(case.compiled.scheme)}
    for u in case.units:
        trace = explain(case.ev, case.data.units[u], lang="en")
        bad = _offending(trace, CJK, allowed | _ids(case))
        assert not bad, "Chinese characters in the English trace:\n" + "\n".join(bad)


def _wan(cents: int) -> str:
    """Fen → 万元 as the trace writes it, in exact decimal arithmetic: two decimals, more if the fen need them."""
    text = f"{Decimal(int(cents)) / Decimal(1_000_000):,.6f}".rstrip("0")
    whole, decimals = text.split(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def test_languages_agree_line_by_line_and_on_the_numbers(case: Case) -> None:
    compiled, data, ev, outcome = case.compiled, case.data, case.ev, case.outcome
    for u in case.units:
        unit = data.units[u]
        traces = {lang: explain(ev, unit, lang=lang) for lang in ("both", "zh", "en")}
        steps = {lang: [step.split()[0] for step, _ in t.lines] for lang, t in traces.items()}
        assert steps["zh"] == steps["en"] == steps["both"], unit
        zh, en = str(traces["zh"]), str(traces["en"])
        total = f"{float(ev.total[0, u]):.6g}"
        assert f"总分 {total} 分" in zh and f"total {total} points" in en
        grade = compiled.grades[int(ev.grade[0, u])]
        assert f"等次：{grade.zh}" in zh and f"grade: {grade.en}" in en
        if ev.rank is not None and ev.rank[0, u] > 0:
            rank = int(ev.rank[0, u])
            assert f"排名第 {rank}（" in zh and f"rank {rank} " in en
        vetoed = ev.veto_flags if ev.veto_flags.ndim == 2 else ev.veto_flags[0]
        if vetoed.size and vetoed[u].any():
            assert "一票否决" in zh and "veto" in en
        if data.adjustments.size and data.adjustments[u].any():
            assert "加分合计" in zh and "bonus points" in en
        if outcome is None:
            continue
        if compiled.scheme.consequences is not None and compiled.scheme.consequences.budget is not None:
            nxt = _wan(int(outcome.next_budget[0, u]))
            assert f"下年预算 {nxt} 万元" in zh and f"next year {nxt} CNY 10k" in en
        for amounts in outcome.pay.values():
            pay = _wan(round(float(amounts[0, u]) * 100))
            assert f"：{pay} 万元" in zh and f": {pay} CNY 10k" in en


def test_every_scenario_reaches_the_steps_it_has(case: Case) -> None:
    """The chosen units do show vetoes, items and consequences wherever the scenario has them."""
    zh = "\n".join(str(explain(case.ev, case.data.units[u], lang="zh")) for u in case.units)
    vetoes = case.ev.veto_flags
    if vetoes.size and vetoes.any():
        assert "一票否决" in zh
    if case.data.adjustments.size and case.data.adjustments.any():
        assert "加分合计" in zh
    rules = case.compiled.scheme.consequences
    if rules is not None:
        assert "11 结果运用" in zh
        if rules.budget is not None:
            assert "万元" in zh


def test_both_is_the_default_and_other_languages_are_refused(case: Case) -> None:
    unit = case.data.units[case.units[-1]]
    default = explain(case.ev, unit)
    assert default.lang == "both"
    assert str(default) == str(explain(case.ev, unit, lang="both"))
    assert "指标得分" in str(default) and "indicators" in str(default)
    with pytest.raises(PerfsimError, match="unknown language 'fr'"):
        explain(case.ev, unit, lang="fr")
