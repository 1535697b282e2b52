"""HTML safety (issue 10): hostile labels in every label type, every HTML output opened in headless Chromium.

Two scenarios whose every human label is a script payload (scheme, grades, classes, indicators,
vetoes, adjustments, flags, attributes, unit ids and names, scenario id, name, description, source,
defaults and levers) are briefed in zh and en, one against the other (``--vs``), with a cut-off
changed (``--set``) and in a batch (a variant note and ``index.html``). Each page is
opened from disk in Debian's Chromium with every request other than the file itself logged
and aborted. No script may run, no element may be injected, no request may leave the file,
and every payload the page shows must show as its literal text (escaped, not dropped).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from test_browser import CHROMIUM, CHROMIUM_ARGS  # skips this module when chromium is not installed

from perfsim.cli import main

# --------------------------------------------------------------------------- payloads

TEMPLATES = [
    '<script>window.__pwned="{m}"</script>',
    "<img src=x onerror=\"window.__pwned='{m}'\">",
    '"><svg onload=window.__pwned="{m}">',
    "<a href=\"javascript:window.__pwned='{m}'\">{m}</a>",
    '<iframe src="http://127.0.0.1:9/{m}"></iframe>',
    "<link rel=stylesheet href=http://127.0.0.1:9/{m}.css>",
    '</style><script>window.__pwned="{m}"</script>',
    "'\"><img src=x onerror=alert('{m}')> AT&T &amp; &lt;b&gt; &copy",
    '</title></pre></td></tr></table></svg><script>window.__pwned="{m}"</script>',
    '<object data="http://127.0.0.1:9/{m}"></object><embed src="http://127.0.0.1:9/{m}.swf">',
    '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/{m}">',
    '<style>@import "http://127.0.0.1:9/{m}.css";</style>',
    '<svg><script>window.__pwned="{m}"</script></svg>',
    '<base href="http://127.0.0.1:9/{m}/"><form action="javascript:window.__pwned=\'{m}\'"><button>{m}</button></form>',
    ']]><!--{m}--><script>window.__pwned="{m}"</script><![CDATA[',
    "{m} \"double\" 'single' & <b>bold</b> &lt;i&gt;",
]
# A cut-off is named after its grade (cutoff:<grade>) and --set NAME=VALUE splits at the first '=',
# so the grade whose cut-off the --set note moves carries a payload without '='.
NO_EQUALS = '</title></style><script>alert("{m}")</script>优 & "秀" \'{m}\''
MARKER = re.compile(r"PW\d{3}")


class Payloads:
    """Distinct payloads, each with a marker PWnnn, remembered by the label slot they fill."""

    def __init__(self) -> None:
        self.by_slot: dict[str, str] = {}

    def __call__(self, slot: str, template: str | None = None) -> str:
        n = len(self.by_slot)
        marker = f"PW{n:03d}"
        text = (template or TEMPLATES[n % len(TEMPLATES)]).format(m=marker)
        assert slot not in self.by_slot
        self.by_slot[slot] = text
        return text

    def label(self, slot: str, zh_template: str | None = None) -> dict[str, str]:
        return {"zh": self(f"{slot}.zh", zh_template), "en": self(f"{slot}.en")}

    def __getitem__(self, slot: str) -> str:
        return self.by_slot[slot]

    @property
    def markers(self) -> dict[str, str]:
        return {MARKER.search(text).group(): text for text in self.by_slot.values()}  # type: ignore[union-attr]


GRADES = ["g1", "g2", "g3", "g4"]
DEPT_LEAVES = ["tasks", "service", "public"]
TOWN_LEAVES = ["economy", "society"]
ADJUSTMENTS = ["complaints", "awards"]
VETOES = ["veto_safety", "veto_public"]
FOCUS = {"main": (0, "dept"), "base": (13, "town")}
"""Each scenario's traced unit and its class."""
NEAR = (1, 12, 13)
"""Units just off one of the main scheme's cut-offs."""


