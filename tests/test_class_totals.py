"""Classes scored out of different full marks (issue 14: "Monthly scoring notices of streets, towns and
villages add their own: … groups ranked separately with different full marks").

The worked example is the case the issue names, as such notices set it out: streets (街道) scored out of
100 on 重点工作 60 + 党建 40, towns (乡镇) out of 120 with an extra block 乡村振兴 20, graded on the
percent of their own full mark (优秀 ≥ 90 %, 良好 ≥ 80 %, 合格 ≥ 70 %) and ranked separately. Every number
below is worked by hand in the test's docstring.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import perfsim
from perfsim.analysis import grade_margins, near_cutoffs
from perfsim.cli import main
from perfsim.errors import DataError, SchemeError
from perfsim.labels import parameter_words
from perfsim.tables import export_table, import_table

from conftest import BANDS_90_80_70, label, leaf, make_scheme, run

STREET = ["work", "party"]
TOWN = ["work", "party", "farm"]


def classes(town_total: float | None = 120, scale: float = 1.0, town_scale: float | None = None) -> list[dict]:
    """街道: 重点工作 60 + 党建 40 = 100. 乡镇: the same plus 乡村振兴 20 = 120 (``town_total``, or none)."""
    k = scale if town_scale is None else town_scale
    town = {
        "id": "乡镇",
        "name": label("乡镇", "towns"),
        "indicators": [leaf("work", 60 * k), leaf("party", 40 * k), leaf("farm", 20 * k)],
    }
    if town_total is not None:
        town["total"] = town_total * k
    return [
        {"id": "街道", "name": label("街道", "streets"), "indicators": [leaf("work", 60), leaf("party", 40)]},
        town,
    ]


def notice(**fields) -> perfsim.Scheme:
    """The monthly notice: percent bands 90/80/70, ranked within class, a bonus item capped at 5 points."""
    grading = {"basis": "percent", "bands": BANDS_90_80_70, "group_by": "class", **fields.pop("grading", {})}
    base = {
        "unit_classes": classes(),
        "grading": grading,
        "adjustments": {"items": [{"id": "bonus", "name": label("加分"), "kind": "bonus", "cap": 5}]},
        "rounding": {"total": 2},
    }
    return make_scheme(None, **{**base, **fields})


ROWS = [
    {"unit": "S1", "class": "街道", "work": 95, "party": 90, "bonus": 0},
    {"unit": "S2", "class": "街道", "work": 100, "party": 100, "bonus": 5},
    {"unit": "S3", "class": "街道", "work": 80, "party": 85, "bonus": 0},
    {"unit": "T1", "class": "乡镇", "work": 95, "party": 90, "farm": 80, "bonus": 0},
    {"unit": "T2", "class": "乡镇", "work": 100, "party": 100, "farm": 10, "bonus": 0},
    {"unit": "T3", "class": "乡镇", "work": 100, "party": 100, "farm": 100, "bonus": 5},
]


def test_streets_out_of_100_and_towns_out_of_120_are_graded_and_ranked_apart():
    """S1 = 0.95 × 60 + 0.90 × 40 = 93 → 93 % 优秀; S2 = 100 + 5 bonus = 105, clamped to its full mark 100;
    S3 = 48 + 34 = 82 → 良好. T1 = 57 + 36 + 16 = 109 of 120 = 90.83 % → 优秀; T2 = 60 + 40 + 2 = 102 of 120
    = 85 % → 良好 (out of a single 100 it would be clamped to 100 and graded 优秀); T3 = 120 + 5 = 125, clamped
    to its own 120. Ranked separately: 街道 S2, S1, S3; 乡镇 T3, T1, T2 (together, T1's 109 would outrank S2's
    100 although S2 has full marks)."""
    _, _, ev = run(notice(), ROWS)
    assert ev.total[0].tolist() == pytest.approx([93, 100, 82, 109, 102, 120])
    assert ev.clamped[0].tolist() == [False, True, False, False, False, True]
    assert ev.grade_labels() == ["优秀", "优秀", "良好", "优秀", "良好", "优秀"]
    assert ev.rank[0].tolist() == [2, 1, 3, 2, 3, 1]
    table = perfsim.results_frame(ev).set_index("unit")
    assert table["percent"].to_dict() == pytest.approx(
        {"S1": 93, "S2": 100, "S3": 82, "T1": 109 / 120 * 100, "T2": 85, "T3": 100}
    )
    assert table["group"].to_dict() == {
        "S1": "街道",
        "S2": "街道",
        "S3": "街道",
        "T1": "乡镇",
        "T2": "乡镇",
        "T3": "乡镇",
    }


def test_the_trace_shows_the_units_own_full_mark():
    """explain names the class's full mark where it names the total's: 109 of 120 = 90.8333 %, clamp [0, 120]."""
    _, _, ev = run(notice(), ROWS)
    zh = str(perfsim.explain(ev, "T1", lang="zh"))
    assert "加权合计：109 分（满分 120 分）" in zh
    assert "总分 109 分，为满分 120 分的 90.8333%" in zh
    assert "总分限定在 [0, 120] 分之内" in zh
    assert "优秀：≥ 90%" in zh and "在乡镇中排名第 2" in zh
    en = str(perfsim.explain(ev, "T3", lang="en"))
    assert "weighted sum: 120 of 120" in en and "total kept within [0, 120] — clamped" in en
    street = str(perfsim.explain(ev, "S2", lang="zh"))
    assert "满分 100 分" in street and "总分限定在 [0, 100] 分之内，已限幅" in street


def test_a_swept_cutoff_moves_each_class_by_its_own_full_mark():
    """cutoff:优秀 = 85 % is 85 points for a street and 102 for a town: T2's 102 (85 %) becomes 优秀."""
    _, _, ev = run(notice(), ROWS, {"cutoff:优秀": [90.0, 85.0]})
    assert ev.grade_labels(0)[4] == "良好" and ev.grade_labels(1)[4] == "优秀"
    assert ev.cutoffs_of(4, draw=1)[0] == pytest.approx(102)
    assert ev.cutoffs_of(0, draw=1)[0] == pytest.approx(85)
    # in words it is a percent, not points: 85 points would be wrong for a town
    assert parameter_words(ev.compiled, "cutoff:优秀", "zh").value(85) == "85%"


