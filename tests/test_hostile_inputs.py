"""Hostile-input corpus (issue 10): special files, output locations, CLI values, scenarios, sweeps,
data traps and garbage totals. Every case is refused with exit code 2, a one-message error that
names the file (or the CLI option) and the line or field, and a fix; no traceback, nothing on
stdout, nothing written anywhere, and every file that existed before is byte-identical after.

Committed case files live under ``tests/hostile/``: ``valid/`` holds the bases (a scheme with
money consequences, its units, a scenario and a sweep over them) and every file under
``data/``, ``scheme/``, ``scenario/`` and ``sweep/`` is one of them with one change (its first
line, or the comment in :data:`CASES`, says which). Special files (FIFOs, symlinks to
``/dev/zero``, folders, 50 MB files, truncated manifests) are made by the test in ``tmp_path``.

The valid bases are copied into ``tmp_path/in`` for each case, so a case that aims ``-o`` at an
input can only damage a copy; the whole of ``tmp_path`` (inputs, output folder, working folder)
is compared byte for byte before and after the run. Cases that could hang or exhaust the machine
if perfsim mishandled them (FIFOs, ``/dev/zero``, a Dask scheduler, a million years, a billion
draws, ten thousand workers, ten million variants) run in a subprocess with a memory limit, a
guard against a huge process pool, and a timeout.

This is the complement of ``tests/test_bad_input.py`` (malformed scheme and data contents); no
case repeats one of its 56.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from perfsim.cli import main

from conftest import ROOT

HOSTILE = Path(__file__).resolve().parent / "hostile"
VALID = HOSTILE / "valid"
EXISTING_CORPUS = 56  # cases in tests/test_bad_input.py
SENTINEL = b"earlier results: a refused run must leave this file byte-identical\n"
MAX_MESSAGE = 4000  # characters: one short message, not a dump of the input
SPECIAL = ("not a regular file", "special file", "not a file", "device", "FIFO", "fifo", "pipe")
FOLDER = ("folder", "directory")
LIMIT = ("at most", "limit", "maximum", "more than", "above", "between", "up to")  # a stated limit
ABSOLUTE_ID_TARGET = "/tmp/perfsim-hostile-abs.zh.html"

Alternatives = tuple[str, ...]


@dataclass(frozen=True)
class Case:
    id: str
    group: str  # special, output, cli, scenario, sweep, data, totals
    argv: tuple[str, ...]  # with {H} tests/hostile, {IN} copies of the bases, {O} output folder, {T} tmp, {G} made file
    names: str | Alternatives  # the file name or CLI option the message must name (any of alternatives)
    expect: tuple[str | Alternatives, ...] = ()  # pieces of the message: line, field, what is wrong
    forbid: tuple[str, ...] = ()  # must not appear in the message
    setup: str | None = None  # what to make before the run (see prepare)
    runner: str = "inprocess"  # inprocess | guarded (subprocess with limits) | cli (python -m perfsim.cli)
    seconds: float | None = None  # must be refused within this time
    preexisting: str | None = None  # an output file that exists before the run
    outside: tuple[str, ...] = ()  # paths outside tmp_path that must not appear
    timeout: float = 90.0
    contained: str | None = None  # if set, a run that succeeds may write, but only inside this folder


S, D, C, W = "{IN}/scheme.yaml", "{IN}/units.csv", "{IN}/scenario.yaml", "{IN}/sweep.yaml"
RESULTS, PANEL, BRIEFINGS = "{O}/results.csv", "{O}/panel.csv", "{O}/briefings"


def evaluate(scheme: str = S, data: str | None = D, out: str = RESULTS, *extra: str) -> tuple[str, ...]:
    return ("evaluate", scheme, *([data] if data else []), "-o", out, *extra)


def simulate(*sources: str, out: str | None = PANEL, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    return ("simulate", *(sources or (S, D)), "--years", "2", "--draws", "3", *extra, *(("-o", out) if out else ()))


def batch(sweep: str = W, *extra: str, briefings: bool = False) -> tuple[str, ...]:
    return ("batch", sweep, "-o", "{O}/batch", "--quiet", *(() if briefings else ("--no-briefings",)), *extra)


def brief(scenario: str = C, *extra: str) -> tuple[str, ...]:
    return ("brief", scenario, "-o", BRIEFINGS, *extra)


def data_case(name: str, expect: tuple[str | Alternatives, ...], **kw: object) -> Case:
    kw.setdefault("preexisting", RESULTS)
    return Case(f"data:{name}", "data", evaluate(data=f"{{H}}/data/{name}"), name, expect, **kw)  # type: ignore[arg-type]


def money_case(name: str, expect: tuple[str | Alternatives, ...], group: str = "data", **kw: object) -> Case:
    kw.setdefault("preexisting", PANEL)
    return Case(f"money:{name}", group, simulate(S, f"{{H}}/data/{name}"), name, expect, **kw)  # type: ignore[arg-type]


def scenario_case(name: str, expect: tuple[str | Alternatives, ...], command: str = "evaluate", **kw: object) -> Case:
    path = f"{{H}}/scenario/{name}"
    argv = {
        "evaluate": evaluate(path, None),
        "simulate": simulate(path),
        "brief": brief(path),
    }[command]
    if command != "brief":
        kw.setdefault("preexisting", RESULTS if command == "evaluate" else PANEL)
    kw.setdefault("names", name)
    kw.setdefault("forbid", ("invalid scheme",))  # a scenario file is not a scheme
    return Case(f"scenario:{name}", "scenario", argv, expect=expect, **kw)  # type: ignore[arg-type]


def sweep_case(name: str, expect: tuple[str | Alternatives, ...], briefings: bool = False, **kw: object) -> Case:
    kw.setdefault("names", name)
    kw.setdefault("forbid", ("invalid scheme",))  # a sweep file is not a scheme
    return Case(f"sweep:{name}", "sweep", batch(f"{{H}}/sweep/{name}", briefings=briefings), expect=expect, **kw)  # type: ignore[arg-type]


def cli_case(
    id: str, argv: tuple[str, ...], option: str, expect: tuple[str | Alternatives, ...] = (), **kw: object
) -> Case:
    return Case(f"cli:{id}", "cli", argv, option, expect, **kw)  # type: ignore[arg-type]


def out_case(
    id: str, argv: tuple[str, ...], names: str | Alternatives, expect: tuple[str | Alternatives, ...] = (), **kw: object
) -> Case:
    return Case(f"output:{id}", "output", argv, names, expect, **kw)  # type: ignore[arg-type]


def special_cases() -> list[Case]:
    """Each kind of special file as each kind of input."""
    roles = {
        # role: (argv builder, name of the special file)
        "scheme": (lambda g: evaluate(g, D), "hostile-scheme.yaml"),
        "data": (lambda g: evaluate(S, g), "hostile-units.csv"),
        "scenario": (lambda g: evaluate(g, None), "hostile-scenario.yaml"),
        "sweep": (lambda g: batch(g), "hostile-sweep.yaml"),
    }
    kinds: dict[str, tuple[tuple[str | Alternatives, ...], str]] = {
        # kind: (expected pieces, runner)
        "devzero": ((SPECIAL,), "guarded"),
        "fifo": ((SPECIAL,), "guarded"),
        "folder": ((FOLDER,), "inprocess"),
        "missing": (("does not exist",), "inprocess"),
        "dangling": (("does not exist",), "inprocess"),
    }
    out = []
    for kind, (expect, runner) in kinds.items():
        for role, (build, name) in roles.items():
            out.append(
                Case(
                    f"special:{kind}-as-{role}",
                    "special",
                    build("{G}"),
                    name,
                    expect,
                    setup=f"{kind}:{name}",
                    runner=runner,
                    preexisting=None if role == "sweep" else RESULTS,
                    timeout=30,
                )
            )
    return out


CASES: list[Case] = [
    # ---- special files: /dev/zero, FIFOs, folders, missing files, dangling links (20 cases)
    *special_cases(),
    # ---- special files: NUL bytes, 50 MB, a device behind a binary suffix
    Case("special:nul-in-scheme", "special", evaluate("{H}/scheme/nul_byte.yaml"), "nul_byte.yaml", ("line 5",)),
    data_case("nul_in_cell.csv", ("line 3", ("NUL", "null", "\\x00", "control character"))),
    Case(
        "special:nul-in-scenario",
        "special",
        evaluate("{H}/scenario/nul_byte.yaml", None),
        "nul_byte.yaml",
        ("line 5",),
        preexisting=RESULTS,
    ),
    Case("special:nul-in-sweep", "special", batch("{H}/sweep/nul_byte.yaml"), "nul_byte.yaml", ("line 3",)),
    Case(
        "special:50mb-scenario",
        "special",
        evaluate("{G}", None),
        "huge-scenario.yaml",
        ("MiB",),
        setup="big_yaml:huge-scenario.yaml",
    ),
    Case("special:50mb-sweep", "special", batch("{G}"), "huge-sweep.yaml", ("MiB",), setup="big_yaml:huge-sweep.yaml"),
    Case(
        "special:50mb-one-line-csv",
        "special",
        evaluate(S, "{G}"),
        "one-line.csv",
        ("line 1",),
        setup="one_line_csv:one-line.csv",
        runner="guarded",
        timeout=120,
    ),
    Case(
        "special:devzero-as-parquet",
        "special",
        evaluate(S, "{G}"),
        "hostile-units.parquet",
        (SPECIAL,),
        setup="devzero:hostile-units.parquet",
        runner="guarded",
        timeout=30,
    ),
    Case(
        "special:devzero-as-xlsx",
        "special",
        evaluate(S, "{G}"),
        "hostile-units.xlsx",
        (SPECIAL,),
        setup="devzero:hostile-units.xlsx",
        runner="guarded",
        timeout=30,
    ),
    # ---- output locations
    out_case("proc", evaluate(out="/proc/perfsim-hostile.csv"), "perfsim-hostile.csv"),
    out_case("sys", evaluate(out="/sys/perfsim-hostile.csv"), "perfsim-hostile.csv"),
    out_case(
        "file-as-folder",
        evaluate(out="{O}/earlier.csv/results.csv"),
        "earlier.csv",
        (("not a folder", "is a file", "not a directory"),),
        preexisting="{O}/earlier.csv",
    ),
    out_case("folder-as-file", evaluate(out="{O}/folder.csv"), "folder.csv", (FOLDER,), setup="outfolder:folder.csv"),
    out_case("equals-data", evaluate(S, D, D), "units.csv", (("input", "same file", "overwrite"),), runner="cli"),
    out_case(
        "equals-data-other-spelling",
        evaluate(S, D, "{IN}/../in/./units.csv"),
        "units.csv",
        (("input", "same file", "overwrite"),),
    ),
    out_case(
        "symlink-to-data",
        evaluate(S, D, "{O}/link.csv"),
        ("link.csv", "units.csv"),
        (("input", "same file", "overwrite"),),
        setup="link_to_data:link.csv",
    ),
    out_case(
        "hardlink-to-data",
        evaluate(S, D, "{O}/hard.csv"),
        ("hard.csv", "units.csv"),
        (("input", "same file", "overwrite"),),
        setup="hardlink_to_data:hard.csv",
    ),
    out_case("equals-scenario-data", evaluate(C, None, D), "units.csv", (("input", "same file", "overwrite"),)),
    out_case(
        "simulate-equals-scenario-data",
        simulate(C, out=D),
        "units.csv",
        (("input", "same file", "overwrite"),),
    ),
    out_case(
        "equals-data-xlsx",
        evaluate(S, "{IN}/units.xlsx", "{IN}/units.xlsx"),
        "units.xlsx",
        (("input", "same file", "overwrite"),),
        setup="xlsx_data",
    ),
    out_case("equals-scheme", evaluate(S, D, S), "scheme.yaml", (("input", "same file", "overwrite", "format"),)),
    out_case(
        "unknown-extension-txt",
        evaluate(out="{O}/results.txt"),
        "results.txt",
        ("'.txt'",),
        preexisting="{O}/results.txt",
    ),
    out_case("no-extension", evaluate(out="{O}/results"), "results", ("(none)",)),
    out_case("double-extension", evaluate(out="{O}/results.csv.bak"), "results.csv.bak", ("'.bak'",)),
    out_case("simulate-json", simulate(out="{O}/panel.json"), "panel.json", ("'.json'",)),
    out_case("schema-yaml", ("schema", "-o", "{O}/schema.yaml"), "schema.yaml", ("'.yaml'",)),
    out_case("parent-missing", evaluate(out="{O}/no/such/folder/results.csv"), "results.csv", ("does not exist",)),
    out_case("name-too-long", evaluate(out="{O}/" + "x" * 300 + ".csv"), "xxxxxxxx", (("too long", "name"),)),
    out_case(
        "brief-into-file",
        ("brief", C, "-o", "{O}/note.html"),
        "note.html",
        (("not a folder", "is a file", "not a directory"),),
        preexisting="{O}/note.html",
    ),
    out_case(
        "batch-into-file",
        ("batch", W, "-o", "{O}/batch.csv", "--quiet", "--no-briefings"),
        "batch.csv",
        (("not a folder", "is a file", "not a directory"),),
        preexisting="{O}/batch.csv",
    ),
    out_case(
        "batch-into-sweep-file",
        ("batch", W, "-o", W, "--quiet", "--no-briefings"),
        "sweep.yaml",
        (("not a folder", "is a file", "not a directory", "input"),),
    ),
    out_case("brief-into-proc", ("brief", C, "-o", "/proc/perfsim-hostile-briefings"), "perfsim-hostile-briefings"),
    out_case(
        "batch-into-proc",
        ("batch", W, "-o", "/proc/perfsim-hostile-batch", "--quiet", "--no-briefings"),
        "perfsim-hostile-batch",
    ),
    out_case(
        "simulate-into-file-as-folder",
        simulate(out="{O}/earlier.csv/panel.parquet"),
        "earlier.csv",
        (("not a folder", "is a file", "not a directory"),),
        preexisting="{O}/earlier.csv",
    ),
    out_case(
        "refused-run-keeps-earlier-output",
        evaluate(S, "{H}/data/veto_half.csv", RESULTS),
        "veto_half.csv",
        ("line 4",),
        preexisting=RESULTS,
    ),
    # ---- CLI values
    cli_case("seed-negative", simulate(extra=("--seed", "-1")), "--seed", preexisting=PANEL),
    cli_case("years-0", simulate(extra=("--years", "0")), "--years", preexisting=PANEL),
    cli_case("years-negative", simulate(extra=("--years", "-5")), "--years", preexisting=PANEL),
    cli_case("years-text", simulate(extra=("--years", "ten")), "--years", preexisting=PANEL),
    cli_case(
        "years-million",
        simulate(extra=("--years", "1000000")),
        "--years",
        (LIMIT,),
        runner="guarded",
        timeout=60,
        preexisting=PANEL,
    ),
    cli_case(
        "years-million-no-output",
        simulate(out=None, extra=("--years", "1000000")),
        "--years",
        (LIMIT,),
        runner="guarded",
        timeout=60,
    ),
    cli_case("draws-0", simulate(extra=("--draws", "0")), "--draws", preexisting=PANEL),
    cli_case("draws-float", simulate(extra=("--draws", "1e3")), "--draws", preexisting=PANEL),
    cli_case(
        "draws-billion",
        simulate(extra=("--draws", "1000000000")),
        "--draws",
        (LIMIT,),
        runner="guarded",
        timeout=60,
        preexisting=PANEL,
    ),
    cli_case(
        "draws-billion-no-output",
        simulate(out=None, extra=("--draws", "1000000000")),
        "--draws",
        (LIMIT,),
        runner="guarded",
        timeout=60,
    ),
    cli_case("capacity-elasticity-nan", simulate(extra=("--capacity-elasticity", "nan")), "--capacity-elasticity"),
    cli_case("capacity-elasticity-inf", simulate(extra=("--capacity-elasticity", "inf")), "--capacity-elasticity"),
    cli_case("capacity-elasticity-negative", simulate(extra=("--capacity-elasticity", "-1")), "--capacity-elasticity"),
    cli_case("workers-0", batch(W, "--workers", "0"), "--workers"),
    cli_case("workers-negative", batch(W, "--workers", "-3"), "--workers"),
    cli_case(
        "workers-10000",
        batch(W, "--workers", "10000"),
        "--workers",
        (LIMIT,),
        runner="guarded",
        timeout=60,
    ),
    cli_case(
        "scheduler-malformed", batch(W, "--scheduler", "not-an-address"), "--scheduler", runner="guarded", seconds=10
    ),
    cli_case(
        "scheduler-unreachable",
        batch(W, "--scheduler", "tcp://127.0.0.1:1"),
        "--scheduler",
        runner="guarded",
        seconds=10,
    ),
    cli_case(
        "scheduler-bad-port",
        batch(W, "--scheduler", "tcp://127.0.0.1:99999"),
        "--scheduler",
        runner="guarded",
        seconds=10,
    ),
    cli_case("set-no-equals", brief(C, "--set", "cutoff:优秀"), "--set"),
    cli_case("set-empty-name", brief(C, "--set", "=5"), "--set"),
    cli_case("set-text-value", brief(C, "--set", "cutoff:优秀=abc"), "--set"),
    cli_case("set-nan", brief(C, "--set", "cutoff:优秀=nan"), "--set"),
    cli_case("set-inf", brief(C, "--set", "cutoff:优秀=inf"), "--set"),
    cli_case("set-unknown-parameter", brief(C, "--set", "cutof:优秀=85"), "--set", ("cutof:优秀",)),
    cli_case("set-out-of-range", brief(C, "--set", "cutoff:优秀=150"), "--set", ("cutoff:优秀",)),
    cli_case("lang-fr", brief(C, "--lang", "fr"), "--lang", ("fr",), runner="cli"),
    cli_case(
        "encoding-nonsense",
        evaluate(S, D, RESULTS, "--encoding", "nonsense"),
        "--encoding",
        ("nonsense",),
        preexisting=RESULTS,
    ),
    cli_case(
        "explain-encoding-nonsense", ("explain", S, D, "U1", "--encoding", "nonsense"), "--encoding", ("nonsense",)
    ),
    cli_case("explain-unknown-unit", ("explain", S, D, "U9"), "units.csv", ("U9",)),
    cli_case("explain-unit-escape-sequence", ("explain", S, D, "U1\x1b[2J"), "units.csv", forbid=("\x1b",)),
    cli_case(
        "vs-missing", brief(C, "--vs", "{IN}/no-such-baseline.yaml"), "no-such-baseline.yaml", ("does not exist",)
    ),
    cli_case("vs-scheme-file", brief(C, "--vs", S), "scheme.yaml", ("scenario",)),
    cli_case("list-a-file", ("list", D), "units.csv", (FOLDER,)),
    # ---- scenarios
    # an id that is not a safe file name: refused, or made safe with the note inside -o
    scenario_case("id_dotdot.yaml", ("id",), "brief", contained=BRIEFINGS),
    scenario_case("id_dotdot_deep.yaml", ("id",), "brief", contained=BRIEFINGS),
    scenario_case("id_absolute.yaml", ("id",), "brief", outside=(ABSOLUTE_ID_TARGET,), contained=BRIEFINGS),
    scenario_case("id_slash.yaml", ("id",), "brief", contained=BRIEFINGS),
    scenario_case("id_too_long.yaml", ("id",), "brief", contained=BRIEFINGS),
    scenario_case("id_empty.yaml", ("id",), "brief", contained=BRIEFINGS),
    scenario_case("id_control_char.yaml", ("id",), "brief", forbid=("\x1b",), contained=BRIEFINGS),
    scenario_case("scheme_ref_missing.yaml", ("does not exist", "no-such-scheme.yaml")),
    scenario_case("data_ref_missing.yaml", ("does not exist", "no-such-units.csv")),
    scenario_case("scheme_ref_folder.yaml", (FOLDER,)),
    scenario_case("data_ref_folder.yaml", (FOLDER,)),
    scenario_case("scheme_ref_devzero.yaml", (SPECIAL,), runner="guarded", timeout=30),
    scenario_case("scheme_ref_self.yaml", ("scheme",)),
    scenario_case("data_ref_scheme.yaml", ("data",)),
    scenario_case("scheme_ref_empty.yaml", ("scheme",)),
    scenario_case("unknown_key.yaml", ("schme", "line 8", "'scheme'")),
    scenario_case("unknown_key_simulation.yaml", ("year", "line", "'years'")),
    scenario_case("unknown_key_lever.yaml", ("'hi'", "line", "'high'")),
    scenario_case("wrong_type_years.yaml", ("years", "line"), "simulate"),
    scenario_case("wrong_type_levers.yaml", ("levers", "line")),
    scenario_case("wrong_type_name.yaml", ("name", "line")),
    scenario_case("wrong_type_scheme.yaml", ("scheme", "line")),
    scenario_case("wrong_type_defaults.yaml", ("defaults", "line")),
    scenario_case("wrong_type_lever_low.yaml", ("low", "line")),
    scenario_case("marker_2.yaml", ("perfsim_scenario",)),
    scenario_case("simulation_elasticity_nan.yaml", ("capacity_elasticity",), "simulate"),
    scenario_case("simulation_elasticity_inf.yaml", ("capacity_elasticity",), "simulate"),
    scenario_case("simulation_seed_negative.yaml", ("seed",), "simulate"),
    scenario_case("lever_nan.yaml", ("levers",)),
    scenario_case("lever_unknown_parameter.yaml", ("cutof:优秀",)),
    scenario_case("focus_unit_unknown.yaml", ("focus_unit", "U9")),
    # ---- sweeps
    sweep_case("grid_empty_list.yaml", ("grid",)),
    sweep_case("grid_empty.yaml", ("grid",)),
    sweep_case("list_empty.yaml", ("list",)),
    sweep_case("random_reversed.yaml", ("random", "line")),
    sweep_case("random_nan.yaml", ("ranges",)),
    sweep_case("random_inf.yaml", ("ranges",)),
    sweep_case("random_n_zero.yaml", ("n",)),
    sweep_case("random_three_bounds.yaml", ("ranges",)),
    sweep_case("random_seed_negative.yaml", ("seed",)),
    sweep_case("report_out_of_range.yaml", ("report", "99"), briefings=True, runner="cli"),
    sweep_case("report_negative.yaml", ("report", "-1"), briefings=True),
    sweep_case("report_text.yaml", ("report",), briefings=True),
    sweep_case(
        "grid_10_million.yaml",
        ("variants", LIMIT),
        runner="guarded",
        timeout=120,
    ),
    sweep_case("grid_unknown_parameter.yaml", ("cap:complaint",)),
    sweep_case("list_unknown_parameter.yaml", ("cutof:优秀",)),
    sweep_case("grid_value_text.yaml", ("grid",)),
    sweep_case("grid_value_inf.yaml", ("grid",)),
    sweep_case("grid_and_list.yaml", ("vary",)),
    sweep_case("vary_missing.yaml", ("vary",)),
    sweep_case("chunk_zero.yaml", ("chunk",)),
    sweep_case("chunk_negative.yaml", ("chunk",)),
    sweep_case("chunk_huge.yaml", ("chunk",)),
    sweep_case("base_missing.yaml", ("base", "does not exist")),
    sweep_case("base_is_scheme.yaml", ("scenario",), names=("base_is_scheme.yaml", "scheme.yaml")),
    sweep_case("base_is_self.yaml", ("scenario",)),
    sweep_case("base_devzero.yaml", ("base", SPECIAL), runner="guarded", timeout=30),
    Case(
        "sweep:id_dotdot.yaml",
        "sweep",
        ("batch", "{H}/sweep/id_dotdot.yaml", "--quiet", "--no-briefings"),
        "id_dotdot.yaml",
        ("id",),
    ),
    sweep_case("marker_2.yaml", ("perfsim_sweep",)),
    sweep_case("lang_fr.yaml", ("lang",)),
    sweep_case("unknown_key.yaml", ("chunks", "line", "'chunk'")),
    Case(
        "sweep:resume-truncated-manifest",
        "sweep",
        batch(W),
        "manifest.json",
        (("JSON", "truncated", "corrupt", "damaged"),),
        setup="manifest:truncated",
    ),
    Case(
        "sweep:resume-manifest-wrong-shape",
        "sweep",
        batch(W),
        "manifest.json",
        (("variants", "batch", "sweep"),),
        setup="manifest:shape",
    ),
    Case("sweep:resume-manifest-is-folder", "sweep", batch(W), "manifest.json", (FOLDER,), setup="manifest:folder"),
    # ---- data: physical line numbers
    data_case("cr_only_line_endings.csv", ("line 3", "column 'service'")),
    data_case("blank_line_before_rows.csv", ("line 4", "column 'service'")),
    data_case("blank_lines_crlf.csv", ("line 5", "column 'service'")),
    data_case("comma_only_row.csv", ("line 3",)),
    data_case("quoted_newline.csv", ("line 4", "column 'service'")),
    data_case("quoted_blank_lines_missing.csv", ("line 6", "column 'conduct'")),
    # ---- data: separators and headers
    data_case("semicolon_separated.csv", (("semicolon", "';'"),), runner="cli"),
    data_case("semicolon_decimal_comma.csv", (("semicolon", "';'"),)),
    data_case("tab_separated.csv", (("tab", "\\t"),)),
    data_case("header_cell_missing.csv", ("line 1", ("column 4", "4th column", "field 4")), forbid=("Unnamed",)),
    data_case("header_cell_blank_spaces.csv", ("line 1", ("column 5", "5th column", "field 5")), forbid=("Unnamed",)),
    data_case("duplicate_header.csv", ("line 1", "tasks"), forbid=("tasks.1",)),
    # ---- data: control characters
    data_case("control_char_name.csv", ("line 3", "column 'name'"), forbid=("\x1b",)),
    data_case("control_char_unit.csv", ("line 4", "column 'unit'"), forbid=("\x07",)),
    # ---- data: money, flags, progress
    money_case("budget_negative.csv", ("line 3", "column 'budget'")),
    money_case("salary_negative.csv", ("line 4", "column 'salary'")),
    money_case("staff_negative.csv", ("line 5", "column 'staff'")),
    money_case("budget_1e17.csv", ("line 4", "column 'budget'")),
    money_case("budget_nan.csv", ("line 3", "column 'budget'")),
    data_case("veto_half.csv", ("line 4", "column 'veto_safety'")),
    data_case("veto_column_missing.csv", ("veto_safety",)),
    money_case("spend_750_percent.csv", ("line 3", "column 'spend'")),
    money_case("spend_text_percent.csv", ("line 2", "column 'spend'")),
    money_case("progress_negative.csv", ("line 5", "column 'progress'")),
    data_case("value_1e400.csv", ("line 4", "column 'tasks'")),
    # ---- garbage totals: overflow to inf
    Case(
        "totals:bonus-1e308-twice",
        "totals",
        evaluate("{H}/scheme/uncapped_bonus.yaml", "{H}/data/bonus_1e308.csv"),
        ("bonus_1e308.csv", "uncapped_bonus.yaml"),
        (("line 2", "U1"),),
        preexisting=RESULTS,
    ),
    Case(
        "totals:per-event-1e300",
        "totals",
        evaluate("{H}/scheme/per_event_1e300.yaml", "{H}/data/bonus_events_1e10.csv"),
        ("bonus_events_1e10.csv", "per_event_1e300.yaml"),
        (("line 2", "U1"),),
        preexisting=RESULTS,
        runner="cli",  # a numpy overflow warning must not reach the terminal either
    ),
    Case(
        "totals:per-event-1e300-simulate",
        "totals",
        simulate("{H}/scheme/per_event_1e300.yaml", "{H}/data/bonus_events_1e10.csv"),
        ("bonus_events_1e10.csv", "per_event_1e300.yaml"),
        (("line 2", "U1"),),
        preexisting=PANEL,
    ),
    Case("totals:points-1e308", "totals", evaluate("{H}/scheme/points_1e308.yaml"), "points_1e308.yaml", ("points",)),
    Case(
        "totals:absolute-change-1e308",
        "totals",
        simulate("{H}/scheme/absolute_change_1e308.yaml", D),
        "absolute_change_1e308.yaml",
        ("absolute",),
        preexisting=PANEL,
    ),
    Case(
        "totals:bonus-months-1e308",
        "totals",
        simulate("{H}/scheme/bonus_months_1e308.yaml", D),
        "bonus_months_1e308.yaml",
        ("months",),
        preexisting=PANEL,
        runner="cli",
    ),
    money_case("budget_9e16_growth.csv", ("budget",), group="totals"),
    money_case("salary_1e300.csv", (("salary", "staff"),), group="totals"),
]


# ---------------------------------------------------------------------------------------------
# making the special files


def prepare(case: Case, places: dict[str, str]) -> None:
    """Make what the case needs in tmp_path before the snapshot is taken."""
    tmp, out, inputs = Path(places["T"]), Path(places["O"]), Path(places["IN"])
    if case.preexisting:
        target = Path(case.preexisting.format(**places))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(SENTINEL)
    if case.setup is None:
        return
    kind, _, arg = case.setup.partition(":")
    special = tmp / "special"
    special.mkdir(exist_ok=True)
    made = special / arg if arg else None
    if kind == "devzero":
        made.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(made)
    elif kind == "folder":
        made.mkdir()
        (made / "scheme.yaml").write_text("perfsim_scheme: 1\n", encoding="utf-8")
    elif kind == "missing":
        pass
    elif kind == "dangling":
        made.symlink_to(special / "nowhere" / arg)
    elif kind == "big_yaml":
        source = VALID / ("scenario.yaml" if "scenario" in arg else "sweep.yaml")
        text = source.read_text(encoding="utf-8").replace("scheme: scheme.yaml", f"scheme: {inputs}/scheme.yaml")
        text = text.replace("data: units.csv", f"data: {inputs}/units.csv")
        text = text.replace("base: scenario.yaml", f"base: {inputs}/scenario.yaml")
        pad = ("# " + "填充 padding " * 60 + "\n") * 1000
        with made.open("w", encoding="utf-8") as f:
            f.write(text)
            while f.tell() < 50 * 2**20:
                f.write(pad)
    elif kind == "one_line_csv":
        header = (VALID / "units.csv").read_text(encoding="utf-8").splitlines()[0]
        with made.open("w", encoding="utf-8") as f:
            f.write(header + ",")
            chunk = "x" * 2**20
            for _ in range(50):
                f.write(chunk)
    elif kind == "outfolder":
        (out / arg).mkdir()
    elif kind == "link_to_data":
        (out / arg).symlink_to(inputs / "units.csv")
    elif kind == "hardlink_to_data":
        os.link(inputs / "units.csv", out / arg)
    elif kind == "xlsx_data":
        import pandas as pd

        pd.read_csv(inputs / "units.csv", dtype=str).to_excel(inputs / "units.xlsx", index=False)
    elif kind == "manifest":
        folder = out / "batch"
        (folder / "chunks").mkdir(parents=True)
        manifest = folder / "manifest.json"
        if arg == "truncated":
            manifest.write_text(
                '{"sweep": "hostile-base", "variants": [{"index": 0, "params": {"cutoff:优', encoding="utf-8"
            )
        elif arg == "shape":
            manifest.write_text('{"sweep": "hostile-base", "variants": 5}\n', encoding="utf-8")
        else:
            manifest.mkdir()
    else:
        raise AssertionError(f"unknown setup {case.setup}")


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path under root with its kind and content hash (symlinks and special files not followed)."""
    found: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            info = os.lstat(path)
            rel = str(path.relative_to(root))
            if stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = ("folder",)
            elif stat.S_ISREG(info.st_mode):
                found[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
            else:
                found[rel] = ("special", stat.S_IFMT(info.st_mode))
    return found


def changes(before: dict[str, tuple[object, ...]], after: dict[str, tuple[object, ...]]) -> list[str]:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return [f"new: {p}" for p in added] + [f"removed: {p}" for p in removed] + [f"changed: {p}" for p in changed]


# ---------------------------------------------------------------------------------------------
# running perfsim

GUARDED_RUNNER = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a runaway read or allocation fails, not the machine
import concurrent.futures, concurrent.futures.process

class _Guarded(concurrent.futures.process.ProcessPoolExecutor):
    def __init__(self, max_workers=None, *args, **kwargs):
        if max_workers is not None and max_workers > 64:
            raise RuntimeError(f"hostile-input guard: perfsim started a pool of {max_workers} worker processes")
        super().__init__(max_workers, *args, **kwargs)

concurrent.futures.ProcessPoolExecutor = _Guarded
concurrent.futures.process.ProcessPoolExecutor = _Guarded
from perfsim.cli import main
sys.exit(main(sys.argv[1:]))
"""


HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str, str]:
    """Run ``perfsim.cli.main``; an escaping exception is reported as a traceback, and a warning Python
    would print in a real run (numpy overflow, pandas) is put on stderr ahead of the message, as a terminal
    would show it."""
    escaped = ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            code: int | None = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else None
        except Exception:  # any escape is a bug to report, not a reason to stop the corpus
            code = None
            escaped = traceback.format_exc()
    shown = "".join(
        warnings.formatwarning(w.message, w.category, w.filename, w.lineno)
        for w in caught
        if not issubclass(w.category, HIDDEN_WARNINGS)
    )
    captured = capsys.readouterr()
    return code, captured.out, shown + captured.err + escaped


def run_subprocess(argv: list[str], cwd: Path, guarded: bool, timeout: float) -> tuple[int | None, str, str]:
    command = [sys.executable, "-c", GUARDED_RUNNER] if guarded else [sys.executable, "-m", "perfsim.cli"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [*command, *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: a timeout ends it and any workers it started
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        text = err.decode("utf-8", "replace")
        return None, out.decode("utf-8", "replace"), f"[timed out after {timeout:g} s: hangs]\n{text}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # workers left behind by a finished run
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def any_of(text: str, piece: str | Alternatives) -> bool:
    return any(p in text for p in ((piece,) if isinstance(piece, str) else piece))


def problems_with(case: Case, code: int | None, out_text: str, err: str, elapsed: float) -> list[str]:
    found = []
    if "Traceback" in err or "[timed out" in err:
        last = [line for line in err.strip().splitlines() if line.strip()]
        found.append(f"traceback or hang: {last[-1][:300] if last else ''}")
    if code != 2:
        found.append(f"exit code {code}, expected 2")
    if not err.startswith("perfsim: error:"):
        found.append(f"stderr does not start with 'perfsim: error:' but {err[:80]!r}")
    if not any_of(err, case.names):
        found.append(f"the message does not name {case.names!r}")
    for piece in case.expect:
        if not any_of(err, piece):
            found.append(f"{piece!r} not in the message")
    for piece in case.forbid:
        if piece in err:
            found.append(f"{piece!r} is in the message")
    if "fix:" not in err:
        found.append("no 'fix:' in the message")
    if out_text:
        found.append(f"stdout is not empty: {out_text[:200]!r}")
    if len(err) > MAX_MESSAGE:
        found.append(f"the message is {len(err):,} characters long")
    if case.seconds is not None and elapsed > case.seconds:
        found.append(f"took {elapsed:.1f} s, more than {case.seconds:g} s")
    return found


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    inputs = tmp_path / "in"
    shutil.copytree(VALID, inputs)
    for sub in ("out", "cwd"):
        (tmp_path / sub).mkdir()
    return {"H": str(HOSTILE), "IN": str(inputs), "O": str(tmp_path / "out"), "T": str(tmp_path)}


def materialised_argv(case: Case, places: dict[str, str]) -> list[str]:
    if case.setup and case.setup.partition(":")[2]:
        places = {**places, "G": str(Path(places["T"]) / "special" / case.setup.partition(":")[2])}
    return [a.format(**places) for a in case.argv]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input_is_refused_cleanly(
    case: Case,
    places: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prepare(case, places)
    argv = materialised_argv(case, places)
    outside = [Path(p.format(**places)) for p in case.outside]
    for path in outside:
        path.unlink(missing_ok=True)
    before = snapshot(tmp_path)
    start = time.monotonic()
    if case.runner == "inprocess":
        monkeypatch.chdir(tmp_path / "cwd")
        code, out_text, err = run_in_process(argv, capsys)
    else:
        code, out_text, err = run_subprocess(argv, tmp_path / "cwd", case.runner == "guarded", case.timeout)
    elapsed = time.monotonic() - start
    changed = changes(before, snapshot(tmp_path))
    if case.contained and code == 0 and "Traceback" not in err:  # accepted and made safe: only inside -o
        inside = str(Path(case.contained.format(**places)).relative_to(tmp_path))
        found = [f"file system {c}" for c in changed if c != f"new: {inside}" and not c.startswith(f"new: {inside}/")]
    else:
        found = problems_with(case, code, out_text, err, elapsed)
        found += [f"file system {c}" for c in changed]
    found += [f"written outside the output folder: {p}" for p in outside if p.exists() or p.is_symlink()]
    for path in outside:
        path.unlink(missing_ok=True)
    assert not found, "; ".join(found) + f"\n--- stderr ---\n{err[:2000]}"


# ---------------------------------------------------------------------------------------------
# accepted inputs: the bases, and formula-like cells that must be neutralised on output


def test_valid_bases_are_accepted(
    places: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: every base runs, so each hostile file fails for its one change."""
    monkeypatch.chdir(Path(places["T"]) / "cwd")
    out = Path(places["O"])
    runs: list[tuple[list[str], Path]] = [
        ([*evaluate(S, D)], out / "results.csv"),
        ([*evaluate(C, None, "{O}/scenario.xlsx")], out / "scenario.xlsx"),
        ([*simulate(C)], out / "panel.csv"),
        ([*batch(W)], out / "batch" / "manifest.json"),
        ([*brief(C, "--set", "cutoff:优秀=88", "--lang", "en")], out / "briefings"),
    ]
    for argv, made in runs:
        code, _, err = run_in_process([a.format(**places) for a in argv], capsys)
        assert code == 0, err
        assert made.exists(), made


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_csv(path: Path) -> None:
    with path.open(encoding="utf-8-sig", newline="") as f:
        for r, row in enumerate(csv.reader(f), start=1):
            for c, cell in enumerate(row, start=1):
                assert not (cell.startswith(FORMULA_START) and not _is_number(cell)), (
                    f"{path.name} line {r} field {c} starts a formula: {cell!r}"
                )


def _check_xlsx(path: Path) -> None:
    """No formula cells; formula-like text is a text cell marked as typed text (``quotePrefix``, what Excel
    itself stores for '=x typed by a user), with its exact text, so a reader sees what the data hold."""
    import openpyxl

    with (HOSTILE / "data" / "formula_cells.csv").open(encoding="utf-8", newline="") as f:
        ids = [row["unit"] for row in csv.DictReader(f)]
    book = openpyxl.load_workbook(path)
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                where = f"{path.name} {sheet.title}!{cell.coordinate}"
                assert cell.data_type != "f", f"{where} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    if cell.value.startswith(FORMULA_START):
                        assert cell.data_type == "s" and cell.quotePrefix, (
                            f"{where} is not marked as text: {cell.value!r}"
                        )
    assert set(ids) <= texts, f"unit ids not kept exactly: {sorted(set(ids) - texts)}"


@pytest.mark.parametrize(
    "command, name, check",
    [
        ("evaluate", "results.csv", _check_csv),
        ("evaluate", "results.xlsx", _check_xlsx),
        ("simulate", "panel.csv", _check_csv),
        ("simulate", "panel.xlsx", _check_xlsx),
    ],
)
def test_formula_like_cells_are_accepted_and_neutralised(
    command: str,
    name: str,
    check: Callable[[Path], None],
    places: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Unit ids and names starting with =, +, - or @ are legal input, but never become formulas in a sheet."""
    data = str(HOSTILE / "data" / "formula_cells.csv")
    out = Path(places["O"]) / name
    argv = [*evaluate(S, data, str(out))] if command == "evaluate" else [*simulate(S, data, out=str(out))]
    code, _, err = run_in_process([a.format(**places) for a in argv], capsys)
    assert code == 0, err
    check(out)


# ---------------------------------------------------------------------------------------------
# the corpus itself


def test_corpus_is_complete() -> None:
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids), "a case id is used twice"
    assert len(CASES) >= 100, f"{len(CASES)} new cases"
    assert len(CASES) + EXISTING_CORPUS >= 120
    groups = {c.group for c in CASES}
    assert groups == {"special", "output", "cli", "scenario", "sweep", "data", "totals"}, groups
    for group in groups:
        assert sum(c.group == group for c in CASES) >= 5, f"few cases of {group}"
    on_disk = {
        str(p.relative_to(HOSTILE))
        for p in HOSTILE.glob("*/*")
        if p.parent.name in ("data", "scheme", "scenario", "sweep")
    }
    used = {a.replace("{H}/", "") for c in CASES for a in c.argv if a.startswith("{H}/")}
    used.add("data/formula_cells.csv")
    assert on_disk == used, f"not used by any case: {on_disk - used}; missing on disk: {used - on_disk}"
    for case in CASES:
        assert case.runner in ("inprocess", "guarded", "cli"), case.id
        if case.setup and case.setup.startswith(("devzero", "fifo")):
            assert case.runner == "guarded", f"{case.id} could hang or fill memory in-process"
