"""Benchmark ``perfsim explore`` in a browser (headless Debian Chromium, localhost) on a 1,000-unit scenario.

1. Start-up: the command's start → its URL printed, and → the explorer's results and chart shown
   in a browser that opens the URL as soon as it is printed (the browser itself is started first
   and not counted).
2. Input → DOM: the 优秀 cut-off typed into its lever (alternately 86 and 94, so the results
   change every time) until the grade counts, the cost line and the changed-units table are
   updated in the page (MutationObservers time-stamp the first change of each), and until the
   chart has finished redrawing (its last change, once quiet for 300 ms); medians over the runs.
   The clock starts when the Enter key is dispatched, so browser, websocket, kernel and redraw
   are all inside.
3. For reference, the kernel's share: ``Explorer.set`` + ``view`` in-process on the same data.

Start-up is timed ``--starts`` times (median); the input changes on the last start.
Run: ``python benchmarks/bench_explorer.py [--runs 21] [--starts 3]``.
"""

from __future__ import annotations

import argparse
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

try:
    from bench_workflows import big_scenario
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_workflows import big_scenario

from perfsim.explorer import Explorer
from perfsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

OBSERVE = """() => {
  window.__marks = {counts: [], cost: [], table: [], chart: []};
  const watch = (key, selector) => {
    const node = document.querySelector(selector);
    new MutationObserver(() => window.__marks[key].push(performance.now()))
      .observe(node, {subtree: true, childList: true, characterData: true, attributes: true});
  };
  watch("counts", ".perfsim-counts-box");
  watch("cost", ".perfsim-cost-box");
  watch("table", ".perfsim-table");
  watch("chart", ".perfsim-chart");
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(scenario: Path, tmp: str) -> tuple[subprocess.Popen, str, float]:
    """Start ``perfsim explore``; returns the process, its URL and the seconds until the URL was printed."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "perfsim.cli",
            "explore",
            str(scenario),
            "--no-browser",
            f"--port={free_port()}",
            "--save-dir",
            f"{tmp}/saved",
            "--briefings",
            f"{tmp}/briefings",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = None
    while url is None:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise RuntimeError("perfsim explore stopped before printing its URL")
        match = re.search(r"perfsim explore: (http://\S+)", line)
        url = match.group(1) if match else None
    t_url = time.perf_counter() - start
    threading.Thread(target=lambda: [None for _ in proc.stdout or []], daemon=True).start()  # keep it drained
    return proc, url, t_url


def stop_app(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(60)


def latencies(page, runs: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Input → DOM times (ms) of the results and of the chart, for ``runs`` cut-off changes."""
    page.evaluate(OBSERVE)
    readout = page.locator(".perfsim-lever", has=page.locator(".perfsim-lever-name", has_text="优秀 分数线"))
    readout = readout.locator(".widget-readout")
    results, charts = [], []
    for i in range(runs):
        readout.click()
        page.keyboard.press("Control+A")
        page.keyboard.type("94" if i % 2 == 0 else "86")
        page.evaluate("() => { for (const k in window.__marks) window.__marks[k] = []; }")
        t0 = page.evaluate("() => performance.now()")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => ['counts', 'cost', 'table', 'chart'].every(k => window.__marks[k].length)", timeout=30_000
        )
        while page.evaluate("() => performance.now() - Math.max(...window.__marks.chart)") < 300:
            time.sleep(0.05)
        marks = page.evaluate("() => window.__marks")
        results.append(max(marks[k][0] for k in ("counts", "cost", "table")) - t0)
        charts.append(max(marks["chart"]) - t0)
    return results, charts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="input changes timed")
    parser.add_argument("--starts", type=int, default=3, help="start-ups timed")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        scenario = big_scenario(Path(tmp) / "scenario")
        spec = yaml.safe_load(scenario.read_text(encoding="utf-8"))  # a scenario file starts with its marker
        spec = {"perfsim_scenario": spec.pop("perfsim_scenario"), **spec}
        scenario.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        to_url, to_ready, codes = [], [], []
        for n in range(args.starts):
            context = browser.new_context(viewport={"width": 1440, "height": 900})  # a cold cache each time
            page = context.new_page()
            start = time.perf_counter()
            proc, url, t_url = start_app(scenario, tmp)
            try:
                page.goto(url)
                page.wait_for_selector(".grade-counts", timeout=120_000)
                page.wait_for_selector(".vega-embed svg", timeout=60_000)
                to_ready.append(time.perf_counter() - start)
                to_url.append(t_url)
                if n == args.starts - 1:
                    results, charts = latencies(page, args.runs)
            finally:
                context.close()
                codes.append(stop_app(proc))
        browser.close()
        explorer = Explorer(load_scenario(scenario))
        values = iter([94.0, 86.0] * (args.runs + 1))

        def kernel() -> None:
            explorer.set("cutoff:优秀", next(values))
            explorer.view()

        kernel()
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            kernel()
            times.append(time.perf_counter() - t)

    med = statistics.median
    print(f"{'case (1,000 units, 1440×900, headless Chromium)':<62} {'median':>9} {'max':>9}  target")
    print(f"{'perfsim explore: start → URL printed':<62} {med(to_url):>8.2f}s {max(to_url):>8.2f}s")
    print(
        f"{'perfsim explore: start → results and chart shown':<62} {med(to_ready):>8.2f}s {max(to_ready):>8.2f}s"
        "  ≤ 10 s"
    )
    print(
        f"{'input → counts, cost line and table updated in the DOM':<62} {med(results):>7.0f}ms "
        f"{max(results):>7.0f}ms  ≤ 150 ms"
    )
    print(f"{'input → chart redrawn':<62} {med(charts):>7.0f}ms {max(charts):>7.0f}ms")
    print(f"{'  of which the kernel (Explorer.set + view, in-process)':<62} {med(times) * 1e3:>7.1f}ms")
    print(f"start-ups: {args.starts} ({', '.join(f'{t:.1f}' for t in to_ready)} s), input changes: {args.runs}")
    print(f"Ctrl-C exit codes: {codes}")
    verdicts = {
        "ready ≤ 10 s": med(to_ready) <= 10,
        "input → DOM ≤ 150 ms": med(results) <= 150,
        "clean stop": all(c == 0 for c in codes),
    }
    print("verdict: " + "; ".join(f"{k}: {'met' if ok else 'NOT met'}" for k, ok in verdicts.items()))


if __name__ == "__main__":
    main()