def test_margins_and_near_cutoffs_read_each_units_own_cutoffs():
    """T2 (102 of 120) needs 108 for 优秀: 6 points up, 6 points (5 %) above 良好's 96. S3 (82) needs 90: 8 up."""
    _, _, ev = run(notice(), ROWS)
    margins = grade_margins(ev).set_index("unit")
    assert margins.loc["T2", "up"] == pytest.approx(6) and margins.loc["T2", "down"] == pytest.approx(6)
    assert margins.loc["S3", "up"] == pytest.approx(8)
    near = near_cutoffs(ev, eps=5.0)
    row = near[(near["unit"] == "T2")].set_index("cutoff grade")
    assert row.loc["良好", "distance"] == pytest.approx(5.0)  # 85 % − 80 %, in the percent basis
    assert row.loc["良好", "cutoff"] == pytest.approx(80.0)


def test_quotas_and_rank_tiers_count_within_each_class():
    """At most one 优秀 per class (max_count 1): 街道 S1 (93) and S2 (100) both reach 90 %, S2 keeps it; 乡镇
    T1 (90.83 %) and T3 (100 %), T3 keeps it. Rank tiers of one 优秀 per class give the same."""
    _, _, ev = run(notice(grading={"quotas": [{"grade": "优秀", "max_count": 1}]}), ROWS)
    assert ev.grade_labels() == ["良好", "优秀", "良好", "良好", "良好", "优秀"]
    tiers = [{"grade": label("优秀"), "count": 1}, {"grade": label("良好")}]
    _, _, ev = run(notice(grading={"bands": None, "rank_tiers": tiers}), ROWS)
    assert ev.grade_labels() == ["良好", "优秀", "良好", "良好", "良好", "优秀"]


def test_points_bands_of_one_class_are_scaled_for_the_others():
    """Bands written in a street's points (90/80/70 of 100) with points_of: 街道 read, for a town out of 120,
    as the same share: 108/96/84. T1's 109 ≥ 108 → 优秀, T2's 102 < 108 → 良好; the trace shows 108 points."""
    _, _, ev = run(notice(grading={"basis": "points", "points_of": "街道"}), ROWS)
    assert ev.grade_labels() == ["优秀", "优秀", "良好", "优秀", "良好", "优秀"]
    assert ev.cutoffs_of(3).tolist() == pytest.approx([108, 96, 84])
    zh = str(perfsim.explain(ev, "T2", lang="zh"))
    assert "良好：≥ 96 分，< 108 分" in zh
    assert "分数线按街道满分 100 分写出，按本类满分 120 分等比例折算" in zh
    assert "折算" not in str(perfsim.explain(ev, "S1", lang="zh"))


