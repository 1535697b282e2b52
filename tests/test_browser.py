"""Real-browser test (issue 6): JupyterLab on localhost, headless Debian Chromium driven by Playwright.

Opens the scheme explorer notebook, runs it, moves the 优秀 cut-off slider and checks that the
grade counts and the chart change; every request must stay on localhost.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
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


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    port = free_port()
    home = tmp_path_factory.mktemp("jupyter-home")
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
            f"--ServerApp.root_dir={ROOT}",
        ],
        cwd=ROOT,
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


def test_explorer_slider_changes_counts_and_chart(jupyterlab):
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def guard(route) -> None:  # type: ignore[no-untyped-def]
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", guard)
        page.goto(f"{jupyterlab}/lab/tree/notebooks/01_scheme_explorer.ipynb")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_function("document.body.innerText.includes('Idle')", timeout=60_000)  # kernel ready
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        counts = page.wait_for_selector("table.grade-counts", timeout=120_000)
        chart = page.wait_for_selector(".vega-embed svg, .vega-embed canvas", timeout=60_000)
        before_counts = counts.inner_text()
        before_chart = page.inner_html(".vega-embed")
        slider = page.locator(".widget-slider", has=page.locator("text=cutoff:优秀")).first
        readout = slider.locator(".widget-readout")
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("85")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "before => document.querySelector('table.grade-counts').innerText !== before",
            arg=before_counts,
            timeout=60_000,
        )
        page.wait_for_function(
            "before => document.querySelector('.vega-embed').innerHTML !== before", arg=before_chart, timeout=60_000
        )
        after_counts = page.inner_text("table.grade-counts")
        browser.close()
    assert chart is not None
    before = dict(zip(before_counts.split()[0::2], map(int, before_counts.split()[1::2])))
    after = dict(zip(after_counts.split()[0::2], map(int, after_counts.split()[1::2])))
    assert after["优秀"] > before["优秀"] and sum(after.values()) == sum(before.values())
    assert outside == [], f"requests left localhost: {outside[:5]}"
