"""Killed runs (issue 10): a SIGKILL at any moment leaves nothing behind that a rerun does not clear.

After the rerun the outputs are byte-identical to an uninterrupted run, no temporary file is
left in the output folder or the temp folder, and no perfsim process (pool worker, Jupyter
kernel) is alive. Each test runs perfsim in a subprocess with its own ``TMPDIR``, so that
"nothing left in the temp folder" is checked on a folder nobody else writes to.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import ROOT, SCENARIOS


def sweep_file(folder: Path, *, n: int, chunk: int, report: str = "none") -> Path:
    path = folder / "sweep.yaml"
    path.write_text(
        f"""perfsim_sweep: 1
id: kill-sweep
base: {SCENARIOS / "qitai-county.yaml"}
seed: 3
vary:
  random:
    n: {n}
    ranges:
      "cutoff:优秀": [85, 95]
      "points:department/public": [5, 20]
report: {report}
chunk: {chunk}
""",
        encoding="utf-8",
    )
    return path


def env_with_tmp(tmp: Path) -> dict[str, str]:
    tmp.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONIOENCODING": "utf-8"}


def perfsim(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "perfsim.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "perfsim.cli", *args], cwd=ROOT, env=env, capture_output=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr and b"WARNING" not in proc.stderr, proc.stderr.decode()


def wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("the moment to interrupt never came")


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def kill_and_reap(proc: subprocess.Popen[bytes], children: list[psutil.Process]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"processes outlived the killed perfsim: {[p.cmdline() for p in alive]}"


def files(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def manifest_core(folder: Path) -> list[tuple]:
    """The manifest without timings (the one part of a batch that differs between any two runs)."""
    data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [(v["index"], v["params"], v["status"], v.get("outputs"), v.get("briefing")) for v in data["variants"]]


def assert_clean(out: Path, tmp: Path) -> None:
    left = [p for p in out.rglob("*") if "perfsim-tmp" in p.name or p.name.endswith(".tmp")]
    assert not left, f"temporary files left in the output: {left}"
    assert not list(tmp.iterdir()), f"left in the temp folder: {list(tmp.iterdir())}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, Path]:
    """Uninterrupted runs to compare against."""
    base = tmp_path_factory.mktemp("reference")
    env = env_with_tmp(base / "tmp")
    batch = base / "batch"
    finish(["batch", str(sweep_file(base, n=600, chunk=10)), "-o", str(batch), "--no-briefings", "--quiet"], env)
    notes = base / "notes"
    finish(["brief", str(SCENARIOS / "qitai-county.yaml"), "--set", "cutoff:优秀=88", "-o", str(notes)], env)
    return {"batch": batch, "notes": notes}


@pytest.mark.parametrize("moment", [1, 12, 40])
def test_batch_killed_mid_chunk_then_rerun(tmp_path, reference, moment):
    """Killed while chunks are being written (after ``moment`` chunks): the rerun completes identically."""
    env = env_with_tmp(tmp_path / "tmp")
    sweep = sweep_file(tmp_path, n=600, chunk=10)
    out = tmp_path / "out"
    args = ["batch", str(sweep), "-o", str(out), "--no-briefings", "--quiet"]
    proc = perfsim(args, env)
    chunks = out / "chunks"
    wait_for(lambda: chunks.exists() and len(list(chunks.glob("*.metrics.parquet"))) >= moment)
    kill_and_reap(proc, descendants(proc.pid))
    finish(args, env)
    assert files(out, skip=("manifest.json",)) == files(reference["batch"], skip=("manifest.json",))
    assert manifest_core(out) == manifest_core(reference["batch"])
    assert_clean(out, tmp_path / "tmp")


def test_stale_temp_chunk_of_a_dead_writer_is_removed(tmp_path, reference):
    """What SIGKILL leaves in the middle of a write (a 0-byte hidden temp chunk) goes on the next run."""
    env = env_with_tmp(tmp_path / "tmp")
    out = tmp_path / "out"
    (out / "chunks").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = out / "chunks" / f".chunk-00003.metrics.parquet.perfsim-tmp-{dead.pid}-x1y2.parquet"
    stale.write_bytes(b"")
    finish(["batch", str(sweep_file(tmp_path, n=600, chunk=10)), "-o", str(out), "--no-briefings", "--quiet"], env)
    assert not stale.exists()
    assert files(out, skip=("manifest.json",)) == files(reference["batch"], skip=("manifest.json",))
    assert_clean(out, tmp_path / "tmp")


def test_two_worker_batch_killed_leaves_no_worker(tmp_path, reference):
    env = env_with_tmp(tmp_path / "tmp")
    sweep = sweep_file(tmp_path, n=600, chunk=10)
    out = tmp_path / "out"
    args = ["batch", str(sweep), "-o", str(out), "--no-briefings", "--quiet", "--workers", "2"]
    proc = perfsim(args, env)
    wait_for(lambda: len(descendants(proc.pid)) >= 2 and len(list((out / "chunks").glob("*.metrics.parquet"))) >= 4)
    workers = descendants(proc.pid)
    kill_and_reap(proc, workers)  # asserts the pool workers died with their parent
    finish(args[:-2], env)
    assert files(out, skip=("manifest.json",)) == files(reference["batch"], skip=("manifest.json",))
    assert_clean(out, tmp_path / "tmp")


def test_second_batch_on_the_same_folder_is_refused(tmp_path):
    env = env_with_tmp(tmp_path / "tmp")
    sweep = sweep_file(tmp_path, n=3000, chunk=10)
    out = tmp_path / "out"
    args = ["batch", str(sweep), "-o", str(out), "--no-briefings", "--quiet"]
    first = perfsim(args, env)
    wait_for(lambda: (out / "manifest.json").exists())
    second = subprocess.run(
        [sys.executable, "-m", "perfsim.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    kill_and_reap(first, descendants(first.pid))
    assert second.returncode == 2, second.stderr
    assert "another perfsim run is writing to this folder" in second.stderr and "fix:" in second.stderr


def test_briefing_killed_mid_kernel_then_rerun(tmp_path, reference):
    """Killed while the briefing kernel runs: kernel, connection file and scratch folder all go."""
    env = env_with_tmp(tmp_path / "tmp")
    out = tmp_path / "notes"
    args = ["brief", str(SCENARIOS / "qitai-county.yaml"), "--set", "cutoff:优秀=88", "-o", str(out)]
    proc = perfsim(args, env)

    def kernel_started() -> bool:
        return any("ipykernel" in " ".join(p.cmdline()) for p in descendants(proc.pid))

    wait_for(kernel_started)
    kill_and_reap(proc, descendants(proc.pid))  # asserts the kernel died with its parent
    assert not out.exists() or not any(out.iterdir()), "a half-written note"
    finish(args, env)
    assert files(out) == files(reference["notes"])
    assert_clean(out, tmp_path / "tmp")