def test_reach_searches_cutoffs_on_each_units_own_percent():
    """At most half 优秀 (3 of 6), moving 优秀's cut-off least: the percents are 93, 100, 82, 90.83, 85, 100,
    so 优秀 starts just above T1's 90.83 % (109 of 120). Searched on points out of one 100, T1's 109 would
    look like 109 % and the search would move the cut-off past S1's 93 instead."""
    from perfsim.analysis import reach

    compiled, data, _ = run(notice(), ROWS)
    got = reach(compiled, data, ["优秀<=50%"], ["cutoff:优秀"])
    assert got.method == "exact" and got.feasible
    assert 109 / 120 * 100 < got.values["cutoff:优秀"] <= 90.84
    ev = perfsim.evaluate(compiled, data, got.values)
    assert ev.grade_labels() == ["优秀", "优秀", "良好", "良好", "良好", "优秀"]


# --------------------------------------------------------------------------- what the scheme must say


def scheme_error(**fields) -> str:
    with pytest.raises(SchemeError) as info:
        notice(**fields)
    return str(info.value)


def test_classes_of_different_full_marks_must_be_ranked_apart():
    """Decision: a rank across classes of different full marks compares totals out of different full marks,
    so the scheme must say group_by (class, or an attribute whose groups hold one class each)."""
    text = scheme_error(grading={"group_by": None})
    assert "grading.group_by" in text and "街道 100, 乡镇 120" in text
    assert "state group_by: class" in text


def test_points_bands_must_say_which_class_they_mean():
    text = scheme_error(grading={"basis": "points"})
    assert "grading.basis" in text and "different share of each" in text
    assert "basis: percent" in text and "points_of" in text
    unknown = scheme_error(grading={"basis": "points", "points_of": "乡"})
    assert "grading.points_of" in unknown and "unknown class '乡'" in unknown and "did you mean '乡镇'?" in unknown
    assert "drop points_of, or state basis: points" in scheme_error(grading={"points_of": "街道"})


def test_a_tree_that_adds_up_to_another_total_is_refused_with_both_fixes():
    """乡镇's top-level points add up to 120 without a class total: the hint offers the class's own full mark;
    with total: 120 and points adding up to 110, the message names the class's full mark."""
    text = scheme_error(unit_classes=classes(town_total=None))
    assert "class '乡镇' top-level indicators points sum to 120, not 100 (the scheme total)" in text
    assert "give the class its own full mark (total: 120)" in text
    short = classes()
    short[1]["indicators"][2]["points"] = 10
    text = scheme_error(unit_classes=short)
    assert "sum to 110, not 120 (the full mark of class '乡镇')" in text


def test_a_group_attribute_that_mixes_full_marks_is_refused_when_the_data_are_read(tmp_path: Path):
    """group_by an attribute: a group holding a street and a town is a data error naming the group; groups
    that keep the classes apart rank as class groups would."""
    scheme = notice(grading={"group_by": "片区"}, attributes=[{"id": "片区", "name": label("片区"), "kind": "text"}])
    rows = [{**r, "片区": "东" if r["unit"] in ("S1", "T1") else r["class"]} for r in ROWS]
    with pytest.raises(DataError, match="group '东' \\(片区\\) mixes classes scored out of different full marks"):
        run(scheme, rows)
    apart = [{**r, "片区": r["class"]} for r in ROWS]
    _, _, ev = run(scheme, apart)
    assert ev.rank[0].tolist() == [2, 1, 3, 2, 3, 1]


