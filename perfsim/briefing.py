"""Briefing notes for directors: the content (escaped HTML sections) and the notebook run that exports it.

:func:`sections` builds the note's content from a scenario (optionally a variant of it, against
a baseline); the briefing notebook (``notebooks/06_briefing_note.ipynb``) only displays them.
:func:`brief` runs that notebook with papermill and exports a self-contained HTML file: no
code, charts as inline SVG, no script, nothing fetched from a network.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .analysis.compare import compare
from .analysis.montecarlo import weight_monte_carlo
from .analysis.thresholds import near_cutoffs
from .charts import grade_distribution, to_svg
from .engine import evaluate
from .errors import PerfsimError
from .outputs import html_table, inside, markup, render_html, safe_name, scratch_folder, write_text
from .results import explain, results_frame
from .scenario import Scenario, find_file, load_scenario

TEXT = {
    "zh": {
        "title": "绩效方案简报",
        "headline": "主要结论",
        "units": "个单位",
        "distribution": "等次分布",
        "changes": "等次变化（与基准方案相比）",
        "no_changes": "与基准方案相比，没有单位改变等次。",
        "money": "预算变动",
        "sensitivity": "敏感性要点",
        "near": "距分数线不足 1 分的单位",
        "none_near": "没有单位距分数线不足 1 分。",
        "unstable": "权重不确定时等次或排名不稳定的单位（权重在各层级内随机变动 100 次）",
        "none_unstable": "权重在各层级内随机变动时，所有单位的等次都稳定（概率 ≥ 90%）。",
        "transitions": "等次转移（行：基准，列：调整后）",
        "assumptions": "假设与默认取值",
        "levers": "可调参数",
        "trace": "附录：单位得分溯源",
        "variant": "调整参数",
        "baseline": "基准方案",
        "source": "来源",
        "generated": "生成",
        "item": "事项",
        "choice": "取值",
        "reason": "理由",
        "grade": "等次",
        "count": "单位数",
        "share": "占比",
        "changed_n": "个单位改变等次",
        "moved": "预算变动合计（元）",
    },
    "en": {
        "title": "Performance scheme briefing",
        "headline": "Headline findings",
        "units": "units",
        "distribution": "Grade distribution",
        "changes": "Grade changes against the baseline",
        "no_changes": "No unit changes grade against the baseline.",
        "money": "Budget moved",
        "sensitivity": "Sensitivity highlights",
        "near": "Units within 1 point of a cut-off",
        "none_near": "No unit is within 1 point of a cut-off.",
        "unstable": "Units whose grade or rank is unstable when weights vary within each tier (100 draws)",
        "none_unstable": "Every unit keeps its grade in at least 90 % of weight draws.",
        "transitions": "Grade transitions (rows: baseline, columns: now)",
        "assumptions": "Assumptions and defaults",
        "levers": "Levers",
        "trace": "Appendix: how one unit's result was reached",
        "variant": "Parameters changed",
        "baseline": "Baseline",
        "source": "Source",
        "generated": "Generated",
        "item": "Item",
        "choice": "Choice",
        "reason": "Reason",
        "grade": "Grade",
        "count": "Units",
        "share": "Share",
        "changed_n": "units change grade",
        "moved": "Total budget moved (yuan)",
    },
}

STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;max-width:60em;margin:2em auto;
padding:0 1em;color:#222;line-height:1.5}
h1{font-size:1.6em;border-bottom:2px solid #2b6cb0}h2{font-size:1.25em;color:#2b6cb0;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
th{background:#f0f4f8}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}
.meta{color:#666;font-size:.9em}svg{max-width:100%;height:auto}
"""


@dataclass(frozen=True)
class Section:
    title: str
    body: str
    """Escaped HTML."""

    def html(self) -> str:
        return f"<h2>{html.escape(self.title)}</h2>\n{self.body}"


def _table(frame: pd.DataFrame, names: Mapping[str, str] | None = None) -> str:
    """An escaped HTML table; with ``names``, the unit's name is shown beside its id."""
    if names is not None and "unit" in frame and "name" not in frame:
        frame = frame.copy()
        frame.insert(list(frame.columns).index("unit") + 1, "name", [names.get(u, "") for u in frame["unit"]])
    return str(html_table(frame))


