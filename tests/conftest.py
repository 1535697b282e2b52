"""Shared helpers: build small schemes and data in memory."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import perfsim
from perfsim.compile import CompiledScheme

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
QITAI_SCHEME = SCENARIOS / "schemes" / "qitai-county.yaml"
QITAI_DATA = SCENARIOS / "data" / "qitai-county.csv"


def label(zh: str, en: str | None = None) -> dict[str, str]:
    return {"zh": zh, "en": en or zh}


def leaf(id: str, points: float, method: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": id, "name": label(id), "points": points, "method": method or {"method": "score"}, **extra}


BANDS_90_80_70 = [
    {"grade": label("优秀", "excellent"), "min": 90},
    {"grade": label("良好", "good"), "min": 80},
    {"grade": label("合格", "pass"), "min": 70},
    {"grade": label("不合格", "fail")},
]


def make_scheme(indicators: list[dict[str, Any]] | None = None, **fields: Any) -> perfsim.Scheme:
    """A scheme from plain data, with defaults: total 100, bands 90/80/70 on percent."""
    data: dict[str, Any] = {
        "perfsim_scheme": 1,
        "id": "t",
        "version": "1",
        "name": label("测试", "test"),
        "total": 100,
        "grading": {"basis": "percent", "bands": BANDS_90_80_70},
    }
    if indicators is not None:
        data["indicators"] = indicators
    data.update(fields)
    return perfsim.scheme_from_data(yaml.safe_load(yaml.safe_dump(data, allow_unicode=True)))


def run(
    scheme: perfsim.Scheme, rows: list[dict[str, Any]], params: dict[str, Any] | None = None, **kwargs: Any
) -> tuple[CompiledScheme, perfsim.UnitData, perfsim.Evaluation]:
    compiled = perfsim.compile_scheme(scheme)
    data = perfsim.load_units(pd.DataFrame(rows), compiled)
    return compiled, data, perfsim.evaluate(compiled, data, params, detail=True, **kwargs)


@pytest.fixture(scope="session")
def qitai() -> tuple[CompiledScheme, perfsim.UnitData]:
    compiled = perfsim.compile_scheme(perfsim.load_scheme(QITAI_SCHEME))
    return compiled, perfsim.load_units(QITAI_DATA, compiled)


def cents(yuan: float) -> int:
    """Yuan → whole cents, half-up, in exact decimal arithmetic (an oracle independent of perfsim.money)."""
    return int(Decimal(repr(float(yuan) * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def d(x: float) -> Decimal:
    """A data cell as the decimal written in the CSV file."""
    return Decimal(repr(float(x)))
