"""Unit data in every accepted shape gives the same evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import perfsim

from conftest import QITAI_DATA


def evaluate_totals(compiled, source, **kwargs):
    return perfsim.evaluate(compiled, perfsim.load_units(source, compiled, **kwargs)).total[0]


@pytest.fixture(scope="module")
def reference(qitai):
    compiled, data = qitai
    return perfsim.evaluate(compiled, data).total[0]


def test_xlsx_parquet_and_dataframe_match_csv(qitai, reference, tmp_path):
    compiled, _ = qitai
    frame = pd.read_csv(QITAI_DATA)
    frame.to_excel(tmp_path / "u.xlsx", index=False)
    frame.to_parquet(tmp_path / "u.parquet", index=False)
    for source in (tmp_path / "u.xlsx", tmp_path / "u.parquet", frame):
        assert np.array_equal(evaluate_totals(compiled, source), reference)


def test_long_format_matches_wide(qitai, reference, tmp_path):
    compiled, _ = qitai
    wide = pd.read_csv(QITAI_DATA)
    long = wide.melt(id_vars=["unit", "name", "class"], var_name="key", value_name="value").dropna(subset=["value"])
    split = long["key"].str.split("@", expand=True)
    long = long.assign(indicator=split[0], period=split[1].fillna("")).drop(columns="key")
    long = long.sample(frac=1, random_state=1)  # order must not matter
    long.to_csv(tmp_path / "long.csv", index=False)
    data = perfsim.load_units(tmp_path / "long.csv", compiled)
    totals = dict(zip(data.units, perfsim.evaluate(compiled, data).total[0]))
    assert [totals[u] for u in wide["unit"]] == list(reference)


def test_gb18030_csv_with_encoding_option(qitai, reference, tmp_path):
    compiled, _ = qitai
    path = tmp_path / "gbk.csv"
    path.write_bytes(QITAI_DATA.read_text(encoding="utf-8").encode("gb18030"))
    with pytest.raises(perfsim.PerfsimError, match="not valid utf-8"):
        perfsim.load_units(path, compiled)
    assert np.array_equal(evaluate_totals(compiled, path, encoding="gb18030"), reference)


def test_utf8_bom_is_accepted(qitai, reference, tmp_path):
    compiled, _ = qitai
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + QITAI_DATA.read_bytes())
    assert np.array_equal(evaluate_totals(compiled, path), reference)


def test_class_can_be_given_by_chinese_label(qitai, reference):
    compiled, _ = qitai
    frame = pd.read_csv(QITAI_DATA)
    frame["class"] = frame["class"].map({"township": "乡镇", "department": "县直部门"})
    assert np.array_equal(evaluate_totals(compiled, frame), reference)


def test_value_in_another_class_column_is_an_error(qitai):
    compiled, _ = qitai
    frame = pd.read_csv(QITAI_DATA)
    frame.loc[0, "annual_targets@H1"] = 80  # row 0 is a township; annual targets belong to departments
    with pytest.raises(perfsim.DataError, match="has no indicator 'annual_targets@H1'"):
        perfsim.load_units(frame, compiled)
