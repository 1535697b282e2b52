"""``perfsim explore`` (issue 12): the standalone app in headless Debian Chromium, localhost only.

One server and one page for the module, driven in order like a designer would: load, move a
cut-off, try to cross two, save (badly, then well, then again), trace a unit, brief, reach a
target, switch scenario; then Ctrl-C must stop the server cleanly. After every move the lever and
its effect (counts, cost line, chart) are on one laptop screen together. Every request stays on localhost and the
browser console shows no error.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, localhost_only

from perfsim.scenario import read_scenario_file

from conftest import ROOT, SCENARIOS

VIEWPORT = {"width": 1366, "height": 768}
"""A common office laptop's screen: a lever and its effect must fit it together."""


def test_explore_refuses_bad_input_before_serving(tmp_path, capsys):
    from perfsim.cli import main

    assert main(["explore", str(tmp_path / "missing.yaml"), "--no-browser"]) == 2
    assert main(["explore", str(SCENARIOS / "schemes" / "qitai-county.yaml"), "--no-browser"]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert main(["explore", str(SCENARIOS / "qitai-county.yaml"), f"--port={taken}", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml" in err and "is not a scenario file" in err and f"cannot listen on 127.0.0.1:{taken}" in err


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "perfsim.cli",
            "explore",
            "--no-browser",
            f"--port={port}",
            "--save-dir",
            str(folder / "saved"),
            "--briefings",
            str(folder / "briefings"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url, lines, start = None, [], time.monotonic()
    while url is None and time.monotonic() - start < 60:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            break
        lines.append(line)
        match = re.search(r"perfsim explore: (http://127\.0\.0\.1:\d+/\S*)", line)
        url = match.group(1) if match else None
    if url is None:
        proc.kill()
        raise RuntimeError("perfsim explore printed no URL:\n" + "".join(lines))
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()  # keep the pipe drained: a server blocked on a full pipe stops answering
    yield {"proc": proc, "url": url, "folder": folder, "output": lines, "reader": reader}
    if proc.poll() is None:  # a test failed before the Ctrl-C test: stop the server and its kernels all the same
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def page(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        outside: list[str] = []
        context.route("**/*", localhost_only(outside))  # every page, the briefing note's too
        page = context.new_page()
        page.outside = outside  # type: ignore[attr-defined]
        page.errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
        page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
        page.goto(app["url"])
        page.wait_for_selector(".grade-counts", timeout=90_000)
        page.wait_for_selector(".vega-embed svg", timeout=30_000)
        yield page
        browser.close()


def lever(page, name: str):
    return page.locator(".perfsim-lever", has=page.locator(".perfsim-lever-name", has_text=name))


def move(page, name: str, value: float) -> None:
    """Type a value into a lever's readout, as a person does for an exact number."""
    readout = lever(page, name).locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(f"{value}")
    page.keyboard.press("Enter")


def counts(page) -> dict[str, int]:
    cards = page.locator(".perfsim-count")
    return {
        cards.nth(i).get_attribute("data-grade"): int(cards.nth(i).locator(".n").inner_text())
        for i in range(cards.count())
    }


def in_viewport(page, selector) -> bool:
    """Wholly on screen: ``selector`` is a CSS selector or a locator."""
    found = page.locator(selector) if isinstance(selector, str) else selector
    box = found.first.bounding_box()
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= VIEWPORT["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= VIEWPORT["width"]
    )


def settles_in_viewport(page, selector, seconds: float = 15) -> bool:
    """Wholly on screen once the view has settled: a chart is redrawn (its svg replaced) after each change."""
    deadline = time.monotonic() + seconds
    while not in_viewport(page, selector):
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(250)
    return True


def cause_and_effect_in_view(page, name: str) -> None:
    """The lever ``name`` and its effect (grade counts, cost line, chart) on one screen at once."""
    for selector in (lever(page, name), ".grade-counts", ".perfsim-cost", ".vega-embed svg"):
        assert settles_in_viewport(page, selector), selector


def test_results_are_in_view_and_levers_read_as_indicators(page):
    for selector in (".grade-counts", ".perfsim-cost", ".vega-embed svg"):
        assert in_viewport(page, selector), selector
    names = page.locator(".perfsim-lever-name").all_inner_texts()
    assert "优秀 分数线" in names and "公众评议 分值" in names
    assert not [n for n in names if re.search(r"[a-z]+:", n)]  # no parameter id on screen
    tips = page.locator(".perfsim-lever-name").evaluate_all("els => els.map(e => e.title)")
    assert "cutoff:优秀" in tips and "points:department/public" in tips  # ids only in tooltips
    units = page.locator(".perfsim-lever .perfsim-unit").all_inner_texts()
    assert len(units) == len(names) and set(units) == {"分", "%"}  # every lever shows its unit
    assert "合计 100 分" in page.locator(".perfsim-levers").inner_text()
    assert "ExplorerWidget" not in page.inner_text("body") and page.locator(".cm-editor").count() == 0  # no code
    assert page.locator(".perfsim-reach-panel").is_visible() and not page.locator(".perfsim-reach").is_visible()


def test_a_cut_off_moves_counts_and_money_and_cannot_cross_its_neighbour(page):
    before, shown = counts(page), page.inner_text(".grade-counts")
    move(page, "优秀 分数线", 85)
    page.wait_for_function("b => document.querySelector('.grade-counts').innerText !== b", arg=shown)
    after = counts(page)
    assert after["优秀"] > before["优秀"] and sum(after.values()) == sum(before.values())
    assert "+" in page.locator(".perfsim-count[data-grade='优秀'] .d").inner_text()
    value = page.locator(".perfsim-cost .value").first.inner_text()
    assert value.endswith("万元") and value != "0.00 万元"  # qitai's bonus months are pay
    cause_and_effect_in_view(page, "优秀 分数线")
    handle = lever(page, "良好 分数线").locator(".noUi-handle")  # drag 良好's handle to its top, 85 = 优秀's
    track = lever(page, "良好 分数线").locator(".noUi-base").bounding_box()
    start = handle.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] + 20, start["y"] + start["height"] / 2, steps=8)
    page.mouse.up()
    warning = lever(page, "良好 分数线").locator("xpath=following-sibling::*[1]").locator(".perfsim-error")
    warning.wait_for(timeout=30_000)
    assert "须低于优秀 分数线" in warning.inner_text()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.perfsim-lever')].find(e => e.innerText.includes('良好 分数线'))"
        ".querySelector('.widget-readout').innerText.startsWith('80')"
    )
    assert counts(page) == after
    for row in page.locator("table.perfsim-units tbody tr").all():  # every grade shown agrees with its total
        cells = row.locator("td").all_inner_texts()
        total, grade = float(cells[2].split("→")[-1].replace(",", "")), cells[3].split("→")[-1].strip()
        expected = "优秀" if total >= 85 else "良好" if total >= 80 else "合格" if total >= 70 else "不合格"
        assert grade == expected, cells


def test_saving_checks_the_name_asks_before_overwriting_and_evaluate_reproduces_it(page, app):
    from perfsim.cli import main

    name = page.locator(".perfsim-save-name input")
    name.fill("bad name")
    page.click(".perfsim-save")
    error = page.locator(".perfsim-save-error .perfsim-error")
    error.wait_for(timeout=30_000)
    assert "方案名称" in error.inner_text() and page.inner_text(".perfsim-save-status") == ""
    name.fill("app-variant")
    page.click(".perfsim-save")
    page.wait_for_selector(".perfsim-save-status .perfsim-ok", timeout=30_000)
    assert error.count() == 0
    saved = app["folder"] / "saved" / "app-variant.yaml"
    shown = counts(page)
    out = app["folder"] / "evaluated.csv"
    assert main(["evaluate", str(saved), "-o", str(out)]) == 0
    grades = pd.read_csv(out)["grade"].value_counts().to_dict()
    assert {g: grades.get(g, 0) for g in shown} == shown
    page.click(".perfsim-save")
    page.wait_for_selector(".perfsim-overwrite", state="visible", timeout=30_000)
    assert "覆盖" in page.inner_text(".perfsim-explorer")
    page.click(".perfsim-overwrite")
    page.wait_for_selector(".perfsim-save-status .perfsim-ok", timeout=30_000)
    assert page.locator(".perfsim-scenario option", has_text="（已保存）").count() == 1


def test_a_unit_opens_its_trace_and_a_briefing_note_is_linked(page, app):
    row = page.locator("table.perfsim-units tbody tr").first
    unit = row.get_attribute("data-unit")
    row.click()
    side = page.locator(".perfsim-side")
    side.locator(".perfsim-trace").wait_for(timeout=30_000)
    assert unit in side.inner_text() and "优秀" in side.inner_text()
    page.click(".perfsim-brief")
    link = page.locator(".perfsim-brief-status a")
    link.wait_for(timeout=120_000)
    href = link.get_attribute("href")
    assert href.startswith("/perfsim/briefings/") and list((app["folder"] / "briefings").glob("*.html"))
    with page.context.expect_page() as opened:  # the link opens the note in a new tab
        link.click()
    note = opened.value
    note.wait_for_load_state()
    assert "绩效方案简报" in note.title() and "优秀 分数线 90 → 85 分" in note.inner_text("body")
    note.close()


def test_reaching_a_target_moves_the_levers_with_the_answer_and_the_effect_in_view(page):
    shown = page.inner_text(".grade-counts")
    page.locator(".perfsim-reach-panel .jupyter-widget-Collapse-header").click()
    page.locator(".perfsim-reach-panel textarea").fill("优秀<=10%")
    page.locator(".perfsim-reach-panel input").fill("cutoff:优秀")
    page.click(".perfsim-reach")
    answer = page.locator(".perfsim-reach-out .perfsim-ok")
    answer.wait_for(timeout=60_000)
    page.wait_for_function("b => document.querySelector('.grade-counts').innerText !== b", arg=shown)
    now = counts(page)
    assert now["优秀"] <= 0.10 * sum(now.values())
    readout = float(lever(page, "优秀 分数线").locator(".widget-readout").inner_text())
    assert readout > 90 and "优秀 分数线 90 →" in page.inner_text(".perfsim-reach-out")
    answer.scroll_into_view_if_needed()
    assert in_viewport(page, answer)
    cause_and_effect_in_view(page, "优秀 分数线")
    page.locator(".perfsim-reach-panel textarea").fill("卓越<=10%")  # no such grade
    page.click(".perfsim-reach")
    error = page.locator(".perfsim-reach-out .perfsim-error")
    error.wait_for(timeout=30_000)
    assert "卓越" in error.inner_text() and "Error" not in error.inner_text() and in_viewport(page, error)
    assert counts(page) == now


def test_choosing_another_scenario_reloads_the_view(page):
    lifecycle = read_scenario_file(SCENARIOS / "budget-lifecycle.yaml").name.zh
    page.select_option(".perfsim-scenario select", label=lifecycle)
    page.wait_for_function("() => document.querySelector('.perfsim-count[data-grade=\"良\"]') !== null", timeout=60_000)
    assert "良 分数线" in page.locator(".perfsim-lever-name").all_inner_texts()
    move(page, "良 分数线", 84)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.perfsim-cost .gross .value')]"
        ".some(e => !e.innerText.startsWith('0.00'))",
        timeout=30_000,
    )
    cause_and_effect_in_view(page, "良 分数线")


def test_nothing_left_localhost_and_the_console_is_clean(page):
    assert page.outside == [], page.outside
    assert page.errors == [], page.errors


def test_ctrl_c_stops_the_app_cleanly(app):
    proc = app["proc"]
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(60)
    app["reader"].join(10)
    output = "".join(app["output"])
    assert rc == 0 and "perfsim explore: stopped" in output and "Traceback" not in output