def scheme_dict(p: Payloads, prefix: str, cutoffs: tuple[float, float, float]) -> dict[str, Any]:
    """A two-class scheme with a section, adjustments, vetoes, flags and pay consequences; every label hostile.

    The baseline scheme (``prefix`` "base") reuses the grade labels so the two can be compared.
    """
    lab = p.label
    if "grade.g1.zh" not in p.by_slot:
        for g in GRADES:
            lab(f"grade.{g}", NO_EQUALS if g == "g1" else None)
    grades = [{"zh": p[f"grade.{g}.zh"], "en": p[f"grade.{g}.en"]} for g in GRADES]
    bands = [{"grade": grade, "min": cut} for grade, cut in zip(grades, cutoffs)] + [{"grade": grades[-1]}]

    def leaf(cls: str, id: str, points: float) -> dict[str, Any]:
        return {
            "id": id,
            "name": lab(f"{prefix}.indicator.{cls}.{id}"),
            "points": points,
            "method": {"method": "score"},
            "rater": p(f"{prefix}.indicator.{cls}.{id}.rater"),
            "unit": p(f"{prefix}.indicator.{cls}.{id}.unit"),
            "note": p(f"{prefix}.indicator.{cls}.{id}.note"),
        }

    return {
        "perfsim_scheme": 1,
        "id": f"hostile-{prefix}",
        "version": "1",
        "name": lab(f"{prefix}.scheme.name"),
        "description": p(f"{prefix}.scheme.description"),
        "source": p(f"{prefix}.scheme.source"),
        "total": 100,
        "attributes": [
            {"id": "staff", "name": lab(f"{prefix}.attribute.staff")},
            {"id": "salary", "name": lab(f"{prefix}.attribute.salary")},
            {"id": "satisfaction", "name": lab(f"{prefix}.attribute.satisfaction")},
        ],
        "unit_classes": [
            {
                "id": "dept",
                "name": lab(f"{prefix}.class.dept"),
                "indicators": [
                    {
                        "id": "key",
                        "name": lab(f"{prefix}.section.dept.key"),
                        "points": 70,
                        "children": [leaf("dept", "tasks", 40), leaf("dept", "service", 30)],
                    },
                    leaf("dept", "public", 30),
                ],
            },
            {
                "id": "town",
                "name": lab(f"{prefix}.class.town"),
                "indicators": [leaf("town", "economy", 60), leaf("town", "society", 40)],
            },
        ],
        "adjustments": {
            "items": [
                {
                    "id": "complaints",
                    "name": lab(f"{prefix}.adjustment.complaints"),
                    "kind": "deduction",
                    "cap": 2,
                    "source": p(f"{prefix}.adjustment.complaints.source"),
                },
                {"id": "awards", "name": lab(f"{prefix}.adjustment.awards"), "kind": "bonus", "cap": 3},
            ]
        },
        "vetoes": [
            {
                "id": v,
                "name": lab(f"{prefix}.veto.{v}"),
                "scope": "grade_lowest",
                "source": p(f"{prefix}.veto.{v}.source"),
            }
            for v in VETOES
        ],
        "rounding": {"total": 2},
        "grading": {"basis": "percent", "group_by": "class", "bands": bands},
        "consequences": {
            "pay": {
                "bonus_months": {
                    "salary": "salary",
                    "staff": "staff",
                    "months": {grades[0]["zh"]: 1, grades[1]["zh"]: 0.5},
                }
            },
            "flags": [
                {
                    "id": "commended",
                    "name": lab(f"{prefix}.flag.commended"),
                    "when": {"grades": [grades[0]["zh"], grades[1]["zh"]]},
                    "effect": p(f"{prefix}.flag.commended.effect"),
                    "source": p(f"{prefix}.flag.commended.source"),
                },
                {
                    "id": "no_award",
                    "name": lab(f"{prefix}.flag.no_award"),
                    "when": {"grades": [grades[3]["zh"]]},
                    "effect": p(f"{prefix}.flag.no_award.effect"),
                },
                {
                    "id": "handled",
                    "name": lab(f"{prefix}.flag.handled"),
                    "when": {"grades": [grades[3]["zh"]], "consecutive": 2},
                },
                {
                    "id": "unhappy",
                    "name": lab(f"{prefix}.flag.unhappy"),
                    "when": {"attribute": "satisfaction", "below": 60},
                    "effect": p(f"{prefix}.flag.unhappy.effect"),
                },
            ],
        },
    }


