"""Linter warnings, scheme consistency errors and the safety of loading files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import perfsim

from conftest import QITAI_SCHEME, label, leaf, make_scheme

PACKAGE = Path(perfsim.__file__).parent


def bands_80_89(rounding: int | None):
    bands = [
        {"grade": label("优秀"), "min": 90},
        {"grade": label("良好"), "min": 80, "max": 89},
        {"grade": label("合格"), "min": 70, "max": 79},
        {"grade": label("不合格")},
    ]
    return make_scheme([leaf("a", 100)], grading={"bands": bands}, rounding={"total": rounding})


def test_literal_80_89_reading_is_an_error_without_rounding():
    with pytest.raises(perfsim.SchemeError, match="gap between bands"):
        bands_80_89(2)


def test_literal_80_89_reading_with_whole_point_rounding_is_flagged():
    findings = perfsim.lint(bands_80_89(0))
    assert any("gap between 89 and 90" in f.message for f in findings)


def test_unreachable_grade_is_flagged():
    scheme = make_scheme([leaf("a", 100)], clamp={"min": 0, "max": 85})
    assert any("优秀" in f.message and "no unit can reach" in f.message for f in perfsim.lint(scheme))


def test_literal_period_shares_are_flagged():
    scheme = make_scheme(
        [{**leaf("key", 100), "periods": {"H1": 30, "Y": 60}, "period_shares": "literal"}],
        periods=[{"id": "H1", "name": label("半年")}, {"id": "Y", "name": label("年底")}],
    )
    assert any("add up to 90%" in f.message for f in perfsim.lint(scheme))


def test_non_monotone_conversion_is_flagged():
    scheme = make_scheme(
        [
            {
                "id": "s",
                "name": label("s"),
                "points": 100,
                "convert": {"bands": [{"min": 90, "points": 80}, {"min": 80, "points": 90}, {"points": 0}]},
                "children": [leaf("x", 100)],
            }
        ]
    )
    assert any("non-monotone" in f.message for f in perfsim.lint(scheme))


def test_shipped_scenario_lints_clean():
    assert perfsim.lint(perfsim.load_scheme(QITAI_SCHEME)) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"total": 99}, "sum to 100, not 99"),
        (
            {
                "grading": {
                    "bands": [
                        {"grade": label("优"), "min": 80},
                        {"grade": label("良"), "min": 85},
                        {"grade": label("差")},
                    ]
                }
            },
            "cut-offs out of order",
        ),
        (
            {"grading": {"bands": [{"grade": label("优"), "min": 80}, {"grade": label("差"), "max": 85}]}},
            "bands overlap",
        ),
        (
            {"grading": {"bands": [{"grade": label("优"), "min": 80}, {"grade": label("差"), "min": 10}]}},
            "would get no grade",
        ),
    ],
)
def test_consistency_errors_name_the_field(change, message):
    with pytest.raises(perfsim.SchemeError, match=message):
        make_scheme([leaf("a", 60), leaf("b", 40)], **change)


def test_python_object_tag_is_refused_and_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f'perfsim_scheme: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    with pytest.raises(perfsim.PerfsimError, match="unsupported YAML tag"):
        perfsim.load_scheme(path)
    assert not marker.exists()


def test_package_never_evaluates_or_shells_out():
    pattern = re.compile(r"\b(eval|exec)\(|os\.system|subprocess|shell=True|yaml\.load\(|unsafe_load|pickle")
    offenders = [
        f"{p.name}:{i}"
        for p in PACKAGE.glob("*.py")
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
