"""Benchmark the designer-facing workflows: a slider change, a batch of variants, one briefing note.

1. Scheme explorer: one slider change on a 1,000-unit scenario, recomputing results and the
   chart spec (median of 30), against the bare-numpy floor of the same evaluation.
2. ``perfsim batch``: 1,000 variants of a 1,000-unit scenario (numbers only), 1 and 2 workers.
3. Briefing note: ``perfsim.publish.brief`` (content, papermill run of the template, HTML
   export), against papermill's own cost of executing an empty notebook (median of 5 each,
   after one warm-up); and the extra cost of printing the note to PDF (Chromium).

Run: ``python benchmarks/bench_workflows.py``.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
import papermill
import yaml

from perfsim.batch import run_batch
from perfsim.explorer import Explorer
from perfsim.outputs import scratch_folder
from perfsim.publish import _kernel_manager, brief
from perfsim.scenario import load_scenario

try:
    from bench_engine import department_population, floor_evaluate
except ImportError:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_engine import department_population, floor_evaluate

ROOT = Path(__file__).resolve().parent.parent


def big_scenario(folder: Path) -> Path:
    """The 篇四 scenario with 1,000 synthetic departments."""
    (folder / "schemes").mkdir(parents=True)
    (folder / "data").mkdir()
    shutil.copy(ROOT / "scenarios" / "schemes" / "qitai-county.yaml", folder / "schemes" / "qitai-county.yaml")
    department_population(1000).to_csv(folder / "data" / "qitai-county.csv", index=False)
    spec = yaml.safe_load((ROOT / "scenarios" / "qitai-county.yaml").read_text(encoding="utf-8"))
    spec["analysis"]["focus_unit"] = "D0001"
    spec["analysis"]["levers"] = [lv for lv in spec["analysis"]["levers"] if "township" not in lv["parameter"]]
    (folder / "qitai-county.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return folder / "qitai-county.yaml"


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        scenario_path = big_scenario(tmp_path / "scenario")
        scenario = load_scenario(scenario_path)
        explorer = Explorer(scenario)
        values = iter(np.linspace(85, 95, 1000))

        def slider() -> None:
            explorer.set("cutoff:优秀", float(next(values)))
            explorer.view().chart.to_dict()

        frame = department_population(1000)
        nominal = {
            p: np.array([scenario.compiled.parameters[p].nominal])
            for p in scenario.compiled.parameters.names("points")
            if p.startswith("points:department/")
        }
        t_slider = median_time(slider, 30)
        t_floor = median_time(lambda: floor_evaluate(frame, nominal, None, False), 30)

        sweep = tmp_path / "sweep.yaml"
        sweep.write_text(
            f"""perfsim_sweep: 1
id: bench
base: {scenario_path}
seed: 1
vary:
  random:
    n: 1000
    ranges: {{"cutoff:优秀": [85, 95], "points:department/public": [5, 20], "cap:complaints": [0, 4]}}
chunk: 100
""",
            encoding="utf-8",
        )
        batch = {}
        for workers in (1, 2):
            start = time.perf_counter()
            run_batch(sweep, tmp_path / f"batch{workers}", workers=workers, briefings=False, progress=False)
            batch[workers] = time.perf_counter() - start

        empty = tmp_path / "empty.ipynb"
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
        nbformat.write(nb, empty)

        def run_empty() -> None:
            with scratch_folder():  # the same kernel set-up as a note's, so the ratio compares like with like
                papermill.execute_notebook(
                    str(empty),
                    str(tmp_path / "empty.out.ipynb"),
                    kernel_name="python3",
                    kernel_manager_class=_kernel_manager(),
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                    progress_bar=False,
                    log_output=False,
                )

        counter = iter(range(100))

        def run_brief() -> None:
            brief(scenario, tmp_path / "notes", params={"cutoff:优秀": 85.0 + next(counter) / 10})

        def run_brief_pdf() -> None:
            brief(scenario, tmp_path / "pdf", params={"cutoff:优秀": 85.0 + next(counter) / 10}, pdf=True)

        run_empty()
        run_brief()  # warm-up: first kernel, first chart rendering
        t_empty = median_time(run_empty, 5)
        t_brief = median_time(run_brief, 5)
        t_pdf = median_time(run_brief_pdf, 3)

    print(f"{'case':<58} {'time':>10} {'ratio':>8}  target")
    print(
        f"{'slider change, 1,000 units: results + chart spec (median)':<58} {t_slider * 1e3:>8.1f}ms "
        f"{t_slider / t_floor:>7.1f}×  ≤ 100 ms (ratio to the numpy floor of the evaluation)"
    )
    print(f"{'  bare-numpy floor of one evaluation':<58} {t_floor * 1e3:>8.1f}ms")
    for workers, secs in batch.items():
        print(f"{f'batch: 1,000 variants × 1,000 units, {workers} worker(s)':<58} {secs:>9.2f}s {'':>8}  ≤ 10 s")
    print(
        f"{'briefing note (content + papermill + HTML export, median)':<58} {t_brief:>9.2f}s "
        f"{t_brief / t_empty:>7.2f}×  ≤ 1.5× papermill on an empty notebook"
    )
    print(f"{'  papermill on an empty notebook (median)':<58} {t_empty:>9.2f}s")
    print(f"{'  the same note with --pdf (median): extra cost of the PDF':<58} {t_pdf - t_brief:>9.2f}s")
    verdicts = {
        "slider ≤ 100 ms": t_slider <= 0.1,
        "batch ≤ 10 s": all(secs <= 10 for secs in batch.values()),
        "note ≤ 1.5× empty papermill": t_brief <= 1.5 * t_empty,
    }
    print("verdict: " + "; ".join(f"{k}: {'met' if ok else 'NOT met'}" for k, ok in verdicts.items()))


if __name__ == "__main__":
    main()
