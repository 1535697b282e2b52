"""The ``perfsim`` command line: evaluate, explain, lint, schema."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .compile import CompiledScheme, compile_scheme
from .data import UnitData, load_units
from .engine import evaluate
from .errors import ParameterError, PerfsimError
from .limits import check_panel, check_periods, check_seed, check_workers
from .lint import lint
from .models import Label
from .outputs import check_output_folder, check_output_path, write_table, write_text
from .results import explain, results_frame
from .scenario import (
    Scenario,
    bundled_scenarios_folder,
    is_scenario_file,
    list_scenarios,
    load_scenario,
    resolve_scenario,
)
from .scheme import Scheme, load_scheme

EXIT_USER_ERROR = 2


Loaded = tuple[CompiledScheme, UnitData, Scenario | None]
"""What a command's SOURCE gives: the compiled scheme, the units, and the scenario when it is one."""


def _load(source: Path, data_path: Path | None, encoding: str, out: Path | None = None) -> Loaded:
    """A scenario bundle (which names its data), or a scheme file plus a data file.

    ``out``, the command's output file, is checked again once every input has been read: the
    files a scenario names are known only now, and none of them may be the output.
    """
    loaded = _read_inputs(source, data_path, encoding)
    if out is not None:
        check_output_path(out)
    return loaded


def _read_inputs(source: Path, data_path: Path | None, encoding: str) -> Loaded:
    if data_path is None:  # a scenario: a file, or a bundled scenario's name (resolved here, once)
        source = resolve_scenario(source)
    if is_scenario_file(source):
        if data_path is not None:
            raise PerfsimError(
                f"{source} is a scenario, which names its own data",
                field=str(data_path),
                hint="drop the data argument, or give the scheme file instead of the scenario",
            )
        scenario = load_scenario(source, encoding=encoding)
        return scenario.compiled, scenario.data, scenario
    if data_path is None:
        raise PerfsimError(
            "a scheme file needs a data file",
            file=source,
            hint="perfsim evaluate SCHEME DATA, or name a scenario file (scenarios/*.yaml)",
        )
    compiled = compile_scheme(load_scheme(source))
    return compiled, load_units(data_path, compiled, encoding=encoding), None


def _cmd_list(args: argparse.Namespace) -> int:
    folder = args.folder if args.folder is not None else bundled_scenarios_folder()
    if folder is None:
        raise PerfsimError(
            "this installation holds no bundled scenarios", hint="name a folder: perfsim list path/to/scenarios"
        )
    found = list_scenarios(folder)
    if not found:
        print(f"no scenario files in {folder}")
        return 0
    # bundled scenarios are shown by the name commands take; a named folder's by their paths
    shown = [path.stem if args.folder is None else str(path) for path, _ in found]
    width = max(len(name) for name in shown)
    for name, (_, spec) in zip(shown, found):
        description = spec.description.zh if isinstance(spec.description, Label) else spec.description
        print(f"{name:<{width}}  {spec.name.zh} — {description}")
    return 0


def _inputs(args: argparse.Namespace) -> list[Path]:
    return [p for p in (getattr(args, "scheme", None), getattr(args, "data", None)) if p is not None]


