"""End-to-end runs of the command line, in-process and as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from perfsim.cli import main

from conftest import QITAI_DATA, QITAI_SCHEME


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_evaluate_writes_each_format(tmp_path, capsys, suffix):
    out = tmp_path / f"results{suffix}"
    assert main(["evaluate", str(QITAI_SCHEME), str(QITAI_DATA), "-o", str(out)]) == 0
    if suffix == ".xlsx":  # a workbook for people: 等次汇总, then a sheet per class with Chinese headings
        sheets = pd.read_excel(out, sheet_name=None)
        assert list(sheets) == ["等次汇总", "县直部门", "乡镇"]
        frame = pd.concat([sheets["县直部门"], sheets["乡镇"]]).rename(columns={"单位编号": "unit", "等次": "grade"})
        assert {"总分", "名次", "专项绩效考核", "公众评议"} <= set(frame.columns)
    else:
        frame = {".csv": pd.read_csv, ".parquet": pd.read_parquet}[suffix](out)
        assert {"unit", "total", "grade", "rank", "score:special", "score:public"} <= set(frame.columns)
    assert len(frame) == 75
    assert set(frame["grade"]) <= {"优秀", "良好", "合格", "不合格"}
    assert "wrote" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind


def test_evaluate_prints_table_and_grade_counts(capsys):
    assert main(["evaluate", str(QITAI_SCHEME), str(QITAI_DATA)]) == 0
    out = capsys.readouterr().out
    summary = out.strip().splitlines()[-1]
    counts = [int(part.split()[-1]) for part in summary.split("—")[1].split(",")]
    assert sum(counts) == 75
    assert "U001" in out


def test_explain_traces_every_step(capsys):
    assert main(["explain", str(QITAI_SCHEME), str(QITAI_DATA), "U010"]) == 0
    out = capsys.readouterr().out
    for step in ("indicators", "sections", "adjustments", "clamp", "round", "total", "bands", "result"):
        assert f"{step} " in out or f"{step}]" in out
    frame = pd.read_csv(QITAI_DATA).set_index("unit")
    assert str(frame.loc["U010", "name"]) in out


def test_explain_unknown_unit_exits_2(capsys):
    assert main(["explain", str(QITAI_SCHEME), str(QITAI_DATA), "U999"]) == 2
    err = capsys.readouterr().err
    assert "no unit 'U999'" in err and "Traceback" not in err


def test_lint_clean_scheme(capsys):
    assert main(["lint", str(QITAI_SCHEME)]) == 0
    assert "no errors" in capsys.readouterr().out


def test_schema_is_json_schema_of_scheme(tmp_path, capsys):
    out = tmp_path / "scheme.schema.json"
    assert main(["schema", "-o", str(out)]) == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert schema["title"] == "Scheme"
    assert {"indicators", "unit_classes", "grading", "vetoes"} <= set(schema["properties"])


def test_simulate_prints_summary_and_writes_panel(tmp_path, capsys):
    out = tmp_path / "panel.parquet"
    args = ["simulate", str(QITAI_SCHEME), str(QITAI_DATA), "--years", "3", "--draws", "4", "-o", str(out)]
    assert main(args) == 0
    panel = pd.read_parquet(out)
    assert len(panel) == 3 * 4 * 75 and set(panel["year"]) == {1, 2, 3}
    assert "flag organisational_handling" in capsys.readouterr().out


def test_simulate_without_a_panel_streams_its_draws_and_prints_the_same_summary(tmp_path, capsys, monkeypatch):
    """No panel asked for: ranges of draws are summarised and dropped, so a run whose panel the memory limit
    refuses still prints its summary, the very one a run keeping its panel prints."""
    from perfsim import limits, simulate_stream

    args = ["simulate", "qitai-county", "--years", "3", "--draws", "300", "--seed", "4"]
    assert main([*args, "-o", str(tmp_path / "panel.parquet")]) == 0
    with_panel = capsys.readouterr().out.split("wrote")[0]
    monkeypatch.setattr(limits, "MAX_SIMULATION_BYTES", 1_000_000)  # 300 draws no longer fit, 100 do
    monkeypatch.setattr(simulate_stream, "CHUNK_CELLS", 20_000)  # ranges of 100 draws
    assert main([*args, "-o", str(tmp_path / "again.parquet")]) == 2
    assert "GiB" in capsys.readouterr().err and not (tmp_path / "again.parquet").exists()
    assert main(args) == 0
    assert capsys.readouterr().out == with_panel


@pytest.mark.parametrize("command", ["evaluate", "explain", "simulate", "lint", "schema"])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: perfsim" in capsys.readouterr().out


def test_unknown_output_format_fails_before_any_work(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert main(["evaluate", str(QITAI_SCHEME), str(QITAI_DATA), "-o", str(out)]) == 2
    assert "unknown output format" in capsys.readouterr().err
    assert not out.exists()


def test_console_script_subprocess(tmp_path):
    out = tmp_path / "r.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "perfsim.cli", "evaluate", str(QITAI_SCHEME), str(QITAI_DATA), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(out)) == 75


def test_explain_traces_money_and_flags(capsys):
    from conftest import SCENARIOS

    assert main(["explain", str(SCENARIOS / "budget-lifecycle.yaml"), "W09"]) == 0
    out = capsys.readouterr().out
    assert "consequences" in out and "suspended" in out and "→ next year" in out
    qitai = str(SCENARIOS / "qitai-county.yaml")
    frame = pd.read_csv(QITAI_DATA)
    assert main(["evaluate", qitai]) == 0
    capsys.readouterr()
    excellent = next(
        u for u in frame["unit"] if main(["explain", qitai, u]) == 0 and "grade 等次 优秀" in capsys.readouterr().out
    )
    main(["explain", qitai, excellent])
    lines = capsys.readouterr().out
    row = frame.set_index("unit").loc[excellent]
    assert f"pay bonus: {row['salary'] * row['staff']:,.2f} yuan" in lines  # 1 month × staff (篇四 l.204)
    assert "flag commended" in lines