def write_data(p: Payloads, path: Path) -> None:
    """24 units in two classes, some with hostile ids and names.

    The traced units (0 and 13) have both adjustments, both vetoes and low satisfaction, so their
    traces name them and their flags; units 1, 12 and 13 sit just off a cut-off of the main scheme.
    """
    rng = np.random.default_rng(10)
    near = dict(zip(NEAR, (89.5, 79.6, 70.4)))
    columns = ["unit", "name", "class", *DEPT_LEAVES, *TOWN_LEAVES, *ADJUSTMENTS, *VETOES]
    columns += ["staff", "salary", "satisfaction"]
    rows = []
    for i in range(24):
        cls = "dept" if i < 12 else "town"
        hostile = i in (0, *NEAR)
        row: dict[str, Any] = {
            "unit": p(f"unit.{i}") if hostile else f"U{i:03d}",
            "name": p(f"unit.{i}.name") if hostile else f"单位{i:02d}",
            "class": cls,
        }
        for leaf in DEPT_LEAVES + TOWN_LEAVES:
            mine = leaf in (DEPT_LEAVES if cls == "dept" else TOWN_LEAVES)
            row[leaf] = (f"{near[i]}" if i in near else f"{rng.uniform(55, 100):.1f}") if mine else ""
        traced = i in (0, 13)
        row["complaints"] = "1" if traced else ("0.5" if i % 5 == 3 and i not in NEAR else "0")
        row["awards"] = "1" if traced or i == 7 else "0"
        row["veto_safety"] = "1" if traced else "0"
        row["veto_public"] = "1" if traced or i == 20 else "0"
        row["staff"] = str(10 + i)
        row["salary"] = str(4000 + 10 * i)
        row["satisfaction"] = "40" if traced else f"{rng.uniform(50, 95):.1f}"
        rows.append(row)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)


def scenario_dict(p: Payloads, prefix: str, scheme: str, cut_params: list[str]) -> dict[str, Any]:
    focus = FOCUS[prefix][0]
    return {
        "perfsim_scenario": 1,
        "id": f"hostile-{prefix}",  # ids are plain (letters, digits, - and _): the loader refuses markup
        "name": p.label(f"{prefix}.scenario.name"),
        "description": p(f"{prefix}.scenario.description"),
        "source": p(f"{prefix}.scenario.source"),
        "scheme": scheme,
        "data": "data/units.csv",
        "defaults": [
            {
                "item": p(f"{prefix}.default.{i}.item"),
                "choice": p(f"{prefix}.default.{i}.choice"),
                "reason": p(f"{prefix}.default.{i}.reason"),
                "source": p(f"{prefix}.default.{i}.source"),
            }
            for i in range(2)
        ],
        "analysis": {
            "levers": [
                {"parameter": cut_params[0], "low": 85, "high": 95, "label": p.label(f"{prefix}.lever.0")},
                {"parameter": cut_params[1], "low": 75, "high": 85, "label": p.label(f"{prefix}.lever.1")},
                {"parameter": "points:dept/public", "low": 5, "high": 40},
                {"parameter": "cap:complaints", "low": 0, "high": 5},
            ],
            "simulation": {"years": 3, "draws": 10, "seed": 1},
            "focus_unit": p[f"unit.{focus}"],
        },
    }