def _cmd_evaluate(args: argparse.Namespace) -> int:
    out = check_output_path(args.output, inputs=_inputs(args)) if args.output else None
    compiled, data, _ = _load(args.scheme, args.data, args.encoding, out)
    scheme = compiled.scheme
    frame = results_frame(evaluate(compiled, data, detail=True))
    if out is not None:
        if out.suffix.lower() == ".xlsx":  # a workbook for people: a sheet per class, Chinese headings
            from .tables import write_results_workbook

            write_results_workbook(frame, compiled, out)
        else:
            write_table(frame, out, sheet=scheme.id)
        print(f"wrote {out} ({len(frame)} units)")
    else:
        cols = ["unit", "name", "class", "total", "grade", "grade_en", "rank"]
        if not compiled.multi_class:
            cols.remove("class")
        print(frame[[c for c in cols if c in frame]].to_string(index=False))
    if scheme.grading.graded:
        counts = frame["grade"].value_counts()
        summary = ", ".join(f"{g.zh} {int(counts.get(g.zh, 0))}" for g in compiled.grades)
    else:
        summary = "no grading (totals and ranks only) / 不评定等次"
    print(f"{scheme.name.both()}: {len(frame)} units — {summary}")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    if len(args.rest) not in (1, 2):
        raise PerfsimError("explain takes SCENARIO UNIT or SCHEME DATA UNIT", hint="perfsim explain --help")
    data_path = Path(args.rest[0]) if len(args.rest) == 2 else None
    args.unit = args.rest[-1]
    compiled, data, _ = _load(args.scheme, data_path, args.encoding)
    data.unit_position(args.unit)  # a clear error for an unknown unit before evaluating
    print(explain(evaluate(compiled, data, detail=True), args.unit, lang=args.lang))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from .population import BehaviourModel
    from .simulate import simulate
    from .simulate_stream import simulate_summary

    out = check_output_path(args.output, inputs=_inputs(args)) if args.output else None
    compiled, data, scenario = _load(args.scheme, args.data, args.encoding, out)
    if scenario is not None:  # the scenario's simulation defaults, unless given
        defaults = scenario.spec.analysis.simulation
        args.years = args.years if args.years is not None else defaults.years
        args.draws = args.draws if args.draws is not None else defaults.draws
        args.seed = args.seed if args.seed is not None else defaults.seed
        if args.capacity_elasticity is None:
            args.capacity_elasticity = defaults.capacity_elasticity
    args.years = 10 if args.years is None else args.years
    args.draws = 100 if args.draws is None else args.draws
    args.seed = 0 if args.seed is None else args.seed
    args.capacity_elasticity = 0.1 if args.capacity_elasticity is None else args.capacity_elasticity
    check_periods(args.years, args.draws)
    check_seed(args.seed)
    if out is not None:
        check_panel(args.years * args.draws * len(data), out.suffix.lower())
    model = BehaviourModel(capacity_elasticity=args.capacity_elasticity)
    run = {"years": args.years, "draws": args.draws, "seed": args.seed, "model": model}
    if out is None:  # no panel asked for: ranges of draws are summarised and dropped, memory bounded by one
        summary = simulate_summary(compiled, data, **run)
    else:
        sim = simulate(compiled, data, **run)
        summary = sim.summary()
    print(summary.to_string(index=False, float_format=lambda x: f"{x:,.3f}"))
    if out is not None:
        write_table(sim.panel(), out)
        print(f"wrote {out} ({args.years} years × {args.draws} draws × {len(data)} units)")
    return 0


def _cmd_brief(args: argparse.Namespace) -> int:
    from .publish import brief

    params = dict(_parse_assignment(text) for text in args.set or [])
    scenario = load_scenario(args.scenario)  # a file or a bundled name; a scheme file is refused by name
    baseline = load_scenario(args.vs) if args.vs is not None else None
    check_output_folder(args.output, inputs=[s.path for s in (scenario, baseline) if s is not None])
    _check_set(scenario, params)
    path = brief(scenario, args.output, vs=baseline, params=params, lang=args.lang, pdf=args.pdf)
    print(f"wrote {path}")
    return 0


def _cmd_reach(args: argparse.Namespace) -> int:
    from .analysis.reach import reach
    from .analysis.reach_save import save_solved

    out = check_output_path(args.output, (".yaml", ".yml"), inputs=_inputs(args)) if args.output else None
    compiled, data, scenario = _load(args.scheme, args.data, args.encoding)
    if out is not None:  # the files a scenario names are known only now: none may be the output
        check_output_path(out, (".yaml", ".yml"))
    result = reach(compiled, data, args.target or [], args.lever or [], seed=args.seed)
    print(result.text(args.lang))
    if out is not None:
        for path in save_solved(result, out, scenario, data):
            print(f"wrote {path}")
    return 0 if result.feasible else 1


def _check_set(scenario: Scenario, params: Mapping[str, float]) -> None:
    """Check ``--set`` values against the scenario's parameters, blaming ``--set`` (not the scenario)."""
    try:
        scenario.compiled.parameters.resolve(params)
    except ParameterError as exc:
        raise ParameterError(exc.message, field="--set", hint=exc.hint) from None


