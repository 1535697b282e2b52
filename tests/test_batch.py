"""Batch runs (issue 7): resumable, atomic, same numbers on 1 worker, 2 workers and a Dask LocalCluster."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import perfsim
from perfsim.batch import collect, read_sweep, run_batch, variants
from perfsim.cli import main

from conftest import ROOT, SCENARIOS


def sweep_file(tmp_path, *, n=40, chunk=5, report="none", extra="") -> object:
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"""perfsim_sweep: 1
id: test-sweep
base: {SCENARIOS / "qitai-county.yaml"}
seed: 7
vary:
  random:
    n: {n}
    ranges:
      "cutoff:优秀": [85, 95]
      "points:department/public": [5, 20]
      "cap:complaints": [0, 4]
report: {report}
chunk: {chunk}
{extra}""",
        encoding="utf-8",
    )
    return path


def numbers(out) -> pd.DataFrame:
    frame = collect(out)
    return frame.drop(columns=["error"]).sort_values("variant").reset_index(drop=True)


def test_variants_match_direct_evaluation(tmp_path):
    out = run_batch(sweep_file(tmp_path), tmp_path / "out", progress=False, briefings=False)
    frame = numbers(out)
    assert len(frame) == 40 and (frame["status"] == "done").all()
    sc = perfsim.scenario.load_scenario(SCENARIOS / "qitai-county.yaml")
    v = variants(read_sweep(tmp_path / "sweep.yaml"))[3]
    from perfsim.analysis import renormalised

    params = {
        **v,
        **{
            k: float(x[0])
            for k, x in renormalised(sc.compiled, "points:department/public", [v["points:department/public"]]).items()
        },
    }
    ev = perfsim.evaluate(sc.compiled, sc.data, params)
    assert frame.loc[3, "share 优秀"] == pytest.approx((ev.grade[0] == 0).mean())
    units = pd.read_parquet(next((out / "chunks").glob("chunk-00000.units.parquet")))
    row = units[(units.variant == 3)].set_index("unit")["total"]
    assert list(row.to_numpy()) == list(ev.total[0])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["perfsim_version"] == perfsim.__version__ and manifest["seed"] == 7
    assert all(v["status"] == "done" and v["seconds"] >= 0 for v in manifest["variants"])
    assert (out / "index.html").exists() and (out / "variants.csv").exists()


def test_same_numbers_with_one_two_workers_and_dask(tmp_path):
    from distributed import LocalCluster

    one = numbers(run_batch(sweep_file(tmp_path), tmp_path / "one", progress=False, briefings=False))
    two = numbers(run_batch(sweep_file(tmp_path), tmp_path / "two", workers=2, progress=False, briefings=False))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = numbers(
            run_batch(
                sweep_file(tmp_path),
                tmp_path / "dask",
                scheduler=cluster.scheduler_address,
                progress=False,
                briefings=False,
            )
        )
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, dask)


def test_failed_variant_is_recorded_and_the_rest_run(tmp_path):
    path = tmp_path / "sweep.yaml"
    path.write_text(
        f"""perfsim_sweep: 1
id: with-a-bad-variant
base: {SCENARIOS / "qitai-county.yaml"}
vary:
  list:
    - {{"cutoff:优秀": 88}}
    - {{"cutoff:优秀": 188}}
    - {{"cutoff:优秀": 92}}
chunk: 2
""",
        encoding="utf-8",
    )
    out = run_batch(path, tmp_path / "out", progress=False, briefings=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = [v["status"] for v in manifest["variants"]]
    assert status == ["done", "failed", "done"]
    assert "cutoff:优秀" in manifest["variants"][1]["error"]


def test_sigkill_halfway_then_rerun(tmp_path):
    sweep = sweep_file(tmp_path, n=3000, chunk=30)  # 100 chunks: several seconds of work to interrupt
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "perfsim.cli", "batch", str(sweep), "-o", str(out), "--no-briefings", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT)
    manifest = out / "manifest.json"
    deadline = time.time() + 120
    done_before: set[int] = set()
    while time.time() < deadline:
        if manifest.exists():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            done_before = {v["chunk"] for v in data["variants"] if v["status"] == "done"}
            if len(done_before) >= 5:
                break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 5 <= len(done_before) < 100, "the batch should be killed halfway"
    snapshot = {p.name: p.stat().st_mtime_ns for p in (out / "chunks").glob("*.parquet")}
    assert not list(out.rglob("*.tmp*")) or all(p.name.startswith(".") for p in out.rglob("*.tmp*"))
    assert main(["batch", str(sweep), "-o", str(out), "--no-briefings", "--quiet"]) == 0
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert all(v["status"] == "done" for v in data["variants"])
    for chunk in done_before:  # finished chunks were not recomputed
        for kind in ("metrics", "units"):
            name = f"chunk-{chunk:05d}.{kind}.parquet"
            assert (out / "chunks" / name).stat().st_mtime_ns == snapshot[name]
    for path in (out / "chunks").glob("*.parquet"):
        pd.read_parquet(path)  # no truncated or corrupt file
    assert len(collect(out)) == 3000 and collect(out)["share 优秀"].notna().all()


def test_sweep_errors_are_clear(tmp_path, capsys):
    bad = sweep_file(tmp_path, extra="").read_text(encoding="utf-8").replace("cap:complaints", "cap:complaint")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    assert main(["batch", str(tmp_path / "bad.yaml"), "-o", str(tmp_path / "x"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'cap:complaint'" in err and "did you mean 'cap:complaints'" in err
    assert not (tmp_path / "x").exists()