def dump(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")
    return path


@dataclass
class Hostile:
    folder: Path
    scenario: Path
    baseline: Path
    sweep: Path
    payloads: Payloads
    cutoff: dict[str, str]
    """Grade slot → its cut-off parameter name."""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Hostile:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "schemes").mkdir()
    (folder / "data").mkdir()
    p = Payloads()
    main_scheme = scheme_dict(p, "main", (90, 80, 70))
    base_scheme = scheme_dict(p, "base", (85, 75, 65))
    dump(folder / "schemes" / "hostile.yaml", main_scheme)
    dump(folder / "schemes" / "baseline.yaml", base_scheme)
    write_data(p, folder / "data" / "units.csv")
    cutoff = {g: f"cutoff:{p[f'grade.{g}.zh']}" for g in GRADES[:3]}
    levers = [cutoff["g1"], cutoff["g2"]]
    scenario = dump(folder / "hostile.yaml", scenario_dict(p, "main", "schemes/hostile.yaml", levers))
    baseline = dump(folder / "baseline.yaml", scenario_dict(p, "base", "schemes/baseline.yaml", levers))
    sweep = dump(
        folder / "sweep.yaml",
        {
            "perfsim_sweep": 1,
            "id": "hostile-sweep",
            "base": "hostile.yaml",
            "vary": {
                "list": [
                    {cutoff["g1"]: 88},
                    {cutoff["g1"]: 188},  # fails: the error names the hostile parameter
                    {cutoff["g2"]: 78, "cap:complaints": 1},
                ]
            },
            "report": [0],
            "lang": "zh",
            "chunk": 2,
        },
    )
    return Hostile(folder, scenario, baseline, sweep, p, cutoff)


# --------------------------------------------------------------------------- outputs

OUTPUTS = ["note-zh", "note-en", "note-base-en", "note-vs-en", "note-set-zh", "batch-note-zh", "batch-index"]


@dataclass
class Output:
    code: int | BaseException
    path: Path | None
    expected: list[str] = field(default_factory=list)
    """Texts the page must show literally."""


def _note_texts(h: Hostile, lang: str, prefix: str = "main") -> list[str]:
    """What a one-language briefing note on scenario ``prefix`` shows: the scenario's name, grades, the traced unit.

    Notes speak one language: names appear in the note's language, and parameters appear in words
    (grade names), not as ids; free texts written in the other language are left out.
    """
    p = h.payloads
    texts = [p[f"{prefix}.scenario.name.{lang}"]]
    texts += [p[f"grade.{g}.{lang}"] for g in GRADES]
    # the trace appendix: a unit with both adjustments, both vetoes (lowest grade) and two flags raised
    unit, cls = FOCUS[prefix]
    texts += [p[f"unit.{unit}"], p[f"unit.{unit}.name"], p[f"{prefix}.class.{cls}.{lang}"]]
    leaves = DEPT_LEAVES if cls == "dept" else TOWN_LEAVES
    texts += [p[f"{prefix}.indicator.{cls}.{leaf}.{lang}"] for leaf in leaves]
    texts += [p[f"{prefix}.section.dept.key.{lang}"]] if cls == "dept" else []
    texts += [p[f"{prefix}.veto.{v}.{lang}"] for v in VETOES]
    texts += [p[f"{prefix}.flag.{f}.{lang}"] for f in ("no_award", "unhappy")]
    if prefix == "main":  # the units near a cut-off
        texts += [p[f"unit.{i}{k}"] for i in NEAR for k in ("", ".name")]
    return list(dict.fromkeys(texts))


def _run(args: list[str]) -> int | BaseException:
    """The CLI's exit code, or what it raised (reported by test_every_output_is_written, not here)."""
    try:
        return main(args)
    except (Exception, SystemExit) as exc:
        return exc


@pytest.fixture(scope="module")
def outputs(hostile: Hostile, tmp_path_factory) -> dict[str, Output]:
    h, p = hostile, hostile.payloads
    out = tmp_path_factory.mktemp("html")
    found: dict[str, Output] = {}

    def note(name: str, args: list[str], expected: list[str], scenario: Path = h.scenario) -> None:
        folder = out / name
        code = _run(["brief", str(scenario), *args, "-o", str(folder)])
        written = sorted(folder.glob("*.html")) if folder.exists() else []
        found[name] = Output(code, written[0] if len(written) == 1 else None, expected)

    note("note-zh", ["--lang", "zh"], _note_texts(h, "zh"))
    note("note-en", ["--lang", "en"], _note_texts(h, "en"))
    note("note-base-en", ["--lang", "en"], _note_texts(h, "en", "base"), h.baseline)  # the other class, traced
    note("note-vs-en", ["--vs", str(h.baseline), "--lang", "en"], [*_note_texts(h, "en"), p["base.scenario.name.en"]])
    note("note-set-zh", ["--set", f"{h.cutoff['g1']}=85", "--lang", "zh"], _note_texts(h, "zh"))
    batch = out / "batch"
    code = _run(["batch", str(h.sweep), "-o", str(batch), "--quiet"])
    variant = next(iter(sorted((batch / "briefings").glob("variant-00000*.zh.html"))), batch / "missing")
    found["batch-note-zh"] = Output(code, variant if variant.exists() else None, _note_texts(h, "zh"))
    # the index names parameters in words (<grade> 分数线) and shows grade counts under the grades' names
    index = [p["main.scenario.name.zh"], f"{p['grade.g1.zh']} 分数线", f"{p['grade.g2.zh']} 分数线"]
    index += [p[f"grade.{g}.zh"] for g in GRADES]
    found["batch-index"] = Output(code, batch / "index.html" if (batch / "index.html").exists() else None, index)
    return found