def _parse_assignment(text: str) -> tuple[str, float]:
    name, sep, value = text.rpartition("=")  # the value is a number; a grade name may hold '='

    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not name.strip() or not math.isfinite(number):
        raise PerfsimError(
            f"--set {text!r} is not NAME=NUMBER", field="--set", hint="e.g. --set cutoff:优秀=85 (a finite number)"
        )
    return name.strip(), number


def _cmd_explore(args: argparse.Namespace) -> int:
    from .app import serve, settings_for

    settings = settings_for(args.scenario, args.save_dir, args.briefings, lang=args.lang)
    return serve(settings, port=args.port, open_browser=not args.no_browser)


def _cmd_batch(args: argparse.Namespace) -> int:
    from .batch import run_batch

    check_workers(args.workers)
    out = run_batch(
        args.sweep,
        args.output,
        workers=args.workers,
        scheduler=args.scheduler,
        briefings=not args.no_briefings,
        progress=not args.quiet,
    )
    print(f"wrote {out} (manifest.json, variants.csv, index.html)")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .scenario import init_scenario

    out = init_scenario(args.name, args.source)
    print(f"wrote {out.parent}/ ({out.name}, its scheme and data)")
    print(f"edit them, then: perfsim evaluate {out}")
    return 0


def _cmd_import_table(args: argparse.Namespace) -> int:
    from .compile import compile_scheme as _compile
    from .tables import import_table
    from .tables.template import data_template, scheme_yaml

    scheme_out = args.output if args.output is not None else Path(f"{args.table.stem}.yaml")
    scheme_out = check_output_path(scheme_out, (".yaml", ".yml"), inputs=[args.table])
    data_out = scheme_out.with_name(f"{scheme_out.stem}-data.csv")
    check_output_path(data_out, (".csv",), inputs=[args.table])
    result = import_table(args.table)
    for warning in result.warnings:
        print(f"perfsim: warning: {args.table}: {warning}", file=sys.stderr)
    write_text(scheme_out, scheme_yaml(result, args.table))
    write_table(data_template(_compile(result.scheme)), data_out)
    print(f"wrote {scheme_out} and {data_out} (a data template: one row per unit)")
    return 0


def _cmd_export_table(args: argparse.Namespace) -> int:
    from .tables import export_table

    out = check_output_path(args.output, (".xlsx",), inputs=[args.scheme])
    scheme = load_scheme(args.scheme)
    export_table(scheme, out)
    print(f"wrote {out}")
    return 0