def sections(
    scenario: Scenario,
    params: Mapping[str, float] | None = None,
    baseline: Scenario | None = None,
    lang: str = "zh",
) -> list[Section]:
    """The briefing note's content: headline, distribution, grade changes and money, sensitivity,
    assumptions and a trace appendix; every user-supplied string is HTML-escaped.

    Parameters
    ----------
    scenario
        The scheme to brief on.
    params
        A variant of it (parameter overrides); the baseline is then the scenario as written.
    baseline
        Another scenario on the same units to compare with (instead of ``params``'s baseline).
    lang
        ``zh`` or ``en``.
    """
    if lang not in TEXT:
        raise PerfsimError(f"unknown language '{lang}'", hint="use zh or en")
    t = TEXT[lang]
    e = html.escape
    params = dict(params or {})
    compiled, data = scenario.compiled, scenario.data
    ev = evaluate(compiled, data, params, detail=True, ranks=True)
    results = results_frame(ev)
    grades = [g.zh if lang == "zh" else g.en for g in compiled.grades]
    base_ev = None
    if baseline is not None:
        base_ev = evaluate(baseline.compiled, baseline.data, ranks=True)
    elif params:
        base_ev = evaluate(compiled, data, ranks=True)
    counts = [(ev.grade[0] == g).sum() for g in range(len(grades))]
    names = dict(zip(data.units, data.names))
    spec = scenario.spec
    name = spec.name.zh if lang == "zh" else spec.name.en
    out = []
    meta = (
        f"<p class='meta'>{e(t['source'])}: {e(spec.source)} · perfsim {e(__version__)} · "
        f"{e(t['generated'])} {time.strftime('%Y-%m-%d')}</p>"
    )
    head = [f"<h1>{e(t['title'])}: {e(name)}</h1>", meta, f"<p>{e(spec.description)}</p>"]
    if params:
        head.append(f"<p><b>{e(t['variant'])}:</b> " + ", ".join(f"{e(k)} = {v:g}" for k, v in params.items()) + "</p>")
    if baseline is not None:
        head.append(
            f"<p><b>{e(t['baseline'])}:</b> {e(baseline.spec.name.zh if lang == 'zh' else baseline.spec.name.en)}</p>"
        )
    findings = [f"{len(data)} {e(t['units'])}: " + ", ".join(f"{e(g)} {n}" for g, n in zip(grades, counts))]
    comparison = compare(base_ev, ev) if base_ev is not None else None
    if comparison is not None:
        findings.append(f"{int(comparison.summary['grade changes'])} {e(t['changed_n'])}")
        if "money moved (sum of |change|)" in comparison.summary:
            findings.append(f"{e(t['moved'])}: {comparison.summary['money moved (sum of |change|)']:,.2f}")
    out.append(Section(t["headline"], "\n".join(head) + "<ul>" + "".join(f"<li>{f}</li>" for f in findings) + "</ul>"))
    dist = pd.DataFrame(
        {t["grade"]: grades, t["count"]: counts, t["share"]: [f"{n / max(len(data), 1):.0%}" for n in counts]}
    )
    labelled = results.assign(grade=[grades[g] for g in ev.grade[0]])
    chart = to_svg(grade_distribution(labelled, grades, title=t["distribution"]))
    out.append(Section(t["distribution"], _table(dist) + chart))
    if comparison is not None:
        body = _table(comparison.changed.head(30), names) if len(comparison.changed) else f"<p>{e(t['no_changes'])}</p>"
        matrix = comparison.transitions.rename_axis(index=None, columns=None).reset_index(names=t["baseline"])
        body += f"<h3>{e(t['transitions'])}</h3>" + _table(matrix)
        out.append(Section(t["changes"], body))
    near = near_cutoffs(ev, 1.0)
    near_body = _table(near.head(20), names) if len(near) else f"<p>{e(t['none_near'])}</p>"
    mc = weight_monte_carlo(compiled, data, 100, seed=0)
    certainty = mc.grade_probabilities.max(axis=1)
    unstable = mc.rank_intervals.assign(**{"P(most likely grade)": certainty})
    unstable = unstable[certainty < 0.9].sort_values("P(most likely grade)").head(15).reset_index()
    unstable_body = _table(unstable, names) if len(unstable) else f"<p>{e(t['none_unstable'])}</p>"
    out.append(
        Section(
            t["sensitivity"], f"<h3>{e(t['near'])}</h3>" + near_body + f"<h3>{e(t['unstable'])}</h3>" + unstable_body
        )
    )
    defaults = pd.DataFrame(
        [(d.item, d.choice, d.reason) for d in spec.defaults], columns=[t["item"], t["choice"], t["reason"]]
    )
    levers = pd.DataFrame(
        [(lever.parameter, lever.low, lever.high) for lever in spec.analysis.levers],
        columns=[t["levers"], "low", "high"],
    )
    out.append(Section(t["assumptions"], _table(defaults) + f"<h3>{e(t['levers'])}</h3>" + _table(levers)))
    unit = spec.analysis.focus_unit or data.units[int(np.argmin(np.abs(ev.total[0] - np.median(ev.total[0]))))]
    out.append(Section(t["trace"], f"<pre>{e(str(explain(ev, unit)))}</pre>"))
    return out


def note_stem(scenario_id: str, params: Mapping[str, float] | None, vs: str | None, lang: str) -> str:
    """A note's file name says what it is: ``<scenario>__<changed parameters>.<lang>`` (readable, stable).

    A very long list of changes is shortened and given a digest, so two variants never share a name.
    """
    parts = [scenario_id]
    if params:
        changed = "_".join(f"{k}={float(v):g}" for k, v in sorted(params.items())).replace(":", "-").replace("/", "-")
        if len(changed) > 80:
            import hashlib

            changed = changed[:70] + "-" + hashlib.sha1(changed.encode()).hexdigest()[:8]
        parts.append(changed)
    if vs:
        parts.append(f"vs-{vs}")
    return safe_name("__".join(parts)) + f".{lang}"


