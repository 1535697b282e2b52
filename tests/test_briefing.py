"""Briefing notes (issue 7): self-contained offline HTML, escaped names, rendered in headless Chromium."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
import yaml
from test_browser import CHROMIUM, CHROMIUM_ARGS

from perfsim.batch import run_batch
from perfsim.briefing import brief, sections
from perfsim.cli import main
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

EVIL = "<script>alert('x')</script>部门"


@pytest.fixture(scope="module")
def evil_scenario(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evil")
    (folder / "schemes").mkdir()
    (folder / "data").mkdir()
    shutil.copy(SCENARIOS / "schemes" / "qitai-county.yaml", folder / "schemes" / "qitai-county.yaml")
    frame = pd.read_csv(SCENARIOS / "data" / "qitai-county.csv")
    frame.loc[frame.unit == "U020", "name"] = EVIL
    frame.to_csv(folder / "data" / "qitai-county.csv", index=False)
    spec = yaml.safe_load((SCENARIOS / "qitai-county.yaml").read_text(encoding="utf-8"))
    spec["description"] = "a <b>bold</b> & risky description"
    (folder / "qitai-county.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return folder / "qitai-county.yaml"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_briefing_is_self_contained_and_escaped(evil_scenario, tmp_path, lang):
    path = brief(evil_scenario, tmp_path, params={"cutoff:优秀": 85.0}, lang=lang)
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert re.search(r"&lt;script&gt;alert\((&#x27;|')x(&#x27;|')\)&lt;/script&gt;部门", text)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; risky" in text
    assert text.count("<svg") >= 1  # the grade distribution, inline
    assert ("等次转移" if lang == "zh" else "Grade transitions") in text
    heading = "主要结论" if lang == "zh" else "Headline findings"
    assert heading in text and "print(" not in text  # no code in the note


def test_briefing_renders_offline_in_headless_chromium(evil_scenario, tmp_path):
    from playwright.sync_api import sync_playwright

    path = brief(evil_scenario, tmp_path, params={"cutoff:优秀": 85.0})
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_offline(True)
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        charts = page.locator("svg").count()
        marks = page.locator("svg path, svg rect").count()
        body = page.inner_text("body")
        browser.close()
    assert charts >= 1 and marks > 10  # the chart drew its marks without any network
    assert [r for r in requests if r != path.as_uri()] == []
    assert dialogs == [] and EVIL in body  # the name shows as text; the script never ran


def test_sections_compare_against_a_baseline_scenario():
    sc = load_scenario(SCENARIOS / "qitai-county.yaml")
    parts = sections(sc, {"cutoff:优秀": 85.0}, None, "en")
    titles = [s.title for s in parts]
    assert titles[:3] == ["Headline findings", "Grade distribution", "Grade changes against the baseline"]
    assert "Appendix" in titles[-1]


def test_cli_brief_and_batch_index(tmp_path, capsys):
    scenario = SCENARIOS / "qitai-county.yaml"
    assert main(["brief", str(scenario), "--lang", "en", "-o", str(tmp_path / "notes")]) == 0
    assert (tmp_path / "notes" / "qitai-county.en.html").exists()
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"""perfsim_sweep: 1
id: two
base: {scenario}
vary: {{list: [{{"cutoff:优秀": 85}}, {{"cutoff:优秀": 95}}]}}
report: [1]
lang: en
""",
        encoding="utf-8",
    )
    out = run_batch(sweep, tmp_path / "batch", progress=False)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "briefings/variant-00001.en.html" in index and (out / "briefings" / "variant-00001.en.html").exists()
    assert "<script" not in index.lower()
