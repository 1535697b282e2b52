"""Briefing notes (issues 7 and 11): what changed, what it costs, who moves; one language; printable; PDF.

The browser tests open real notes of a budget, a pay and a rank-tier scenario, in Chinese and
English, in headless Chromium with the network refused.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_browser import CHROMIUM, CHROMIUM_ARGS

from perfsim.analysis.compare import compare
from perfsim.batch import run_batch
from perfsim.briefing import TEXT, note
from perfsim.cli import main
from perfsim.consequences import apply_consequences
from perfsim.engine import evaluate
from perfsim.labels import cjk_characters, english_words
from perfsim.publish import brief
from perfsim.scenario import load_scenario

from conftest import SCENARIOS

CASES = {  # scenario → one change a designer would try
    "budget-lifecycle": {"cutoff:良": 85.0},
    "qitai-county": {"cutoff:优秀": 85.0},
    "transport-bureau": {"quota:优胜": 0.3},
}


@pytest.fixture(scope="module")
def scenarios():
    return {name: load_scenario(SCENARIOS / f"{name}.yaml") for name in CASES}


@pytest.fixture(scope="module")
def notes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notes")
    out = {}
    for name, params in CASES.items():
        for lang in ("zh", "en"):
            out[name, lang] = brief(SCENARIOS / f"{name}.yaml", folder, params=params, lang=lang)
    return out


def open_page(browser, path, width, height):
    page = browser.new_page(viewport={"width": width, "height": height})
    requests: list[str] = []
    me = path.as_uri()

    def refuse_all_but_the_note(route):
        if route.request.url == me:
            return route.continue_()
        requests.append(route.request.url)
        return route.abort()

    page.route("**/*", refuse_all_but_the_note)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, requests


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def allowed_words(scenario, lang: str) -> set[str]:
    """Words a Chinese note may show: ids from the data and scheme (units, indicators, periods), perfsim."""
    data, compiled = scenario.data, scenario.compiled
    words = {"perfsim"}
    for text in [*data.units, *(cc.ids for cc in compiled.classes)]:
        words.update(english_words(text) if isinstance(text, str) else [w for t in text for w in english_words(t)])
    for name in compiled.columns if hasattr(compiled, "columns") else []:
        words.update(english_words(name))
    return words


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_first_screen_answers_what_changed_what_it_costs_who_moves(notes, browser, name, lang):
    page, requests = open_page(browser, notes[name, lang], 1280, 900)
    t = TEXT[lang]
    h1 = page.locator("h1").bounding_box()
    changed = page.locator(".changed li").first.bounding_box()
    cost = page.locator(".cost").first
    moves = page.locator(".moves table").first.bounding_box()
    assert h1 is not None and changed is not None and moves is not None
    assert h1["y"] < changed["y"], "the title comes first"
    for box in (changed, cost.bounding_box(), moves):
        assert box is not None and box["y"] + box["height"] <= 900, f"below the first screen: {box}"
    assert t["change"] in page.locator(".moves table").first.inner_text()  # signed deltas against the baseline
    cost_text = cost.inner_text()
    if name == "transport-bureau":  # a ranking scheme without money says so where the cost would be
        assert t["no_money"] in cost_text
    else:
        assert t["net_budget"] in cost_text or t["net_pay"] in cost_text
        assert re.search(r"[+−]?[\d,]+\.\d\d (万元|CNY 10k)", cost_text)
    assert "→" in page.locator(".changed").inner_text()  # old → new in words
    assert requests == []
    page.close()


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_note_fits_a_printed_page_and_speaks_one_language(notes, browser, scenarios, name, lang):
    page, _ = open_page(browser, notes[name, lang], 794, 1123)
    assert page.evaluate("document.documentElement.scrollWidth") <= 794
    text = page.inner_text("body")
    page.close()
    scenario = scenarios[name]
    if lang == "zh":
        stray = set(english_words(text)) - allowed_words(scenario, lang)
        assert not stray, f"English words in the Chinese note: {sorted(stray)[:20]}"
    else:
        for unit_name in scenario.data.names:  # unit and place names from the data may be Chinese
            text = text.replace(unit_name, "")
        for group in np.unique(np.asarray(next(iter(scenario.data.attributes.values()), []), dtype=str)):
            text = text.replace(group, "")
        stray = cjk_characters(text)
        assert not stray, f"CJK in the English note: {''.join(stray)[:60]}"


def test_ranks_are_integers_and_shares_percent(notes, browser):
    page, _ = open_page(browser, notes["qitai-county", "zh"], 1280, 900)
    t = TEXT["zh"]
    headers = page.locator("table").nth(3).locator("th").all_inner_texts()
    tables = page.locator("table")
    found = False
    for k in range(tables.count()):
        heads = tables.nth(k).locator("th").all_inner_texts()
        if t["rank"] in heads:
            col = heads.index(t["rank"]) + 1
            for cell in tables.nth(k).locator(f"tbody td:nth-child({col})").all_inner_texts():
                assert re.fullmatch(r"\d+ → \d+", cell), cell
            found = True
        if t["share"] in heads:
            col = heads.index(t["share"]) + 1
            for cell in tables.nth(k).locator(f"tbody td:nth-child({col})").all_inner_texts():
                assert re.fullmatch(r"\d+(\.\d)?%", cell), cell
    page.close()
    assert found and headers


def test_pdf_holds_the_cost_line_with_fonts_embedded(tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed (.ci/run installs it)")
    cli = [
        sys.executable,
        "-m",
        "perfsim.cli",
        "brief",
        str(SCENARIOS / "qitai-county.yaml"),
        "--set",
        "cutoff:优秀=85",
    ]
    subprocess.run([*cli, "--pdf", "-o", str(tmp_path)], check=True, capture_output=True)  # end to end, own process
    pdf = next(tmp_path.glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "绩效工资净变动" in text and "万元" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(row[-5] == "yes" for row in rows), fonts  # the 'emb' column: every font embedded


def test_compare_counts_pay_money(scenarios):
    """Qitai's only consequence is pay (bonus months): a lower 优秀 cut-off costs pay, and compare() says so."""
    sc = scenarios["qitai-county"]
    base = evaluate(sc.compiled, sc.data, ranks=True)
    reform = evaluate(sc.compiled, sc.data, {"cutoff:优秀": 85.0}, ranks=True)
    result = compare(base, reform)
    b_out, _ = apply_consequences(base)
    r_out, _ = apply_consequences(reform)
    expected = sum(r_out.pay[k].sum() - b_out.pay[k].sum() for k in r_out.pay)
    assert result.summary["net pay change"] == pytest.approx(expected, abs=0.005)
    assert expected > 0 and "pay difference" in result.units