def template_notebook() -> Path:
    """The briefing notebook: installed with the package, else the repository's notebooks/ copy."""
    packaged = resources.files("perfsim").joinpath("templates/briefing_note.ipynb")
    if packaged.is_file():
        return Path(str(packaged))
    beside = Path(__file__).resolve().parent.parent / "notebooks" / "06_briefing_note.ipynb"
    if beside.is_file():  # a source checkout or an editable install
        return beside
    return find_file("notebooks/06_briefing_note.ipynb")


def page(body: str, title: str, lang: str) -> str:
    """A self-contained HTML page around ``body`` (HTML perfsim built from escaped parts): inline CSS,
    a content security policy that lets no script run and nothing be fetched."""
    return render_html("page.html.j2", body=markup(body), title=title, lang=lang, style=markup(STYLE))


def export_html(notebook: Path, lang: str, title: str) -> str:
    """The executed notebook's outputs only (no code, no markdown), wrapped in :func:`page`.

    Outputs are taken as their richest safe form: HTML (the briefing's own escaped sections),
    inline SVG, PNG as a data URI, or escaped plain text. This is what nbconvert's HTML exporter
    does with ``exclude_input``; done directly it costs milliseconds instead of the tenth of a
    second nbconvert's template rendering takes per note, which matters for batches.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    pieces = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                pieces.append(f"<pre>{html.escape(output.get('text', ''))}</pre>")
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                if "text/html" in data:
                    pieces.append(data["text/html"])
                elif "image/svg+xml" in data:
                    pieces.append(data["image/svg+xml"])
                elif "image/png" in data:
                    pieces.append(f"<img alt='chart' src='data:image/png;base64,{data['image/png'].strip()}'>")
                elif "text/plain" in data:
                    pieces.append(f"<pre>{html.escape(data['text/plain'])}</pre>")
    return page("\n".join(pieces), title, lang)


@cache
def _kernel_manager() -> type:
    """A kernel manager whose connection file (and, where the path is short enough, Unix sockets)
    live in the scratch folder, so that they go when it goes.

    Unix sockets mean nothing listens on a TCP port; a socket path is limited to about 100 bytes,
    so a deep temp folder falls back to TCP on the loopback address.
    """
    import os
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ScratchKernelManager(AsyncKernelManager):  # type: ignore[misc]
        @default("connection_file")
        def _scratch_connection_file(self) -> str:
            return os.path.join(os.environ["JUPYTER_RUNTIME_DIR"], f"kernel-{uuid.uuid4().hex[:12]}.json")

        @default("transport")
        def _unix_sockets_if_they_fit(self) -> str:
            return "ipc" if len(os.environ["JUPYTER_RUNTIME_DIR"]) < 70 else "tcp"

    return ScratchKernelManager


def brief(
    scenario: str | Path | Scenario,
    out_dir: str | Path,
    *,
    vs: str | Path | None = None,
    params: Mapping[str, float] | None = None,
    lang: str = "zh",
    name: str | None = None,
) -> Path:
    """Execute the briefing notebook (papermill) and write a self-contained HTML briefing note.

    Returns
    -------
    pathlib.Path
        The HTML file, written atomically into ``out_dir``.
    """
    import papermill

    if lang not in TEXT:
        raise PerfsimError(f"unknown language '{lang}'", hint="use --lang zh or --lang en")
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)  # errors before any kernel
    scenario = loaded.path
    spec = loaded.spec
    baseline = load_scenario(vs) if vs is not None else None
    # the content is computed here, where perfsim is already loaded; the notebook only displays it
    parts = [section.html() for section in sections(loaded, params, baseline, lang)]
    target = inside(
        out_dir, (name or note_stem(spec.id, params, baseline.spec.id if baseline else None, lang)) + ".html"
    )
    with scratch_folder() as tmp:
        executed = Path(tmp) / "briefing.ipynb"
        content = Path(tmp) / "content.json"
        content.write_text(json.dumps(parts, ensure_ascii=False), encoding="utf-8")
        papermill.execute_notebook(
            str(template_notebook()),
            str(executed),
            kernel_name="python3",
            kernel_manager_class=_kernel_manager(),
            # the kernel's own log (transport notices) is not for a note's reader; errors still show
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            progress_bar=False,
            log_output=False,
            parameters={
                "scenario": str(scenario.resolve()),
                "baseline": str(Path(vs).resolve()) if vs else "",
                "params": dict(params or {}),
                "lang": lang,
                "chart_mode": "svg",
                "content": str(content),
            },
            cwd=tmp,
        )
        text = export_html(executed, lang, f"{TEXT[lang]['title']}: {spec.name.zh if lang == 'zh' else spec.name.en}")

    return write_text(target, text)
