"""Write a solved scenario: the scheme with the moved values, and a scenario that records the targets.

The scenario keeps its data and lists, as ``defaults`` entries, each target with the value it
reaches (``source: target:优秀<=20%``) and each moved parameter with its old value
(``source: moved:cutoff:优秀=91.5``); a briefing note made from it shows them in a section of its own
(:func:`perfsim.briefing.solved_section`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..compile import compile_scheme
from ..data import MAX_DATA_BYTES
from ..engine import evaluate
from ..errors import PerfsimError
from ..inputs import read_bytes
from ..labels import parameter_words, pick
from ..outputs import write_atomic, write_text, yaml_number, yaml_text
from ..scenario import Scenario, ScenarioFile
from ..scenario_files import bundled_scenarios_folder
from .reach import Reach

TARGET_SOURCE = "target:"
MOVED_SOURCE = "moved:"
"""Prefixes of the ``source`` of the defaults entries reach writes: a target, or a parameter it moved."""
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
                "source": f"{MOVED_SOURCE}{name}={yaml_number(before)}→{yaml_number(value)}",
            }
        )
    return out


def moves_recorded(defaults: list[Any]) -> dict[str, float]:
    """The values before solving of the parameters a solved scenario's ``defaults`` say reach moved.

    Parameters
    ----------
    defaults
        A scenario's ``defaults`` entries (each with a ``source``).

    Returns
    -------
    dict
        Parameter name → its value in the scheme before solving, from ``moved:NAME=BEFORE→AFTER``
        (an entry written without the value before gives none).
    """
    out = {}
    for entry in defaults:
        source = entry.source or ""
        if not source.startswith(MOVED_SOURCE):
            continue
        name, _, values = source.removeprefix(MOVED_SOURCE).rpartition("=")
        before, arrow, _ = values.partition("→")
        try:
            if arrow and name:
                out[name] = float(before)
        except ValueError:
            continue
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
        write_text(out, header + yaml_text(scheme_data))
        return [out]
    scheme_path = out.with_name(f"{out.stem}.scheme.yaml")
    spec = scenario.spec.model_dump(mode="json", exclude_none=True)
    data_path = (scenario.path.parent / scenario.spec.data).resolve()
    bundled = bundled_scenarios_folder()
    copied = None
    if bundled is not None and data_path.is_relative_to(bundled.resolve()):
        # a bundled scenario's data lives in the installed package: a path into it breaks when perfsim is
        # reinstalled or the solved file is moved, so the solved scenario takes its own copy
        copied = out.with_name(f"{out.stem}.data{data_path.suffix}")
        data_bytes = read_bytes(data_path, limit=MAX_DATA_BYTES, what="data file")
    moved = {lang: ("；" if lang == "zh" else "; ").join(result.moved(lang)["change"]) or "–" for lang in ("zh", "en")}
    spec.update(
        id=out.stem,
        name={lang: _WORDS[lang]["name"].format(pick(scenario.spec.name, lang)) for lang in ("zh", "en")},
        description={
            lang: _WORDS[lang]["description"].format(pick(scenario.spec.description, lang)[:120], moved[lang])
            for lang in ("zh", "en")
        },
        scheme=scheme_path.name,
        data=copied.name if copied is not None else os.path.relpath(data_path, out.parent.resolve()),
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
    write_text(scheme_path, header + yaml_text(scheme_data))
    if copied is not None:
        write_atomic(copied, lambda tmp: tmp.write_bytes(data_bytes))
    write_text(out, header + yaml_text(spec))
    return [out, scheme_path] + ([copied] if copied is not None else [])
