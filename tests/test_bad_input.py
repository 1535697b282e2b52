"""Bad-input corpus: every malformed scheme or data file gives a clear error, exit code 2,
no traceback and no output file.

Each file under ``tests/corpus/scheme/`` is ``tests/corpus/valid/scheme.yaml`` with one
change (its first line says which); each file under ``tests/corpus/data/`` is
``tests/corpus/valid/units.csv`` with one change. A scheme case runs with the valid data,
a data case with the valid scheme. ``GENERATED`` files are written by the test into
``tmp_path`` (the 50 MB scheme is not committed).

Cases perfsim does not handle yet carry ``bug=...`` and run as strict xfail: when perfsim
is fixed they start passing, and the strict xfail turns into a failure that asks for the
mark to be removed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from perfsim.cli import main

CORPUS = Path(__file__).resolve().parent / "corpus"
VALID_SCHEME = CORPUS / "valid" / "scheme.yaml"
VALID_DATA = CORPUS / "valid" / "units.csv"
PWNED = Path("/tmp/perfsim-pwned")  # what python_object_tag.yaml would create if the tag ran


@dataclass(frozen=True)
class Case:
    file: str  # under tests/corpus/ ("scheme/…", "data/…") or "generated/…" (written into tmp_path)
    command: str  # evaluate (with -o), lint, or explain (unit U1)
    expect: str  # a piece of the error message that says what is wrong
    bug: str | None = None  # perfsim mishandles this input: the reason for a strict xfail

    @property
    def id(self) -> str:
        return self.file.replace("/", ":")


CASES = [
    # ---- schemes: keys, methods, types
    Case("scheme/unknown_key_weigth.yaml", "lint", "unknown key 'weigth' (did you mean 'weight'?)"),
    Case("scheme/misspelt_method.yaml", "evaluate", "unknown scoring method 'completion_ration'"),
    Case("scheme/wrong_type_points.yaml", "evaluate", "indicators[0].points"),
    Case("scheme/negative_points.yaml", "evaluate", "indicators[2].points"),
    Case("scheme/missing_perfsim_scheme.yaml", "lint", "perfsim_scheme is missing"),
    Case("scheme/top_level_list.yaml", "evaluate", "must be a mapping"),
    Case("scheme/total_nan.yaml", "evaluate", "total"),
    # ---- schemes: sums, bands, references, tree
    Case("scheme/points_sum_99.yaml", "evaluate", "points sum to 99, not 100"),
    Case("scheme/weights_sum_99.yaml", "evaluate", "weights sum to 99%"),
    Case("scheme/band_overlap.yaml", "lint", "bands overlap"),
    Case("scheme/band_gap.yaml", "evaluate", "gap between bands"),
    Case("scheme/cutoffs_out_of_order.yaml", "explain", "cut-offs out of order"),
    Case("scheme/unknown_period.yaml", "evaluate", "unknown period 'Y'"),
    Case("scheme/veto_target_missing.yaml", "evaluate", "'taskz' is not a leaf indicator"),
    Case("scheme/duplicate_indicator_ids.yaml", "lint", "indicator id 'service' is used twice"),
    Case("scheme/tree_too_deep.yaml", "evaluate", "deeper than 4 levels"),
    # ---- schemes: YAML traps and unsafe or broken files
    Case("scheme/yaml11_no.yaml", "evaluate", "'NO' is a boolean in YAML 1.1"),
    Case("scheme/yaml11_on_value.yaml", "evaluate", "'on' is a boolean in YAML 1.1"),
    Case("scheme/yaml11_on_key.yaml", "lint", "'on' is a boolean in YAML 1.1"),
    Case("scheme/yaml11_sexagesimal.yaml", "evaluate", "'1:30' is read as a base-60 number"),
    Case("scheme/yaml11_octal.yaml", "evaluate", "'010' has a leading zero"),
    Case("scheme/duplicate_key.yaml", "evaluate", "duplicate key 'total'"),
    Case("scheme/python_object_tag.yaml", "evaluate", "unsupported YAML tag"),
    Case("scheme/syntax_error.yaml", "evaluate", "YAML syntax error"),
    Case("scheme/empty.yaml", "evaluate", "scheme file is empty"),
    Case("scheme/only_comment.yaml", "lint", "scheme file holds no data"),
    Case("scheme/gbk.yaml", "evaluate", "not valid utf-8"),
    Case("generated/huge_50mb.yaml", "evaluate", "above the 2 MiB limit"),
    # ---- data (wide CSV unless named otherwise)
    Case("data/nan_value.csv", "evaluate", "'NaN' is not a number"),
    Case("data/inf_value.csv", "evaluate", "'inf' is not a number"),
    Case("data/text_value.csv", "explain", "'eighty' is not a number"),
    Case("data/missing_value.csv", "evaluate", "line 3, column 'service': missing value"),
    Case("data/duplicate_unit.csv", "evaluate", "duplicate unit id 'U2'"),
    Case("data/unknown_column.csv", "evaluate", "unknown column 'complaint'"),
    Case("data/missing_indicator_column.csv", "evaluate", "missing column 'conduct'"),
    Case("data/no_unit_column.csv", "evaluate", "no 'unit' column"),
    Case("data/negative_value.csv", "evaluate", "negative value -80"),
    Case("data/negative_deduction.csv", "evaluate", "negative adjustment -1"),
    Case("data/score_above_scale.csv", "explain", "score 108 is above the scale of 100"),
    Case("data/bad_veto_flag.csv", "evaluate", "'maybe' is not a veto flag"),
    Case("data/gbk.csv", "evaluate", "not valid utf-8"),
    Case("data/empty.csv", "evaluate", "data file is empty"),
    Case("data/header_only.csv", "evaluate", "data file has no rows"),
    Case("data/ragged_row.csv", "evaluate", "fields but the header has"),
    Case("data/corrupt.xlsx", "evaluate", "cannot read Excel workbook"),
    Case("data/units.json", "explain", "unsupported data file type '.json'"),
    Case("data/long_duplicate.csv", "evaluate", "unit 'U2' has a second value for 'service'"),
    # ---- inputs that once crashed or passed silently (found by this corpus)
    Case("scheme/bands_empty.yaml", "lint", "grading.bands"),
    Case("scheme/indicators_empty.yaml", "lint", "indicators"),
    Case("scheme/rank_tiers_empty.yaml", "evaluate", "grading.rank_tiers"),
    Case("scheme/unit_classes_empty.yaml", "evaluate", "unit_classes"),
    Case("scheme/band_min_nan.yaml", "evaluate", "min"),
    Case("scheme/scale_inf.yaml", "evaluate", "scale"),
    Case("scheme/nested_brackets.yaml", "lint", "nested too deeply"),
    Case("data/short_row.csv", "evaluate", "line 3"),
    Case("scheme/alias_bomb.yaml", "lint", "expands to more than"),
]

GENERATED_SIZE = 50 * 2**20


def materialise(case: Case, tmp_path: Path) -> Path:
    """The bad file of a case: the committed corpus file, or one written now into tmp_path."""
    if not case.file.startswith("generated/"):
        return CORPUS / case.file
    assert case.file == "generated/huge_50mb.yaml"
    path = tmp_path / "huge_50mb.yaml"
    pad = "# " + "填充 padding " * 60 + "\n"
    with path.open("w", encoding="utf-8") as f:
        f.write(VALID_SCHEME.read_text(encoding="utf-8"))
        while f.tell() < GENERATED_SIZE:
            f.write(pad * 1000)
    assert path.stat().st_size >= GENERATED_SIZE
    return path


def argv_for(case: Case, bad: Path, out: Path) -> list[str]:
    is_scheme = bad.suffix == ".yaml"
    scheme, data = (bad, VALID_DATA) if is_scheme else (VALID_SCHEME, bad)
    if case.command == "lint":
        assert is_scheme, "lint only reads a scheme"
        return ["lint", str(scheme)]
    if case.command == "explain":
        return ["explain", str(scheme), str(data), "U1"]
    return ["evaluate", str(scheme), str(data), "-o", str(out)]


def run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | None, str, str]:
    """Run ``perfsim.cli.main``; an exception escaping it is reported as a traceback on stderr."""
    escaped = ""
    try:
        code: int | None = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code if isinstance(exc.code, int) else None
    except Exception:
        code = None
        escaped = traceback.format_exc()
    captured = capsys.readouterr()
    return code, captured.out, captured.err + escaped


def check_refused(code: int | None, out_text: str, err: str, bad: Path, expect: str, out_dir: Path) -> None:
    assert "Traceback" not in err, err
    assert code == 2, f"exit code {code}; stderr: {err!r}"
    assert err.startswith("perfsim: error:"), err
    assert bad.name in err, f"the message does not name {bad.name}: {err!r}"
    assert expect in err, f"{expect!r} not in {err!r}"
    assert out_text == "", f"unexpected output on stdout: {out_text!r}"
    assert list(out_dir.iterdir()) == [], "an output (or temporary) file was written"
    assert not PWNED.exists(), "the YAML Python tag was executed"


def params(cases: list[Case]) -> list[object]:
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(reason=c.bug, strict=True)] if c.bug else []) for c in cases
    ]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    PWNED.unlink(missing_ok=True)
    out = tmp_path / "out"
    out.mkdir()
    return out


@pytest.mark.parametrize("case", params(CASES))
def test_bad_input_is_refused_cleanly(
    case: Case, tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = materialise(case, tmp_path)
    argv = argv_for(case, bad, out_dir / "results.csv")
    code, out_text, err = run_in_process(argv, capsys)
    check_refused(code, out_text, err, bad, case.expect, out_dir)


SUBPROCESS_CASES = ["scheme/python_object_tag.yaml", "scheme/band_overlap.yaml", "data/gbk.csv"]


@pytest.mark.parametrize("case", params([c for c in CASES if c.file in SUBPROCESS_CASES]))
def test_bad_input_end_to_end(case: Case, tmp_path: Path, out_dir: Path) -> None:
    bad = materialise(case, tmp_path)
    argv = argv_for(case, bad, out_dir / "results.csv")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "perfsim.cli", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )
    check_refused(proc.returncode, proc.stdout, proc.stderr, bad, case.expect, out_dir)


def test_corpus_is_complete() -> None:
    assert len(CASES) >= 25
    assert len({c.file for c in CASES}) == len(CASES), "a file is listed twice"
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.parent.name in ("scheme", "data")}
    listed = {c.file for c in CASES if not c.file.startswith("generated/")}
    assert on_disk == listed, f"not in CASES: {on_disk - listed}; missing on disk: {listed - on_disk}"
    assert {c.command for c in CASES} == {"evaluate", "lint", "explain"}


def test_valid_base_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The control: the unchanged base files load and evaluate, so each bad file fails for its one change."""
    out = tmp_path / "results.csv"
    assert main(["evaluate", str(VALID_SCHEME), str(VALID_DATA), "-o", str(out)]) == 0
    assert out.exists()
    assert main(["lint", str(VALID_SCHEME)]) == 0
    assert "no errors, 0 warnings" in capsys.readouterr().out
