"""Real-browser test (issues 6 and 12): the explorer notebook in JupyterLab on localhost, headless Debian
Chromium driven by Playwright.

Opens the scheme explorer notebook at 1440×900, runs it, and checks what a designer sees: the
counts, cost line and chart in view without scrolling, levers named by indicator, a cut-off move
that changes counts and chart, and a crossing of two cut-offs refused next to the lever. Every
request must stay on localhost and the console must show no error. The helpers here are shared
with ``test_explore_app.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from urllib.parse import urlparse

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium for the browser test; .ci/run installs it")
    pytest.skip("Debian chromium is not installed here", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def localhost_only(outside: list[str]) -> Callable:
    """A Playwright route handler that lets localhost through and records (and aborts) anything else."""

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    return guard


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    port = free_port()
    home = tmp_path_factory.mktemp("jupyter-home")
    root = tmp_path_factory.mktemp("lab-root")  # Lab saves checkpoints beside what it opens: not in the repository
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "01_scheme_explorer.ipynb", root / "notebooks")
    (root / "scenarios").symlink_to(ROOT / "scenarios")
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--allow-root",
            f"--ServerApp.root_dir={root}",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if proc.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{url}/api", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError(proc.stdout.read().decode(errors="replace") if proc.stdout else "jupyterlab did not start")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_explorer_in_jupyterlab(jupyterlab):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.route("**/*", localhost_only(outside))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{jupyterlab}/lab/tree/notebooks/01_scheme_explorer.ipynb")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_function("document.body.innerText.includes('Idle')", timeout=60_000)  # kernel ready
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_selector(".grade-counts", timeout=120_000)
        page.wait_for_selector(".vega-embed svg", timeout=60_000)
        page.wait_for_timeout(500)  # let the notebook settle its scroll position
        for selector in (".grade-counts", ".perfsim-cost", ".vega-embed svg"):
            box = page.locator(selector).first.bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 900, (selector, box)
        names = page.locator(".perfsim-lever-name").all_inner_texts()
        assert "优秀 分数线" in names and not [n for n in names if ":" in n]
        before_counts = page.inner_text(".grade-counts")
        before_chart = page.inner_html(".vega-embed")
        readout = page.locator(".perfsim-lever", has=page.locator("text=优秀 分数线")).locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("85")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "before => document.querySelector('.grade-counts').innerText !== before", arg=before_counts, timeout=60_000
        )
        page.wait_for_function(
            "before => document.querySelector('.vega-embed').innerHTML !== before", arg=before_chart, timeout=60_000
        )
        excellent = int(page.locator(".perfsim-count[data-grade='优秀'] .n").inner_text())
        good = page.locator(".perfsim-lever", has=page.locator("text=良好 分数线"))
        good.locator(".widget-readout").click()
        page.keyboard.press("Control+A")
        page.keyboard.type("85")
        page.keyboard.press("Enter")
        warning = good.locator("xpath=following-sibling::*[1]").locator(".perfsim-error")  # the line under it
        warning.wait_for(timeout=30_000)
        assert "须低于优秀 分数线" in warning.inner_text()
        assert int(page.locator(".perfsim-count[data-grade='优秀'] .n").inner_text()) == excellent
        browser.close()
    assert excellent > 16  # 16 units are 优秀 at the 90 cut-off
    assert outside == [], f"requests left localhost: {outside[:5]}"
    assert errors == [], errors