# --------------------------------------------------------------------------- the browser

# Elements the notes and the index are made of (page, sections, pandas tables, vl-convert's inline SVG).
ALLOWED_TAGS = {
    *("html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "b", "ul", "li", "pre", "a"),
    *("table", "thead", "tbody", "tr", "th", "td", "div", "span", "br", "header", "section", "figure"),
    *("svg", "g", "path", "rect", "line", "text", "defs", "clippath", "lineargradient", "stop", "tspan", "circle"),
}
FORBIDDEN_TAGS = {
    *("script", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "base", "form", "button"),
    *("input", "img", "image", "video", "audio", "source", "track", "portal", "math", "foreignobject", "use"),
    *("animate", "set", "noscript", "template", "xmp", "textarea", "select", "dialog", "details"),
}
SCAN = """() => {
  const out = [];
  for (const el of document.querySelectorAll('*')) {
    const attrs = {};
    for (const a of el.attributes) attrs[a.name.toLowerCase()] = a.value;
    out.push({tag: el.tagName.toLowerCase(), attrs});
  }
  return out;
}"""
VISIBLE_TEXT = """() => {
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE']);
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    let hidden = false;
    for (let e = n.parentElement; e; e = e.parentElement) if (skip.has(e.tagName.toUpperCase())) hidden = true;
    if (!hidden) parts.push(n.data);
  }
  return parts.join('\\n');
}"""


@dataclass
class Rendered:
    url: str
    final_url: str
    pwned: str | None
    dialogs: list[str]
    requests: list[str]
    elements: list[dict[str, Any]]
    text: str
    errors: list[str]


def open_page(browser: Any, path: Path) -> Rendered:
    """Open one file with every other request logged and aborted, then read what the page became."""
    url = path.resolve().as_uri()
    requests: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []

    def guard(route: Any) -> None:
        if route.request.url == url or route.request.url.startswith("data:"):
            route.continue_()
        else:
            requests.append(route.request.url)
            route.abort()

    def request(req: Any) -> None:
        if req.url != url and not req.url.startswith("data:"):
            requests.append(req.url)

    def dialog(d: Any) -> None:
        dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    context = browser.new_context()
    try:
        page = context.new_page()
        page.route("**/*", guard)
        page.on("request", request)
        page.on("dialog", dialog)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)  # onerror/onload handlers and refreshes would have fired by now
        pwned = page.evaluate("() => window.__pwned === undefined ? null : String(window.__pwned)")
        return Rendered(
            url=url,
            final_url=page.url,
            pwned=pwned,
            dialogs=dialogs,
            requests=list(dict.fromkeys(requests)),
            elements=page.evaluate(SCAN),
            text=page.evaluate(VISIBLE_TEXT),
            errors=errors,
        )
    finally:
        context.close()


@pytest.fixture(scope="module")
def rendered(outputs: dict[str, Output]) -> dict[str, Rendered]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return {name: open_page(browser, out.path) for name, out in outputs.items() if out.path is not None}
        finally:
            browser.close()


def page_of(rendered: dict[str, Rendered], outputs: dict[str, Output], name: str) -> Rendered:
    if name not in rendered:
        pytest.fail(f"{name} was not written (exit {outputs[name].code!r})")
    return rendered[name]


def short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------- tests


