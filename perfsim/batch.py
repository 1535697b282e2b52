"""Batch runs of scenario variants: a sweep file → numbers for every variant, briefings for some.

Numbers come from the vectorised engine in chunks of variants (one evaluation per chunk), on a
local process pool or a Dask distributed cluster (same code path). Every output is written
atomically and recorded in ``manifest.json`` as soon as its chunk finishes, so a batch killed at
any moment can be rerun: finished chunks are skipped, nothing is left half-written.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import re
import socket
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from . import __version__
from .analysis.metrics import money, outcome_metrics
from .analysis.weights import renormalised, tier_of
from .engine import evaluate
from .errors import ParameterError, PerfsimError, near
from .inputs import read_bytes, read_text
from .limits import MAX_SEED, MAX_VARIANTS, check_variants, grid_size
from .models import Model
from .outputs import check_output_folder, clean_stale_temps, folder_lock, write_atomic, write_csv, write_text
from .scenario import load_scenario, named_by
from .scheme import read_yaml_model, read_yaml_model_doc
from .workers import worker_pool

SCHEDULER_TIMEOUT = 5
"""Seconds to reach a Dask scheduler before giving up (a local one answers in well under one, a
cluster's within a second or two; a user waiting on a typo should not wait longer)."""
MAX_MANIFEST_BYTES = 2**30
"""The largest manifest read back: a million variants (the batch limit) at a few hundred bytes each."""
MAX_CHUNK_BYTES = 256 * 2**20
"""The largest chunk of metrics read back (at most 10,000 variants × a few dozen metrics)."""


class RandomVariants(Model):
    n: int = Field(ge=1, le=MAX_VARIANTS)
    ranges: dict[str, tuple[float, float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> RandomVariants:
        for name, (low, high) in self.ranges.items():
            if not (math.isfinite(low) and math.isfinite(high)) or low > high:
                raise ValueError(f"range of '{name}' must be [low, high] with low <= high, not [{low}, {high}]")
        return self


class Vary(Model):
    """Exactly one way of listing variants: a full ``grid``, an explicit ``list``, or a ``random`` sample."""

    grid: dict[str, list[float]] | None = None
    list_: list[dict[str, float]] | None = Field(None, alias="list")
    random: RandomVariants | None = None

    @model_validator(mode="after")
    def _one(self) -> Vary:
        if sum(x is not None for x in (self.grid, self.list_, self.random)) != 1:
            raise ValueError("give exactly one of grid, list or random")
        if self.grid is not None:
            if not self.grid:
                raise ValueError("grid names no parameter")
            for name, values in self.grid.items():
                if not values:
                    raise ValueError(f"grid value list of '{name}' is empty")
        if self.grid is not None or self.list_ is not None:
            try:
                check_variants(self.count(), "the grid" if self.grid is not None else "the list")
            except PerfsimError as exc:  # reported by the file loader with the YAML line
                raise ValueError(f"{exc.message} ({exc.hint})") from None
        if self.list_ is not None:
            for i, item in enumerate(self.list_):
                if not item:
                    raise ValueError(f"list item {i} sets no parameter")
        return self

    def count(self) -> int:
        if self.grid is not None:
            return grid_size([len(v) for v in self.grid.values()])
        if self.list_ is not None:
            return len(self.list_)
        assert self.random is not None
        return self.random.n


class SweepFile(Model):
    perfsim_sweep: Literal[1]
    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    base: str
    """The base scenario, relative to the sweep file."""
    vary: Vary
    seed: int = Field(0, ge=0, le=MAX_SEED)
    report: list[int] | Literal["all", "none"] = "none"
    """Variant indices to write briefing notes for."""
    lang: Literal["zh", "en"] = "zh"
    chunk: int = Field(100, ge=1, le=10_000)

    @model_validator(mode="after")
    def _report_in_range(self) -> SweepFile:
        if isinstance(self.report, list):
            count = self.vary.count()
            bad = [i for i in self.report if not 0 <= i < count]
            if bad:
                raise ValueError(f"report index {bad[0]} is not a variant (the sweep has variants 0 to {count - 1})")
        return self


def read_sweep(path: str | Path) -> SweepFile:
    """Read and validate a sweep file (without loading its base scenario).

    Raises
    ------
    SchemeError
        For a file that is not a sweep file or does not validate, naming the field and its line.
    """
    return read_yaml_model(path, SweepFile, "perfsim_sweep", "sweep file")  # type: ignore[no-any-return]


def variants(sweep: SweepFile) -> list[dict[str, float]]:
    """The sweep's variants, in a fixed order (random ones drawn from the sweep's seed)."""
    v = sweep.vary
    if v.grid is not None:
        names = list(v.grid)
        return [dict(zip(names, map(float, combo))) for combo in itertools.product(*v.grid.values())]
    if v.list_ is not None:
        return [{k: float(x) for k, x in item.items()} for item in v.list_]
    assert v.random is not None
    rng = np.random.default_rng(sweep.seed)
    columns = {name: rng.uniform(low, high, v.random.n) for name, (low, high) in v.random.ranges.items()}
    return [{name: float(values[i]) for name, values in columns.items()} for i in range(v.random.n)]


@dataclass(frozen=True)
class Task:
    """One chunk of variants, computed by a worker."""

    scenario: str
    out: str
    chunk: int
    indices: list[int]
    params: list[dict[str, float]]


def _with_links(compiled: Any, params: dict[str, float]) -> dict[str, float]:
    """A weight given alone moves its tier's siblings (the tier keeps its sum), as in the analyses."""
    out = dict(params)
    for name, value in params.items():
        if name.startswith("points:") and tier_of(compiled, name) is not None:
            tier = tier_of(compiled, name)
            assert tier is not None
            if not any(p in params for p in tier.params if p != name):
                out.update({k: float(v[0]) for k, v in renormalised(compiled, name, [value]).items()})
    return out


_loaded: dict[str, Any] = {}


def _scenario(path: str) -> Any:
    """Each worker process loads a scenario once and reuses it for all its chunks."""
    key = f"{path}:{Path(path).stat().st_mtime_ns}"
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = load_scenario(path)
    return _loaded[key]


def run_task(task: Task) -> dict[str, Any]:
    """Evaluate one chunk and write its two files atomically; returns what the manifest records."""
    start = time.perf_counter()
    scenario = _scenario(task.scenario)
    compiled, data = scenario.compiled, scenario.data
    status: dict[int, str | None] = {}
    good: list[tuple[int, dict[str, float]]] = []
    for index, params in zip(task.indices, task.params):
        try:
            linked = _with_links(compiled, params)
            compiled.parameters.resolve(linked)
            good.append((index, linked))
            status[index] = None
        except PerfsimError as exc:
            status[index] = exc.render()
    metrics = pd.DataFrame()
    out = Path(task.out)
    chunk_units = out / "chunks" / f"chunk-{task.chunk:05d}.units.parquet"
    chunk_metrics = out / "chunks" / f"chunk-{task.chunk:05d}.metrics.parquet"
    if good:
        names = sorted({k for _, p in good for k in p})
        stacked = {n: np.array([p.get(n, compiled.parameters[n].nominal) for _, p in good]) for n in names}
        baseline = evaluate(compiled, data)
        ev = evaluate(compiled, data, stacked)
        metrics = outcome_metrics(ev, baseline.grade[0], money(baseline))
        metrics.insert(0, "variant", [i for i, _ in good])
        grades = np.array([g.zh for g in compiled.grades])
        units = pd.DataFrame(
            {
                "variant": np.repeat([i for i, _ in good], len(data)),
                "unit": np.tile(np.asarray(data.units, dtype=object), len(good)),
                "total": ev.total.ravel(),
                "grade": grades[ev.grade.ravel()],
            }
        )
        write_atomic(chunk_units, lambda p: units.to_parquet(p, index=False))
    write_atomic(chunk_metrics, lambda p: metrics.to_parquet(p, index=False))
    return {
        "chunk": task.chunk,
        "seconds": time.perf_counter() - start,
        "errors": status,
        "files": [str(chunk_metrics.relative_to(out)), str(chunk_units.relative_to(out)) if good else None],
    }


_START_OVER = "delete the output folder (or choose another) to start the batch over"


def read_manifest(path: str | Path) -> Any:
    """A batch's ``manifest.json``, read through the input layer (not remembered as an input: it is rewritten).

    Parameters
    ----------
    path
        The manifest file.

    Returns
    -------
    Any
        The parsed JSON.

    Raises
    ------
    PerfsimError
        For a manifest that is not a regular file (a folder, a link to a device), cannot be
        read, or is not JSON; the fix is to start the batch over.
    """
    try:
        return json.loads(read_text(path, limit=MAX_MANIFEST_BYTES, what="batch manifest", protect=False))
    except PerfsimError as exc:
        raise PerfsimError(exc.message, file=path, field=exc.field, hint=_START_OVER) from None
    except ValueError:
        raise PerfsimError("the manifest of this output folder is damaged", file=path, hint=_START_OVER) from None


class Manifest:
    """``manifest.json``: every variant's parameters, status, timing, outputs; rewritten atomically."""

    def __init__(self, path: Path, sweep: SweepFile, sweep_path: Path, all_variants: list[dict[str, float]]):
        self.path = path
        self.data: dict[str, Any]
        if os.path.lexists(path):
            self.data = read_manifest(path)
            try:
                [v["params"] for v in self.data["variants"]]
            except (KeyError, TypeError):
                raise PerfsimError(
                    "the manifest of this output folder is damaged",
                    file=path,
                    hint=_START_OVER,
                ) from None
            if [v["params"] for v in self.data["variants"]] != all_variants:
                raise PerfsimError(
                    "the output folder holds a different sweep",
                    file=path,
                    hint="use a new output folder, or delete this one to start over",
                )
        else:
            self.data = {
                "sweep": sweep.id,
                "sweep_file": str(sweep_path),
                "base": sweep.base,
                "seed": sweep.seed,
                "perfsim_version": __version__,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "variants": [
                    {"index": i, "params": p, "status": "pending", "chunk": i // sweep.chunk}
                    for i, p in enumerate(all_variants)
                ],
            }
            self.save()

    def save(self) -> None:
        text = json.dumps(self.data, ensure_ascii=False, indent=1)
        write_text(self.path, text)

    def done_chunks(self, out: Path) -> set[int]:
        by_chunk: dict[int, list[dict]] = {}
        for v in self.data["variants"]:
            by_chunk.setdefault(v["chunk"], []).append(v)
        done = set()
        for chunk, members in by_chunk.items():
            files = members[0].get("outputs", {}).get("files") or []
            if all(m["status"] in ("done", "failed") for m in members) and all((out / f).exists() for f in files if f):
                done.add(chunk)
        return done

    def record(self, result: dict[str, Any]) -> None:
        for v in self.data["variants"]:
            if v["chunk"] != result["chunk"]:
                continue
            error = result["errors"].get(v["index"], result["errors"].get(str(v["index"])))
            v["status"] = "failed" if error else "done"
            v["error"] = error
            v["seconds"] = round(result["seconds"], 4)
            v["outputs"] = {"files": result["files"]}
        self.save()


def _tasks(
    scenario: Path, out: Path, all_variants: list[dict[str, float]], size: int, skip: set[int]
) -> Iterator[Task]:
    for chunk, start in enumerate(range(0, len(all_variants), size)):
        if chunk in skip:
            continue
        indices = list(range(start, min(start + size, len(all_variants))))
        yield Task(str(scenario), str(out), chunk, indices, [all_variants[i] for i in indices])


def run_batch(
    sweep_path: str | Path,
    out: str | Path | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    briefings: bool = True,
    progress: bool = True,
) -> Path:
    """Run a sweep: numbers for every variant, briefing notes for those marked, an index page.

    Parameters
    ----------
    sweep_path
        The sweep file.
    out
        Output folder (default ``batches/<sweep id>``).
    workers
        Local worker processes (1: in this process).
    scheduler
        A Dask distributed scheduler address; the same tasks then run on that cluster.
    briefings
        Write the briefing notes the sweep marks (papermill).

    Returns
    -------
    pathlib.Path
        The output folder, holding ``manifest.json``, ``variants.csv``, ``chunks/``, ``briefings/``
        and ``index.html``.
    """

    sweep_path = Path(sweep_path)
    sweep, doc = read_yaml_model_doc(sweep_path, SweepFile, "perfsim_sweep", "sweep file")
    scenario_path = (sweep_path.parent / sweep.base).resolve()
    try:
        scenario = load_scenario(scenario_path)  # clear errors before any work
    except PerfsimError as exc:
        raise named_by(exc, sweep_path, "base", doc.line_of(("base",))) from None
    all_variants = variants(sweep)
    for name in {k for v in all_variants for k in v}:
        if name not in scenario.compiled.parameters:
            raise ParameterError(
                f"unknown parameter '{name}' in the sweep",
                file=sweep_path,
                field="vary",
                hint=near(name, scenario.compiled.parameters.names()),
            )
    out = Path(out) if out is not None else Path("batches") / sweep.id
    check_output_folder(out, inputs=[sweep_path, scenario_path])
    client = connect(scheduler) if scheduler is not None else None  # before any file is made
    try:
        (out / "chunks").mkdir(parents=True, exist_ok=True)
        with folder_lock(out):
            for folder in (out, out / "chunks", out / "briefings"):
                clean_stale_temps(folder)  # what a killed run was writing
            _run(sweep, sweep_path, scenario, scenario_path, all_variants, out, workers, client, briefings, progress)
    finally:
        if client is not None:
            client.close()
    return out


def connect(address: str) -> Any:
    """A Dask client, connected before any output exists; a bad or unreachable address is a clear error."""
    if not re.fullmatch(r"(?:(?:tcp|tls|ucx)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}", address):
        raise PerfsimError(
            f"'{address}' is not a scheduler address", field="--scheduler", hint="write it as tcp://HOST:PORT"
        )
    host, _, port = address.split("://")[-1].rpartition(":")
    if not 0 < int(port) < 65536:
        raise PerfsimError(
            f"port {port} of '{address}' is not a TCP port", field="--scheduler", hint="ports run from 1 to 65535"
        )
    try:  # a refused connection answers at once; Dask's client would retry until its timeout
        socket.create_connection((host.strip("[]"), int(port)), timeout=SCHEDULER_TIMEOUT).close()
    except OSError as exc:
        raise PerfsimError(
            f"cannot reach the Dask scheduler at {address} ({exc.strerror or type(exc).__name__})",
            field="--scheduler",
            hint="start the scheduler (dask scheduler) and check the address, or drop --scheduler to run locally",
        ) from None
    from distributed import Client

    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise PerfsimError(
            f"cannot reach the Dask scheduler at {address} within {SCHEDULER_TIMEOUT} s ({type(exc).__name__})",
            field="--scheduler",
            hint="start the scheduler (dask scheduler) and check the address, or drop --scheduler to run locally",
        ) from None


def _run(
    sweep: SweepFile,
    sweep_path: Path,
    scenario: Any,
    scenario_path: Path,
    all_variants: list[dict[str, float]],
    out: Path,
    workers: int,
    client: Any,
    briefings: bool,
    progress: bool,
) -> None:
    from tqdm import tqdm

    manifest = Manifest(out / "manifest.json", sweep, sweep_path, all_variants)
    todo = list(_tasks(scenario_path, out.resolve(), all_variants, sweep.chunk, manifest.done_chunks(out)))
    bar = tqdm(total=len(todo), desc="variants", unit="chunk", disable=not progress)
    if client is not None:
        from distributed import as_completed as dask_completed

        futures = client.map(run_task, todo, pure=False)
        for future in dask_completed(futures):
            manifest.record(future.result())
            bar.update()
    elif workers > 1:
        with worker_pool(workers) as pool:
            for future in as_completed([pool.submit(run_task, t) for t in todo]):
                manifest.record(future.result())
                bar.update()
    else:
        for task in todo:
            manifest.record(run_task(task))
            bar.update()
    bar.close()
    summary = collect(out)
    write_atomic(out / "variants.csv", lambda p: write_csv(summary, p))
    if briefings:
        _briefings(sweep, scenario_path, out, manifest, progress)
    from .batch_index import write_index  # notes' words and charts: imported only when a batch finishes

    write_index(out, sweep.id, sweep.seed, sweep.lang, scenario, summary, manifest.data)


def collect(out: str | Path) -> pd.DataFrame:
    """Every variant's numbers from the chunk files, with its parameters, status and error."""
    out = Path(out)
    manifest = read_manifest(out / "manifest.json")
    frames = [_read_chunk(p) for p in sorted((out / "chunks").glob("chunk-*.metrics.parquet"))]
    metrics = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else pd.DataFrame({"variant": pd.Series(dtype=int)})
    )
    rows = pd.DataFrame(
        [
            {
                "variant": v["index"],
                "status": v["status"],
                "error": v.get("error"),
                **{f"param {k}": x for k, x in v["params"].items()},
            }
            for v in manifest["variants"]
        ]
    )
    return rows.merge(metrics, on="variant", how="left")


def _read_chunk(path: Path) -> pd.DataFrame:
    """One chunk's metrics, read through the input layer (a chunk replaced by a folder or a device is refused)."""
    again = "delete this chunk file and run the batch again: its variants are computed again"
    try:
        raw = read_bytes(path, limit=MAX_CHUNK_BYTES, what="chunk file", protect=False)
    except PerfsimError as exc:
        raise PerfsimError(exc.message, file=path, field=exc.field, hint=again) from None
    try:
        return pd.read_parquet(io.BytesIO(raw))
    except (ValueError, OSError):  # pyarrow's ArrowInvalid and ArrowIOError
        raise PerfsimError("a chunk file of this batch is damaged", file=path, hint=again) from None


def _briefings(sweep: SweepFile, scenario: Path, out: Path, manifest: Manifest, progress: bool) -> None:
    from tqdm import tqdm

    from .publish import brief, note_stem

    loaded = load_scenario(scenario)
    wanted = (
        range(len(manifest.data["variants"]))
        if sweep.report == "all"
        else ([] if sweep.report == "none" else sweep.report)
    )
    for index in tqdm(list(wanted), desc="briefings", disable=not progress):
        entry = manifest.data["variants"][index]
        name = note_stem(f"variant-{index:05d}", entry["params"], None, sweep.lang)
        target = out / "briefings" / f"{name}.html"
        if entry["status"] != "done" or target.exists():
            continue
        try:
            brief(loaded, out / "briefings", params=entry["params"], lang=sweep.lang, name=name)
            entry["briefing"] = str(target.relative_to(out))
        except Exception as exc:  # one failed note must not stop the batch; the manifest keeps the error
            entry["briefing_error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        manifest.save()
