"""Screenshots of briefing notes' first screens (1280 × 900) and print width (794 px), zh and en.

    python benchmarks/screenshot_notes.py [-o screenshots]

Writes notes for a budget scenario, a pay scenario and a rank-tier scenario (each as written
and with one change), then one PNG per note and width, so that anyone can look at what a
director sees. Uses Debian's chromium through Playwright (no browser download), offline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfsim.publish import brief  # noqa: E402

CASES = [
    ("budget-lifecycle", {"cutoff:良": 85}),
    ("qitai-county", {"cutoff:优秀": 85}),
    ("transport-bureau", {"quota:优胜": 0.3}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("screenshots"))
    parser.add_argument("--only", help="one scenario id")
    args = parser.parse_args()
    notes = args.output / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    written = []
    for scenario, params in CASES:
        if args.only and scenario != args.only:
            continue
        for lang in ("zh", "en"):
            written.append(brief(ROOT / "scenarios" / f"{scenario}.yaml", notes, params=params, lang=lang))
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for path in written:
            for width, height in ((1280, 900), (794, 1123)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(path.resolve().as_uri())
                shot = args.output / f"{path.stem}.{width}.png"
                page.screenshot(path=str(shot))
                overflow = page.evaluate("document.documentElement.scrollWidth")
                print(f"{shot}  scrollWidth={overflow}{'  OVERFLOWS' if overflow > width else ''}")
                page.close()
        browser.close()


if __name__ == "__main__":
    main()