def test_a_roll_up_never_mixes_full_marks():
    """A town scored as the mean of its members: members out of 100 and 120 cannot be averaged, and parents
    of different full marks are ranked only within a roll-up group that keeps them apart."""
    from perfsim.units_of_units import roll_up

    attrs = [{"id": "镇", "name": label("所属"), "kind": "text"}, {"id": "类", "name": label("类"), "kind": "text"}]
    rule = {"name": label("上级"), "attribute": "镇"}
    mixed = [{**r, "镇": "甲" if r["unit"] in ("S1", "T1") else r["unit"], "类": r["class"]} for r in ROWS]
    ev = run(notice(attributes=attrs, roll_up=rule), mixed)[2]
    with pytest.raises(DataError, match="members of '甲' are scored out of different full marks \\(100 and 120\\)"):
        roll_up(ev)
    apart = [{**r, "镇": r["class"] + "片", "类": r["class"]} for r in ROWS]
    ev = run(notice(attributes=attrs, roll_up=rule), apart)[2]
    with pytest.raises(DataError, match="parents of different full marks \\(100, 120\\) would be ranked together"):
        roll_up(ev)
    ev = run(notice(attributes=attrs, roll_up={**rule, "group_by": "类"}), apart)[2]
    parents = roll_up(ev).frame().set_index("parent")
    assert parents["score"].to_dict() == pytest.approx({"街道片": (93 + 100 + 82) / 3, "乡镇片": (109 + 102 + 120) / 3})
    assert parents["rank"].to_dict() == {"街道片": 1, "乡镇片": 1}


def test_equal_class_totals_need_no_grouping_and_change_nothing():
    """A class total equal to the scheme's is today's scheme: same totals, grades and ranks, ranked together."""
    same = classes(town_total=100)
    same[1]["indicators"] = [leaf("work", 60), leaf("party", 40)]
    plain = classes(town_total=None)
    plain[1]["indicators"] = [leaf("work", 60), leaf("party", 40)]
    rows = [{k: v for k, v in r.items() if k != "farm"} for r in ROWS]
    a = run(notice(unit_classes=same, grading={"group_by": None}), rows)[2]
    b = run(notice(unit_classes=plain, grading={"group_by": None}), rows)[2]
    assert np.array_equal(a.total, b.total) and np.array_equal(a.grade, b.grade) and np.array_equal(a.rank, b.rank)
    assert a.unit_cutoffs is None


def test_lint_reads_each_class_against_its_own_full_mark():
    """A numeric clamp.max of 100 keeps a town out of 120 below its full mark; a template's first-level
    weights are % of each class's own full mark (重点工作 60 of 120 = 50 %)."""
    findings = perfsim.lint(notice(clamp={"min": 0, "max": 100}))
    assert any(f.field == "clamp.max" and "'乡镇' below its full mark 120" in f.message for f in findings)
    template = {"weights": {"work": 60}, "severity": "warning"}
    messages = [f.message for f in perfsim.lint(notice(template=template))]
    assert messages == [
        "first-level indicator 'work' has 50% of the total in class '乡镇'; the template prescribes 60%"
    ]


def test_lint_warns_where_money_reads_points_across_full_marks():
    """A low score of 60 points is 60 % of a street's full mark and 50 % of a town's: lint says so, unless
    monitoring watches one class only."""
    attrs = [{"id": "budget", "name": label("预算")}, {"id": "spend", "name": label("支出进度")}]
    monitoring = {"spending_progress": "spend", "low_score_below": 60}
    rules = {"budget": {"amount": "budget", "monitoring": monitoring}}
    field = "consequences.budget.monitoring.low_score_below"
    findings = [f for f in perfsim.lint(notice(attributes=attrs, consequences=rules)) if f.field == field]
    assert len(findings) == 1 and "different full marks (街道 100, 乡镇 120)" in findings[0].message
    one_class = {"budget": {"amount": "budget", "monitoring": {**monitoring, "classes": ["乡镇"]}}}
    assert not [f for f in perfsim.lint(notice(attributes=attrs, consequences=one_class)) if f.field == field]


def test_unreachable_band_is_named_per_class():
    """Without a clamp a street reaches at most 100 + 5 bonus = 105 of 100 = 105 %, a town 120 + 5 = 125 of
    120 = 104.167 %: a 110 % band is out of reach for both, and each class is named."""
    bands = [{"grade": label("特优"), "min": 110}, *BANDS_90_80_70]
    findings = perfsim.lint(notice(clamp={"min": 0, "max": None}, grading={"bands": bands}))
    fields = [f.message for f in findings if f.field == "grading.bands[0].min"]
    assert len(fields) == 2
    assert "class '街道' can reach is 105" in fields[0] and "class '乡镇' can reach is 104.167" in fields[1]