def _cmd_lint(args: argparse.Namespace) -> int:
    scheme = load_scheme(args.scheme)
    findings = lint(scheme)
    for f in findings:
        print(f"{args.scheme}: {f.field}: {f.level}: {f.message}")
    errors = sum(f.level == "error" for f in findings)  # a declared template's departures, as the scheme says
    warnings = len(findings) - errors
    words = f"{warnings} warning{'s' if warnings != 1 else ''}"
    if errors:
        print(f"{args.scheme}: {errors} error{'s' if errors != 1 else ''}, {words}")
        return 2
    print(f"{args.scheme}: no errors, {words}")
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(Scheme.model_json_schema(), ensure_ascii=False, indent=2)
    if args.output:
        out = check_output_path(args.output, (".json",))
        write_text(out, text + "\n")
        print(f"wrote {out}")
    else:
        print(text)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as perfsim reports any mistake.

    One ``perfsim: error:`` message with a ``fix:`` line and exit code 2, instead of a usage
    dump; subcommand parsers are made of this class too.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``message`` as a perfsim error pointing at ``--help``, and exit with code 2."""
        problem = PerfsimError(message, hint=f"see `{self.prog} --help`")
        self.exit(EXIT_USER_ERROR, f"perfsim: error: {problem}\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``perfsim`` argument parser, with one subcommand parser per command."""
    parser = _Parser(
        prog="perfsim",
        description="Simulate performance-evaluation schemes (预算绩效, 政府绩效考核, 绩效工资).",
    )
    parser.add_argument("--version", action="version", version=f"perfsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_args(p: argparse.ArgumentParser, data: bool = True) -> None:
        p.add_argument(
            "scheme",
            type=Path,
            metavar="SCENARIO_OR_SCHEME",
            help="a scenario file or bundled scenario name (qitai-county; it names its data), or a scheme file",
        )
        if data:
            p.add_argument(
                "data",
                type=Path,
                nargs="?",
                metavar="DATA",
                help="unit data for a scheme file: .csv (UTF-8), .xlsx or .parquet; wide or long",
            )
        p.add_argument("--encoding", default="utf-8", help="text encoding of a CSV file (default utf-8; e.g. gb18030)")

    p = sub.add_parser(
        "evaluate",
        help="score, grade and rank every unit",
        description="Score, grade and rank every unit; print a table or write one.",
    )
    data_args(p)
    p.add_argument("-o", "--output", type=Path, help="write the full results to .csv, .xlsx or .parquet")
    p.set_defaults(run=_cmd_evaluate)

    p = sub.add_parser(
        "explain",
        help="trace how one unit's grade was reached",
        description="Trace one unit: indicator scores, sections, caps, vetoes, bands, quotas.",
    )
    data_args(p, data=False)
    p.add_argument("rest", nargs="+", metavar="[DATA] UNIT", help="the data file (for a scheme file) and the unit id")
    p.add_argument("--lang", choices=["zh", "en", "both"], default="both", help="language of the trace (default both)")
    p.set_defaults(run=_cmd_explain)

    p = sub.add_parser(
        "simulate",
        help="run the scheme and its consequences forward over years",
        description="Simulate years of evaluation → grade → consequences → next year's budget, "
        "for many random draws; print a summary per year.",
    )
    data_args(p)
    p.add_argument("--years", type=int, help="years to simulate (default: the scenario's, else 10)")
    p.add_argument("--draws", type=int, help="random draws (default: the scenario's, else 100)")
    p.add_argument("--seed", type=int, help="random seed (same seed, same results)")
    p.add_argument(
        "--capacity-elasticity",
        type=float,
        help="budget → performance link (0 turns it off; default: the scenario's, else 0.1)",
    )
    p.add_argument("-o", "--output", type=Path, help="write the unit × year × draw panel (.csv, .xlsx, .parquet)")
    p.set_defaults(run=_cmd_simulate)

    p = sub.add_parser(
        "reach",
        help="design backwards: the smallest change of levers that meets stated targets",
        description="Find the lever values closest to the scheme as written that meet every target; print the "
        "targets, the values reached and what moved; write the solved scenario. Exit 1 when the targets cannot "
        "all be met (the conflicting targets and the closest values are printed).",
    )
    data_args(p)
    p.add_argument("--target", action="append", metavar="TARGET", help="e.g. '优秀<=20%%', '不合格>=5%%', 'budget<=0'")
    p.add_argument("--lever", action="append", metavar="LEVER", help="e.g. 'cutoff:*', 'weights:*', 'rate:*'")
    p.add_argument("--seed", type=int, default=0, help="seed of the search (default 0)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the report (default zh)")
    p.add_argument("-o", "--output", type=Path, help="write the solved scenario (.yaml; its scheme beside it)")
    p.set_defaults(run=_cmd_reach)

    p = sub.add_parser(
        "list",
        help="list the bundled scenarios",
        description="List scenario files with a one-line description each.",
    )
    p.add_argument("folder", type=Path, nargs="?", help="a folder of scenario files (default: the bundled ones)")
    p.set_defaults(run=_cmd_list)

    p = sub.add_parser(
        "brief",
        help="write an offline HTML briefing note for a scenario",
        description="Execute the briefing notebook (papermill) and export a self-contained HTML note: headline, "
        "grade distribution, grade changes and money against a baseline, sensitivity, assumptions, trace.",
    )
    p.add_argument("scenario", type=Path, help="scenario file, or a bundled scenario's name (perfsim list)")
    p.add_argument("--vs", type=Path, help="a baseline scenario (file or bundled name) on the same units")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="a parameter change (repeatable)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the note (default zh)")
    p.add_argument("--pdf", action="store_true", help="also print the note to an A4 PDF beside it (needs chromium)")
    p.add_argument("-o", "--output", type=Path, default=Path("briefings"), help="output folder (default briefings)")
    p.set_defaults(run=_cmd_brief)

    p = sub.add_parser(
        "explore",
        help="open the scheme explorer as a web app on localhost",
        description="Serve the scheme explorer (levers, grade counts, cost, chart, changed units, traces, saving "
        "and briefing) as a standalone web app on localhost; prints its URL; Ctrl-C stops it.",
    )
    p.add_argument("scenario", type=Path, nargs="?", help="scenario file (default: scenarios/qitai-county.yaml)")
    p.add_argument("--port", type=int, help="port (default 8866 or the next free one)")
    p.add_argument("--no-browser", action="store_true", help="only print the URL; do not open a browser")
    p.add_argument(
        "--save-dir",
        type=Path,
        default=Path("saved-scenarios"),
        help="folder for saved scenarios (default saved-scenarios)",
    )
    p.add_argument(
        "--briefings", type=Path, default=Path("briefings"), help="folder for briefing notes (default briefings)"
    )
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language at start (default zh)")
    p.set_defaults(run=_cmd_explore)

    p = sub.add_parser(
        "batch",
        help="run a sweep of scenario variants (numbers for all, briefings for some)",
        description="Run the variants of a sweep file through the vectorised engine on a local process pool or a "
        "Dask cluster; resumable; writes manifest.json, variants.csv, briefings and index.html.",
    )
    p.add_argument("sweep", type=Path, help="sweep file (YAML: perfsim_sweep: 1)")
    p.add_argument("-o", "--output", type=Path, help="output folder (default batches/<sweep id>)")
    p.add_argument("--workers", type=int, default=1, help="local worker processes (default 1)")
    p.add_argument("--scheduler", help="Dask distributed scheduler address (tcp://host:port)")
    p.add_argument("--no-briefings", action="store_true", help="numbers only")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=_cmd_batch)

    p = sub.add_parser(
        "import-table",
        help="read an indicator table (.xlsx) into a scheme file and a data template",
        description="Read an indicator table (一级/二级/三级指标, 分值 or 权重, 评分标准, 指标值; merged cells, blank "
        "rows and points such as 10分 are fine) into a scheme YAML and a data template CSV beside it; every cell "
        "that cannot be read is reported by sheet, row and column.",
    )
    p.add_argument("table", type=Path, metavar="TABLE.xlsx", help="the indicator table")
    p.add_argument("-o", "--output", type=Path, help="scheme file to write (default: TABLE.yaml here)")
    p.set_defaults(run=_cmd_import_table)

    p = sub.add_parser(
        "export-table",
        help="write a scheme as a printable indicator table (.xlsx)",
        description="Write a scheme as a printable indicator table: tiers in merged cells, 分值, 评分标准, 指标值, "
        "A4 print set-up; import-table reads it back into the same scheme.",
    )
    p.add_argument("scheme", type=Path, metavar="SCHEME", help="scheme file (YAML)")
    p.add_argument("-o", "--output", type=Path, required=True, help="the .xlsx file to write")
    p.set_defaults(run=_cmd_export_table)

    p = sub.add_parser(
        "init",
        help="copy a scenario (scheme and data too) into a new folder to edit",
        description="Copy a scenario, its scheme and its data into ./NAME/ (never over existing files), "
        "with the scenario's paths pointing at the copies and its id set to NAME.",
    )
    p.add_argument("name", metavar="NAME", help="the new scenario's name, also its folder")
    p.add_argument(
        "--from",
        dest="source",
        default="qitai-county",
        metavar="SCENARIO",
        help="a scenario file or bundled scenario name (default qitai-county)",
    )
    p.set_defaults(run=_cmd_init)

    p = sub.add_parser(
        "lint",
        help="check a scheme file for errors and suspicious settings",
        description="Load a scheme strictly (errors exit 2) and list warnings.",
    )
    p.add_argument("scheme", type=Path, help="scheme file (YAML)")
    p.set_defaults(run=_cmd_lint)

    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of scheme files (for editors)",
        description="Print the JSON Schema of scheme files, for editor completion and checks.",
    )
    p.add_argument("-o", "--output", type=Path, help="write it to a .json file instead")
    p.set_defaults(run=_cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; user errors print a short message and return exit code 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except PerfsimError as exc:
        print(f"perfsim: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("perfsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into head and cut short: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
