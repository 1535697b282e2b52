"""Write a solved scenario: the scheme with the moved values, and a scenario that records the targets.

The scenario keeps its data and lists, as ``defaults`` entries, each target with the value it
reaches (``source: target:优秀<=20%``) and each moved parameter with its old value
(``source: cutoff:优秀=91.5``); a briefing note made from it shows them in a section of its own
(:func:`solved_section`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from ..compile import compile_scheme
from ..engine import evaluate
from ..errors import PerfsimError
from ..labels import parameter_words, pick
from ..outputs import write_text
from ..scenario import Scenario, ScenarioFile
from .reach import Reach

TARGET_SOURCE = "target:"
"""Prefix of the ``source`` of a defaults entry that records a target of a solved scenario."""

_WORDS = {
    "zh": {
        "target": "反向设计目标",
        "reached": "{}：达到 {}",
        "missed": "{}：未达到，最接近 {}",
        "reason": "由 perfsim reach 求解",
        "was": "{}（原为 {}）",
        "name": "{}（反向设计）",
        "description": "{}；反向设计：{}",
    },
    "en": {
        "target": "design-backwards target",
        "reached": "{}: reached, {}",
        "missed": "{}: not reached, closest {}",
        "reason": "solved by perfsim reach",
        "was": "{} (was {})",
        "name": "{} (designed backwards)",
        "description": "{}; designed backwards: {}",
    },
}


def _number(value: float) -> float | int:
    rounded = round(float(value), 9)
    return int(rounded) if rounded.is_integer() else rounded


def _tidy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    if isinstance(value, float) and np.isfinite(value):
        return _number(value)
    return value


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(_tidy(data), allow_unicode=True, sort_keys=False, width=100)


def _check_reproduced(result: Reach, scheme_data: dict[str, Any], data: Any) -> None:
    from ..scheme import scheme_from_data

    saved = evaluate(compile_scheme(scheme_from_data(scheme_data)), data)
    direct = evaluate(result.compiled, data, {k: [v] for k, v in result.values.items()})
    if not np.array_equal(saved.grade, direct.grade):
        raise PerfsimError(
            "the solved scheme does not grade as the solution does", hint="report this as a bug in perfsim reach"
        )


def entries(result: Reach) -> list[dict[str, Any]]:
    """``defaults`` entries: one per target (with the value reached), one per moved parameter."""
    out = []
    for t, met, achieved in zip(result.targets, result.table["met"], result.table["achieved"]):
        choice = {}
        for lang in ("zh", "en"):
            key = "reached" if met else "missed"
            choice[lang] = _WORDS[lang][key].format(
                t.words(result.compiled, lang), t.show(float(achieved), result.compiled, lang)
            )
        out.append(
            {
                "item": {lang: _WORDS[lang]["target"] for lang in ("zh", "en")},
                "choice": choice,
                "reason": {lang: _WORDS[lang]["reason"] for lang in ("zh", "en")},
                "source": f"{TARGET_SOURCE}{t.text}",
            }
        )
    for name, value in result.changes.items():
        before = result.compiled.parameters[name].nominal
        words = {lang: parameter_words(result.compiled, name, lang) for lang in ("zh", "en")}
        out.append(
            {
                "item": {lang: words[lang].name for lang in ("zh", "en")},
                "choice": {
                    lang: _WORDS[lang]["was"].format(words[lang].value(value), words[lang].value(before))
                    for lang in ("zh", "en")
                },
                "reason": {lang: _WORDS[lang]["reason"] for lang in ("zh", "en")},
                "source": f"{name}={_number(value)}",
            }
        )
    return out


def save_solved(result: Reach, out: Path, scenario: Scenario | None, data: Any) -> list[Path]:
    """Write the solved scheme (and, from a scenario, a scenario naming it); return the files written.

    From a scenario, ``out`` is the new scenario and the scheme goes beside it as
    ``<stem>.scheme.yaml``; from a scheme file, ``out`` is the scheme.
    """
    scheme_data = result.scheme().model_dump(mode="json", exclude_unset=True)
    scheme_data["id"] = out.stem if scenario is None else f"{out.stem}-scheme"
    _check_reproduced(result, scheme_data, data)
    header = f"# solved by perfsim reach: {'; '.join(t.text for t in result.targets)}\n"
    if scenario is None:
        write_text(out, header + _yaml(scheme_data))
        return [out]
    scheme_path = out.with_name(f"{out.stem}.scheme.yaml")
    spec = scenario.spec.model_dump(mode="json", exclude_none=True)
    data_path = (scenario.path.parent / scenario.spec.data).resolve()
    moved = {lang: ("；" if lang == "zh" else "; ").join(result.moved(lang)["change"]) or "–" for lang in ("zh", "en")}
    spec.update(
        id=out.stem,
        name={lang: _WORDS[lang]["name"].format(pick(scenario.spec.name, lang)) for lang in ("zh", "en")},
        description={
            lang: _WORDS[lang]["description"].format(pick(scenario.spec.description, lang)[:120], moved[lang])
            for lang in ("zh", "en")
        },
        scheme=scheme_path.name,
        data=os.path.relpath(data_path, out.parent.resolve()),
        defaults=[*spec.get("defaults", []), *entries(result)],
    )
    try:
        ScenarioFile.model_validate(spec)  # what load_scenario will read
    except ValidationError:
        raise PerfsimError(
            f"'{out.stem}' cannot name a scenario",
            file=out,
            hint="name the file with letters, digits, - and _ (solved.yaml)",
        ) from None
    write_text(scheme_path, header + _yaml(scheme_data))
    write_text(out, header + _yaml(spec))
    return [out, scheme_path]


def solved_section(scenario: Scenario, params: Mapping[str, float], lang: str) -> dict[str, Any] | None:
    """What a briefing note says about a solved scenario's targets, or None when it was not solved.

    Each target recorded in the scenario is measured again under the note's own setting (the
    scenario, with ``params`` when the note is about a variant of it); the moves are the entries
    ``perfsim reach`` wrote.
    """
    from ..briefing import Table
    from ..note_words import TEXT
    from .reach_measure import Measurer
    from .reach_targets import parse_target

    texts = [
        d.source.removeprefix(TARGET_SOURCE)
        for d in scenario.spec.defaults
        if d.source and d.source.startswith(TARGET_SOURCE)
    ]
    if not texts:
        return None
    t = TEXT[lang]
    compiled, data = scenario.compiled, scenario.data
    targets = [parse_target(text, compiled, data) for text in texts]
    measurer = Measurer(compiled, data, targets)
    values = measurer.values({k: np.array([v]) for k, v in params.items()}, 1)[0]
    met = [bool(x.met(np.array(v))) for x, v in zip(targets, values)]
    rows = [
        [x.words(compiled, lang), x.show(float(v), compiled, lang), t["solved_yes"] if ok else t["solved_no"]]
        for x, v, ok in zip(targets, values, met)
    ]
    import pandas as pd

    table = Table.of(pd.DataFrame(rows, columns=[t["solved_target"], t["solved_value"], t["solved_status"]]))
    missed = [x.words(compiled, lang) for x, ok in zip(targets, met) if not ok]
    sep = "；" if lang == "zh" else "; "
    verdict = t["solved_met"] if not missed else t["solved_unmet"].format(sep.join(missed))
    moved = []
    for d in scenario.spec.defaults:  # the moves perfsim reach recorded, by their reason
        if d.source and not d.source.startswith(TARGET_SOURCE) and pick(d.reason, "en") == _WORDS["en"]["reason"]:
            moved.append(f"{pick(d.item, lang)} {pick(d.choice, lang)}")
    return {"verdict": verdict, "targets": table, "moved": moved}