def test_hostile_scheme_is_valid(hostile: Hostile):
    """Every payload is a legal label: the scenarios load (the CLI would fail otherwise)."""
    from perfsim.scenario import load_scenario

    for path in (hostile.scenario, hostile.baseline):
        sc = load_scenario(path)
        assert [g.zh for g in sc.compiled.grades] == [hostile.payloads[f"grade.{g}.zh"] for g in GRADES]
    assert len(set(hostile.payloads.by_slot.values())) == len(hostile.payloads.by_slot)


@pytest.mark.parametrize("name", OUTPUTS)
def test_every_output_is_written(outputs: dict[str, Output], name: str):
    output = outputs[name]
    assert output.code == 0, f"{name}: exit {output.code!r}"
    assert output.path is not None and output.path.stat().st_size > 0


@pytest.mark.parametrize("name", OUTPUTS)
def test_no_script_runs(rendered, outputs, name):
    page = page_of(rendered, outputs, name)
    assert page.pwned is None, f"{name}: window.__pwned = {page.pwned!r}"
    assert page.dialogs == [], f"{name}: dialogs opened: {page.dialogs}"


@pytest.mark.parametrize("name", OUTPUTS)
def test_no_element_is_injected(rendered, outputs, name):
    page = page_of(rendered, outputs, name)
    problems = []
    styles = 0
    for el in page.elements:
        tag, attrs = el["tag"], el["attrs"]
        where = f"<{tag} {' '.join(f'{k}={short(v, 50)!r}' for k, v in attrs.items())}>"
        styles += tag == "style"
        if tag in FORBIDDEN_TAGS or tag not in ALLOWED_TAGS:
            problems.append(f"element {where}")
        if tag == "meta" and attrs.get("http-equiv", "content-security-policy").lower() != "content-security-policy":
            problems.append(f"meta http-equiv {where}")
        for key, value in attrs.items():
            if key.startswith("on"):
                problems.append(f"event handler {key} on {where}")
            squashed = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
            if key in ("href", "src", "xlink:href", "action", "formaction", "data") and squashed.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                problems.append(f"script URL in {key} on {where}")
            if key in ("href", "src", "xlink:href", "data") and re.match(r"^(https?:)?//", squashed):
                problems.append(f"remote URL in {key} on {where}")
    if styles != 1:
        problems.append(f"{styles} <style> elements (the page has one)")
    assert problems == [], f"{name}: {len(problems)} injected:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize("name", OUTPUTS)
def test_no_request_leaves_the_file(rendered, outputs, name):
    page = page_of(rendered, outputs, name)
    assert page.requests == [], f"{name}: requests: {page.requests}"
    assert page.final_url == page.url, f"{name}: navigated to {page.final_url}"


@pytest.mark.parametrize("name", OUTPUTS)
def test_payloads_show_as_literal_text(rendered, outputs, hostile, name):
    """Every label the output shows appears verbatim as text; a payload seen only in part was parsed as HTML."""
    page = page_of(rendered, outputs, name)
    missing = [short(text) for text in outputs[name].expected if text not in page.text]
    by_marker = hostile.payloads.markers
    seen = sorted(set(MARKER.findall(page.text)))
    mangled = [f"{m}: {short(by_marker[m])}" for m in seen if by_marker[m] not in page.text]
    assert missing == [] and mangled == [], (
        f"{name}: {len(missing)} expected labels missing:\n"
        + "\n".join(missing)
        + f"\n{len(mangled)} payloads shown only in part:\n"
        + "\n".join(mangled)
    )


def test_no_payload_survives_in_raw_html(outputs: dict[str, Output], hostile: Hostile):
    """Belt and braces on the files themselves: no payload's raw markup is written unescaped."""
    leaks = []
    for name, output in outputs.items():
        if output.path is None:
            continue
        raw = output.path.read_text(encoding="utf-8")
        for slot, text in hostile.payloads.by_slot.items():
            if "<" in text and text in raw:
                leaks.append(f"{name}: {slot}: {short(text, 60)}")
    assert leaks == [], f"{len(leaks)} raw payloads:\n" + "\n".join(leaks[:40])