# --------------------------------------------------------------------------- Excel and the command line


def test_export_and_import_keep_each_class_total(tmp_path: Path):
    scheme = notice()
    back = import_table(export_table(scheme, tmp_path / "t.xlsx"))
    assert back.warnings == []
    assert back.scheme.model_dump() == scheme.model_dump()


def test_a_hand_made_table_with_sheets_of_different_sums_gets_class_totals(tmp_path: Path):
    """Two sheets, 街道 adding up to 100 and 乡镇 to 120 (an extra 乡村振兴 20): each class gets its own full
    mark and is ranked on its own; the warning says so."""
    book = openpyxl.Workbook()
    for title, rows in (
        ("街道", [["重点工作", "60分"], ["党建", "40分"]]),
        ("乡镇", [["重点工作", "60分"], ["党建", "40分"], ["乡村振兴", "20分"]]),
    ):
        ws = book.create_sheet(title)
        ws.append(["一级指标", "分值"])
        for row in rows:
            ws.append(row)
    del book["Sheet"]
    book.save(tmp_path / "hand.xlsx")
    result = import_table(tmp_path / "hand.xlsx")
    assert result.scheme.full_marks == {"街道": 100, "乡镇": 120}
    assert result.scheme.grading.group_by == "class"
    assert any("街道 100, 乡镇 120" in w for w in result.warnings)


def test_cli_evaluates_and_explains_and_refuses_a_mixed_ranking(tmp_path: Path, capsys):
    scheme = notice().model_dump(mode="json", exclude_unset=True)
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scheme, allow_unicode=True), encoding="utf-8")
    pd.DataFrame(ROWS).to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "r.csv"
    assert main(["evaluate", str(tmp_path / "s.yaml"), str(tmp_path / "d.csv"), "-o", str(out)]) == 0
    frame = pd.read_csv(out).set_index("unit")
    assert frame.loc["T2", "percent"] == pytest.approx(85) and frame.loc["T2", "grade"] == "良好"
    assert main(["explain", str(tmp_path / "s.yaml"), str(tmp_path / "d.csv"), "T1", "--lang", "zh"]) == 0
    assert "满分 120 分" in capsys.readouterr().out
    scheme["grading"].pop("group_by")
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(scheme, allow_unicode=True), encoding="utf-8")
    assert main(["evaluate", str(tmp_path / "bad.yaml"), str(tmp_path / "d.csv")]) == 2
    assert "group_by: class" in capsys.readouterr().err


# --------------------------------------------------------------------------- the invariant


MARKS = st.lists(
    st.tuples(st.integers(0, 20), st.integers(0, 20), st.integers(0, 20)).map(lambda t: [5 * v for v in t]),
    min_size=2,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(
    marks=MARKS,
    k=st.sampled_from([0.5, 0.8, 1.2, 1.5, 2.0, 3.0, 7.0, 10.0]),
    basis=st.sampled_from(["percent", "points"]),
)
def test_scaling_a_class_full_mark_and_points_keeps_percent_grades_and_ranks(marks, k, basis):
    """Multiplying the towns' full mark and every town point by k leaves each unit's percent total, grade
    (bands, then a 40 % quota of 优秀 per class) and place in its group unchanged (points bands read as
    the street's, points_of: 街道)."""
    rows = []
    for i, (w, p, f) in enumerate(marks):
        rows.append({"unit": f"S{i}", "class": "街道", "work": w, "party": p})
        rows.append({"unit": f"T{i}", "class": "乡镇", "work": w, "party": p, "farm": f})
    extra = {"points_of": "街道"} if basis == "points" else {}
    quota = [{"grade": "优秀", "max_share": 0.4}]  # places counted per class, by rank: unchanged as well
    grading = {"basis": basis, "bands": BANDS_90_80_70, "group_by": "class", "quotas": quota, **extra}
    results = []
    for scale in (1.0, k):
        scheme = make_scheme(None, unit_classes=classes(town_scale=scale), grading=grading)
        ev = run(scheme, rows)[2]
        results.append((ev.percent()[0], ev.grade[0], ev.rank[0]))
    (p0, g0, r0), (p1, g1, r1) = results
    np.testing.assert_allclose(p1, p0, rtol=1e-12, atol=1e-9)
    assert np.array_equal(g1, g0)
    assert np.array_equal(r1, r0)
