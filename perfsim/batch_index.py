"""A batch's ``index.html``: one row per variant in a reader's words, with a link to its note.

Parameters are named as the notes name them (优秀 分数线, not ``cutoff:优秀``), grade counts
carry signed deltas against the scheme as written, and money is net, in 万元, as in the notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .briefing import Table
from .engine import evaluate
from .labels import grade_names, parameter_words, pick, signed, wan
from .note_words import TEXT
from .outputs import write_html
from .scenario import Scenario

WORDS = {
    "zh": {
        "variant": "方案",
        "status": "状态",
        "failed": "失败",
        "note": "简报",
        "summary": "{} 个方案完成，{} 个失败",
        "changes": "等次改变",
        "seed": "随机种子",
        "baseline": "按方案原文",
    },
    "en": {
        "variant": "Variant",
        "status": "Status",
        "failed": "failed",
        "note": "Note",
        "summary": "{} variants done, {} failed",
        "changes": "Grade changes",
        "seed": "seed",
        "baseline": "As written",
    },
}


def index_table(summary: pd.DataFrame, scenario: Scenario, links: dict[int, str | None], lang: str) -> Table:
    """The index's table: variant, parameters in words, grade counts (± the baseline), net money, note."""
    w, t = WORDS[lang], TEXT[lang]
    compiled = scenario.compiled
    grades_zh = [g.zh for g in compiled.grades]
    grades = grade_names(compiled, lang)
    base = evaluate(compiled, scenario.data)
    base_counts = np.bincount(base.grade[0].astype(np.int64), minlength=len(grades))
    units = len(scenario.data)
    columns: dict[str, list[str]] = {w["variant"]: [str(int(v)) for v in summary["variant"]]}
    for col in [c for c in summary.columns if c.startswith("param ")]:
        name = col.removeprefix("param ")
        words = parameter_words(compiled, name, lang)
        columns[words.name] = [words.value(x) if pd.notna(x) else "" for x in summary[col]]
    done = summary["status"] == "done"
    for g, (zh, label) in enumerate(zip(grades_zh, grades)):
        share = summary.get(f"share {zh}")
        if share is None:
            continue
        counts = np.rint(share.fillna(0).to_numpy() * units).astype(int)
        columns[label] = [f"{n} ({signed(n - base_counts[g])})" if ok else "" for n, ok in zip(counts, done)]
    if "grade changes" in summary:
        columns[w["changes"]] = [f"{int(x)}" if ok else "" for x, ok in zip(summary["grade changes"].fillna(0), done)]
    for key, column in (("budget_diff", "net budget change"), ("pay_diff", "net pay change")):
        if column in summary:
            columns[t[key]] = [wan(x, signed=True) if ok else "" for x, ok in zip(summary[column].fillna(0), done)]
    columns[w["status"]] = ["" if s == "done" else w["failed"] for s in summary["status"]]
    columns[w["note"]] = [links.get(int(v)) or "" for v in summary["variant"]]
    frame = pd.DataFrame(columns)
    return Table.of(frame, [c for c in frame.columns if c not in (w["status"], w["note"])])


def write_index(
    out: Path, sweep_id: str, seed: int, lang: str, scenario: Scenario, summary: pd.DataFrame, manifest: dict[str, Any]
) -> Path:
    """Write ``out/index.html`` (autoescaped template; failed variants keep their error in a tooltip-free row)."""
    w = WORDS[lang]
    variants = manifest["variants"]
    links = {int(v["index"]): v.get("briefing") for v in variants}
    done = sum(v["status"] == "done" for v in variants)
    failed = sum(v["status"] == "failed" for v in variants)
    errors = [(int(v["index"]), v["error"]) for v in variants if v.get("error")]
    return write_html(
        out / "index.html",
        "index.html.j2",
        lang=lang,
        title=f"{sweep_id}: {pick(scenario.spec.name, lang)}",
        heading=pick(scenario.spec.name, lang),
        sweep=sweep_id,
        meta=f"{w['summary'].format(done, failed)} · perfsim {__version__} · {w['seed']} {seed}",
        table=index_table(summary, scenario, links, lang),
        note_column=w["note"],
        errors=errors,
        words=w,
    )