def test_stability_is_computed_under_the_variant(scenarios):
    """With 优秀 at 95, a unit at 90 is no longer near a cut-off: it must not be listed as unstable."""
    sc = scenarios["qitai-county"]
    params = {"cutoff:优秀": 95.0}
    n = note(sc, params, lang="en")
    table = n.sensitivity[-1][1]
    assert table is not None
    totals = dict(zip(sc.data.units, evaluate(sc.compiled, sc.data, params).total[0]))
    cuts = [95.0, *(p.nominal for p in sc.compiled.parameters if p.kind == "cutoff" and p.name != "cutoff:优秀")]
    for row in table.rows:
        distance = min(abs(totals[row[0]] - c) for c in cuts)
        assert distance < 3.0, f"{row[0]} at {totals[row[0]]:.2f} is far from every cut-off of the variant"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.floats(-100, 0), cutoff=st.floats(80.5, 99.5))
def test_note_money_equals_the_ledger_to_the_fen(scenarios, rate, cutoff):
    lifecycle = {"rate:中": rate, "rate:优": -rate / 2, "cutoff:良": cutoff - 10}
    for name, params in (("budget-lifecycle", lifecycle), ("qitai-county", {"cutoff:优秀": cutoff})):
        sc = scenarios[name]
        n = note(sc, params, lang="zh")
        b_out, _ = apply_consequences(evaluate(sc.compiled, sc.data))
        r_out, _ = apply_consequences(evaluate(sc.compiled, sc.data, params))
        lines = {line["label"]: line["fen"] for line in n.cost_lines}
        t = TEXT["zh"]
        if name == "budget-lifecycle":
            assert lines[t["net_budget"]] == int(r_out.next_budget.sum() - b_out.next_budget.sum())
        pay = sum(int(round((r_out.pay[k].sum() - b_out.pay[k].sum()) * 100)) for k in r_out.pay)
        if r_out.pay:
            assert lines[t["net_pay"]] == pay


def test_cli_brief_names_the_file_and_batch_index(tmp_path, capsys):
    scenario = SCENARIOS / "qitai-county.yaml"
    assert main(["brief", str(scenario), "--lang", "en", "--set", "cutoff:优秀=85", "-o", str(tmp_path / "n")]) == 0
    assert (tmp_path / "n" / "qitai-county__cutoff-优秀=85.en.html").exists()
    assert "WARNING" not in capsys.readouterr().err
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
    note = "variant-00001__cutoff-优秀=95.en.html"  # the variant's number and what it changes
    assert f"briefings/{note}" in index and (out / "briefings" / note).exists()
    assert "None" not in index and "cut-off for" in index
