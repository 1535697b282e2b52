"""Scheme explorer (issues 6 and 12): the model and its widgets, in-process, without a browser."""

from __future__ import annotations

import html
import re

import ipywidgets
import numpy as np
import pandas as pd
import pytest
import yaml

import perfsim
from perfsim.analysis import tiers
from perfsim.cli import main
from perfsim.explorer import Explorer, NameTaken, scheme_with
from perfsim.labels import cjk_characters
from perfsim.scenario import load_scenario

from conftest import SCENARIOS


@pytest.fixture
def scenario():
    return load_scenario(SCENARIOS / "qitai-county.yaml")


def test_moving_a_weight_keeps_its_tier_sum_at_the_schemes_precision(scenario):
    ex = Explorer(scenario)
    changed = ex.set("points:department/public", 20)
    assert changed["points:department/key"] == pytest.approx(80)
    ex.set("points:department/centralised", 70)
    ex.set("points:department/tracking", 100 / 3)  # siblings of a third: rounded, the largest takes the rest
    for tier in tiers(scenario.compiled):
        now = [ex.moved.get(p, n) for p, n in zip(tier.params, tier.nominal)]
        assert sum(now) == pytest.approx(tier.total, abs=1e-9)
    assert all(round(v, 2) == v for v in ex.current().values())  # rounding.total is 2: no float noise


def test_view_recomputes_counts_cost_changed_units_and_chart(scenario):
    ex = Explorer(scenario)
    before = ex.view()
    assert list(before.counts["now"]) == list(before.counts["baseline"]) and not before.counts["change"].any()
    assert not before.table["changed"].any() and before.changed.empty
    ex.set("cutoff:优秀", 85)
    after = ex.view()
    direct = perfsim.evaluate(scenario.compiled, scenario.data, {"cutoff:优秀": 85.0})
    assert list(after.counts["now"]) == [(direct.grade[0] == g).sum() for g in range(4)]
    assert after.counts["change"].iloc[0] == after.counts["now"].iloc[0] - after.counts["baseline"].iloc[0] > 0
    assert set(after.table.loc[after.table["changed"], "grade"]) == {"优秀"}
    # the notes' cost line: qitai's bonus months are performance pay, net in 万元 with its share
    (pay,) = after.cost_lines
    assert pay["label"] == "绩效工资净变动" and pay["value"].endswith("万元") and pay["fen"] > 0 and "%" in pay["share"]
    assert list(after.changed.columns) == ["unit id", "单位", "名称", "总分", "等次", "工资差额（万元）"]
    first = after.changed.iloc[0]
    assert first["名称"] == scenario.data.names[scenario.data.units.index(first["unit id"])]
    assert first["等次"] == "良好 → 优秀" and first["工资差额（万元）"].startswith("+")
    rows = next(iter(after.chart_spec["datasets"].values()))
    assert {r["grade"]: r["units"] for r in rows if r["scheme"] == "调整后"}["优秀"] == after.counts["now"].iloc[0]


def test_every_lever_reads_as_an_indicator_with_its_unit_grouped_by_tier(scenario):
    ex = Explorer(scenario)
    groups = ex.groups()
    assert groups[0].title == "等次分数线" and [lv.label for lv in groups[0].levers] == [
        "优秀 分数线",
        "良好 分数线",
        "合格 分数线",
    ]
    levers = [lv for g in groups for lv in g.levers]
    assert len(levers) == len(ex.parameters)
    assert all(":" not in lv.label and lv.unit for lv in levers)  # words and a unit, never an id
    tier = next(g for g in groups if g.title == "县直部门 · 集中考核")
    assert tier.linked and tier.note == "合计 80 分" and all(lv.linked for lv in tier.levers)
    assert [lv.label for lv in tier.levers] == ["年度全局性重点工作 分值", "年度目标任务 分值", "机关作风效能建设 分值"]
    featured = [g.title for g in groups if g.featured]
    assert "县直部门 · 总分" in featured and "县直部门 · 集中考核" not in featured
    ex.lang = "en"
    english = [lv.label for g in ex.groups() for lv in g.levers] + [g.title for g in ex.groups()]
    assert "cut-off for excellent" in english and not cjk_characters(" ".join(english))


def test_english_view_has_no_chinese_but_the_units_names(scenario):
    ex = Explorer(scenario, lang="en")
    ex.set("cutoff:优秀", 85)
    view = ex.view()
    assert list(view.changed.columns)[1:] == ["Unit", "Name", "Total", "Grade", "Pay difference (CNY 10k)"]
    shown = " ".join([*view.counts["grade"], *(line["label"] + line["value"] for line in view.cost_lines), view.moves])
    assert not cjk_characters(shown) and "CNY 10k" in shown
    assert not cjk_characters(" ".join(view.changed["Grade"]))


def test_crossed_cut_offs_are_refused_and_nothing_changes(scenario):
    ex = Explorer(scenario)
    ex.set("cutoff:优秀", 85)
    shown = ex.view()
    with pytest.raises(perfsim.ParameterError, match="良好 分数线须低于优秀 分数线（85 分）"):
        ex.set("cutoff:良好", 85)
    assert ex.values["cutoff:良好"] == 80 and ex.current() == {"cutoff:优秀": 85}
    assert ex.view().counts.equals(shown.counts)
    hospital = Explorer(load_scenario(SCENARIOS / "hospital-departments.yaml"), lang="en")
    with pytest.raises(perfsim.ParameterError, match="must stay below the cut-off for"):
        hospital.set("cutoff:良好", 92)  # within the lever's range, above 优秀's 90
    hospital.set("cutoff:合格", 70)
    with pytest.raises(perfsim.ParameterError, match="must stay above the cut-off for pass"):
        hospital.set("cutoff:良好", 65)


def test_invalid_combinations_are_refused_in_words():
    ex = Explorer(load_scenario(SCENARIOS / "transport-bureau.yaml"))
    ex.set("quota:达标", 0.65)
    with pytest.raises(perfsim.ParameterError, match="这组取值不构成有效方案"):
        ex.set("quota:优胜", 0.3)  # 10 % + 30 % + 65 % of a group is more than all of it
    assert ex.current() == {"quota:达标": 0.65}


def test_out_of_range_and_unknown_levers_are_refused(scenario):
    ex = Explorer(scenario)
    with pytest.raises(perfsim.ParameterError, match="须在 85 分 至 95 分 之间"):
        ex.set("cutoff:优秀", 120)
    with pytest.raises(perfsim.ParameterError, match="没有参数"):
        ex.set("points:nowhere", 1)


def test_save_writes_a_scenario_that_perfsim_evaluate_reproduces(scenario, tmp_path, capsys):
    ex = Explorer(scenario)
    ex.set("points:department/public", 14.999999999999998)
    ex.set("cutoff:合格", 72)
    ex.set("points:township/tracking", 100 / 3)
    view = ex.view()
    path = ex.save(tmp_path, "variant", {"zh": "提高合格线", "en": ""})
    saved = load_scenario(path)
    ev = perfsim.evaluate(saved.compiled, saved.data)
    assert np.array_equal(ev.total[0], view.evaluation.total[0])
    assert np.array_equal(ev.grade[0], view.evaluation.grade[0])
    assert main(["evaluate", str(path), "-o", str(tmp_path / "out.csv")]) == 0
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out["total"]) == list(view.table["total"]) and list(out["grade"]) == list(view.table["grade"])
    assert saved.scheme.grading.bands[2].min == 72
    text = path.read_text(encoding="utf-8")
    assert "14.999999" not in text and "33.333" not in text
    spec = yaml.safe_load(text)
    assert spec["description"]["zh"] == "提高合格线"  # as given; the missing English says what changed
    assert "changed in the explorer: " in spec["description"]["en"]
    assert "cut-off for pass 70 → 72 points" in spec["description"]["en"]
    changes = {d["source"]: d for d in spec["defaults"] if "=" in str(d.get("source", ""))}
    assert changes["cutoff:合格=72"]["choice"] == {"zh": "72 分（原为 70 分）", "en": "72 points (was 70 points)"}
    assert changes["cutoff:合格=72"]["item"] == {"zh": "合格 分数线", "en": "cut-off for pass"}
    assert "points:department/public=15" in changes and "points:township/tracking=33.33" in changes
    assert spec["name"]["zh"].endswith("（variant）") and spec["scheme"] == "schemes/variant.yaml"


BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_scenario_reads_in_words_and_saves_what_it_shows(path, tmp_path):
    ex = Explorer(load_scenario(path))
    levers = [lv for g in ex.groups() for lv in g.levers]
    assert levers and all(":" not in lv.label and lv.unit for lv in levers)
    for lv in levers:  # the first lever that takes a value 30 % into its range
        try:
            ex.set(lv.name, (lv.low + 0.3 * (lv.high - lv.low)) / lv.scale)
            break
        except perfsim.ParameterError:
            continue
    assert ex.current()
    view = ex.view()
    saved = load_scenario(ex.save(tmp_path, "variant"))
    ev = perfsim.evaluate(saved.compiled, saved.data)
    assert np.array_equal(ev.total[0], view.evaluation.total[0]) and np.array_equal(
        ev.grade[0], view.evaluation.grade[0]
    )


def test_save_names_are_checked_and_overwriting_is_asked(scenario, tmp_path):
    ex = Explorer(scenario)
    ex.set("cutoff:优秀", 88)
    for bad in ("", "  ", "../up", "a b", "x" * 65):
        with pytest.raises(perfsim.ParameterError, match="方案名称"):
            ex.save(tmp_path, bad)
    first = ex.save(tmp_path, "方案-1")
    with pytest.raises(NameTaken, match="已有名为“方案-1”的方案"):
        ex.save(tmp_path, "方案-1")
    ex.set("cutoff:优秀", 87)
    assert ex.save(tmp_path, "方案-1", overwrite=True) == first
    assert load_scenario(first).scheme.grading.bands[0].min == 87
    (tmp_path / "hand-made.yaml").write_text("perfsim_scenario: 1\n", encoding="utf-8")
    with pytest.raises(perfsim.ParameterError, match="不是探索器保存的方案"):
        ex.save(tmp_path, "hand-made", overwrite=True)
    reopened = Explorer(load_scenario(first))
    with pytest.raises(perfsim.ParameterError, match="当前打开的方案"):
        reopened.save(tmp_path, "方案-1", overwrite=True)


def test_scheme_with_moves_a_section_and_keeps_scale(scenario):
    moved = scheme_with(scenario.scheme, {"points:department/key": 80, "points:department/public": 20})
    compiled = perfsim.compile_scheme(moved)
    direct = perfsim.evaluate(
        scenario.compiled, scenario.data, {"points:department/key": 80.0, "points:department/public": 20.0}
    )
    assert np.array_equal(perfsim.evaluate(compiled, scenario.data).total, direct.total)


def test_trace_of_a_unit_in_the_explorers_language(scenario):
    ex = Explorer(scenario, lang="en")
    ex.set("cutoff:优秀", 85)
    text = ex.trace("U005")
    assert "U005" in text and "excellent" in text and not cjk_characters(text.replace("乡镇05", ""))


def test_cost_line_for_budget_rules_after_a_cut_off_change():
    ex = Explorer(load_scenario(SCENARIOS / "budget-lifecycle.yaml"))
    assert ex.view().cost_lines[1]["fen"] == 0  # nothing moved yet
    ex.set("cutoff:良", 84)
    net, gross, *_ = ex.view().cost_lines
    assert net["label"] == "下年预算净变动" and gross["gross"]
    assert gross["fen"] > 0  # a zero-sum pool: the net may be 0, the money moved between units is not


# ---------------------------------------------------------------- the widgets, in-process


def test_widget_levers_drive_the_explorer_and_show_errors_inline(scenario, tmp_path):
    from perfsim.widgets import ExplorerWidget

    widget = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS])
    first = widget.counts.value
    widget.sliders["points:department/public"].value = 20.0
    assert widget.sliders["points:department/key"].value == pytest.approx(80.0)  # linked slider moved
    widget.sliders["cutoff:优秀"].value = 85.0
    assert widget.counts.value != first and "万元" in widget.money.value
    assert widget.view.counts["now"].iloc[0] == (widget.view.evaluation.grade[0] == 0).sum()
    assert widget.table.rows and widget.table.headers[0] == "单位"
    shown = widget.counts.value
    widget.sliders["cutoff:良好"].value = 85.0  # crosses 优秀
    assert "须低于" in widget.warnings["cutoff:良好"].value
    assert widget.sliders["cutoff:良好"].value == 80.0 and widget.counts.value == shown
    widget.name.value = "bad name"
    widget.save_button.click()
    assert "方案名称" in widget.save_error.value and widget.status.value == ""
    widget.name.value = "from-widget"
    assert widget.save_error.value == ""
    widget.save_button.click()
    assert (tmp_path / "from-widget.yaml").exists() and "已保存" in widget.status.value
    widget.save_button.click()
    assert widget.confirm.layout.display == "flex" and "覆盖" in widget.confirm_text.value
    assert widget.status.value == ""
    widget.overwrite_button.click()
    assert "已保存" in widget.status.value and widget.confirm.layout.display == "none"
    saved = next(path for _, path in widget.scenario_pick.options if "from-widget" in path)
    widget.scenario_pick.value = saved
    assert widget.explorer.scenario.spec.id == "from-widget" and widget.explorer.current() == {}
    assert widget.sliders["cutoff:优秀"].value == 85.0  # the saved scheme is the new baseline
    widget.scenario_pick.value = str(SCENARIOS / "qitai-county.yaml")
    widget.show_trace("U005")
    assert widget.side.layout.display == "flex" and "U005" in widget.trace_text.value
    widget.reset_button.click()
    assert widget.sliders["cutoff:优秀"].value == 90.0 and widget.explorer.current() == {}


def test_widget_switches_language_and_scenario(scenario, tmp_path):
    from perfsim.widgets import ExplorerWidget

    widget = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS])
    widget.sliders["cutoff:优秀"].value = 85.0
    widget.language.value = "en"
    assert widget.sliders["cutoff:优秀"].value == 85.0  # the settings survive the switch
    assert "CNY 10k" in widget.money.value and "excellent" in widget.counts.value
    assert not cjk_characters(widget.table.headers[-1] + widget.save_button.description)
    lifecycle = str(SCENARIOS / "budget-lifecycle.yaml")
    widget.scenario_pick.value = lifecycle
    assert widget.explorer.scenario.spec.id == "budget-lifecycle" and "cutoff:良" in widget.sliders
    assert widget.lang == "en" and "Net change in next year&#x27;s budgets" in widget.money.value


def test_widget_shows_hostile_labels_as_text(tmp_path):
    from perfsim.widgets import ExplorerWidget

    payload = "<img src=x onerror=alert(1)>"
    (tmp_path / "schemes").mkdir()
    (tmp_path / "data").mkdir()
    scheme = (SCENARIOS / "schemes" / "qitai-county.yaml").read_text(encoding="utf-8")
    (tmp_path / "schemes" / "qitai-county.yaml").write_text(scheme.replace("优秀", f"优秀{payload}"), encoding="utf-8")
    data = (SCENARIOS / "data" / "qitai-county.csv").read_text(encoding="utf-8")
    (tmp_path / "data" / "qitai-county.csv").write_text(data.replace("乡镇05", f"乡镇05{payload}"), encoding="utf-8")
    spec = yaml.safe_load(
        (SCENARIOS / "qitai-county.yaml").read_text(encoding="utf-8").replace("优秀", f"优秀{payload}")
    )
    spec["name"]["zh"] = payload + spec["name"]["zh"]
    (tmp_path / "qitai-county.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    widget = ExplorerWidget(load_scenario(tmp_path / "qitai-county.yaml"), chart_mode="svg", save_folder=tmp_path)
    widget.sliders[f"cutoff:优秀{payload}"].value = 85.0
    widget.show_trace("U005")
    shown = [v.value for v in vars(widget).values() if isinstance(v, ipywidgets.HTML)]
    shown += [s.description for s in widget.sliders.values()] + [widget.root.children[1].children[0].value]
    assert any("&lt;img" in text for text in shown) and not any("<img" in text for text in shown)
    assert any(payload in row for row in (" ".join(r) for r in widget.table.rows))  # text cells, set as text


def test_widget_reach_panel_speaks_the_explorers_language(scenario, tmp_path):
    from perfsim.widgets import ExplorerWidget

    zh = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS])
    assert "优秀<=20%" in zh.reach_targets.placeholder and zh.reach_targets.value.startswith("优秀<=")
    en = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS], lang="en")
    shown = " ".join([en.reach_targets.placeholder, en.reach_targets.value, en.reach_levers.placeholder])
    assert not cjk_characters(shown) and "excellent<=20%" in en.reach_targets.placeholder
    assert en.reach_targets.value.startswith("excellent<=")  # the suggested targets, with the grades in English
    en.language.value = "zh"
    assert zh.reach_targets.placeholder == en.reach_targets.placeholder


def test_widget_reach_moves_the_levers_and_clears_stale_warnings(scenario, tmp_path):
    from perfsim.widgets import ExplorerWidget

    widget = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS])
    widget.sliders["cutoff:优秀"].value = 85.0
    widget.sliders["cutoff:良好"].value = 85.0  # meets 优秀: refused, warned under the lever
    assert "须低于" in widget.warnings["cutoff:良好"].value
    widget.reach_targets.value = "优秀<=10%"
    widget.reach_levers.value = "cutoff:优秀"
    widget.reach_button.click()
    assert "perfsim-ok" in widget.reach_out.value and widget.sliders["cutoff:优秀"].value > 90
    assert widget.warnings["cutoff:良好"].value == ""
    graded = widget.view.counts["now"].sum()
    assert widget.view.counts["now"].iloc[0] <= 0.10 * graded
    widget.reach_targets.value = "卓越<=10%"  # no such grade: the reader's own message, next to the button
    widget.reach_button.click()
    assert "perfsim-error" in widget.reach_out.value and "卓越" in widget.reach_out.value
    assert "未指明本方案的等次" in widget.reach_out.value  # in the screen's language


@pytest.mark.parametrize(
    ("targets", "levers"),
    [
        ("优秀<=20x", "分数线:*"),  # unreadable target
        ("卓越<=10%", "分数线:*"),  # no such grade
        ("优秀@火星<=10%", "分数线:*"),  # no such group
        ("优秀<=120%", "分数线:*"),  # share beyond 100 %
        ("优秀<=2.5", "分数线:*"),  # a count that is not whole
        ("预算<=0", "分数线:*"),  # money without budget rules
        ("优秀<=20%", "魔法:*"),  # unknown lever kind
        ("优秀<=20%", "分数线:优秀=95..99"),  # a range leaving out the value as written
        ("优秀<=20%", "分数线:优秀=a..b"),  # unreadable range
        ("优秀<=20%", "分数线:*, cutoff:优秀"),  # the same lever twice, in both languages
    ],
)
def test_reach_errors_on_a_chinese_screen_are_in_chinese(scenario, tmp_path, targets, levers):
    """Whatever a designer mistypes in the reach panel, the Chinese screen answers in Chinese: only the
    designer's own text and the target syntax (%, <=) may be ASCII."""
    from perfsim.widgets import ExplorerWidget

    widget = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS])
    widget.reach_targets.value = targets
    widget.reach_levers.value = levers
    widget.reach_button.click()
    shown = html.unescape(re.sub(r"<[^>]+>", " ", widget.reach_out.value))
    assert "perfsim-error" in widget.reach_out.value and cjk_characters(shown), shown
    for typed in [targets, *levers.split(",")]:
        shown = shown.replace(typed.strip(), " ")
    assert not re.findall(r"[A-Za-z]{2,}", shown), shown


def test_chinese_lever_names_read_as_the_english_ones(scenario):
    from perfsim.analysis.reach_levers import lever_in, parse_levers

    for english in ("cutoff:*", "weights:*", "cutoff:优秀=85..95"):
        chinese = lever_in(english, "zh")
        assert not re.search(r"[A-Za-z]", chinese.split(":")[0]) and lever_in(chinese, "en") == english
        assert parse_levers([chinese], scenario.compiled).blocks == parse_levers([english], scenario.compiled).blocks


def test_widget_shows_a_fault_as_what_could_not_be_done_and_logs_it(scenario, tmp_path, monkeypatch, caplog):
    from perfsim.widgets import ExplorerWidget

    widget = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS])

    def broken(*_args, **_kwargs):
        raise KeyError("internal_column")

    monkeypatch.setattr(widget.explorer, "trace", broken)
    with caplog.at_level("ERROR", logger="perfsim.widgets"):
        widget.show_trace("U005")
    shown = widget.trace_text.value
    assert "无法显示得分溯源" in shown and "日志" in shown
    assert "KeyError" not in shown and "internal_column" not in shown
    (record,) = caplog.records
    assert record.exc_info is not None and "internal_column" in caplog.text  # the detail is in the log

    caplog.clear()
    monkeypatch.setattr(widget.explorer, "view", broken)
    widget.language.value = "en"  # rebuilding redraws the results: the fault shows beside the scenario picker
    assert "could not switch the language" in widget.scenario_error.value
    assert "internal_column" not in widget.scenario_error.value and caplog.records


def test_widget_shows_a_perfsim_error_after_a_move_in_its_own_words(scenario, tmp_path, monkeypatch, caplog):
    from perfsim.widgets import ExplorerWidget

    widget = ExplorerWidget(scenario, chart_mode="svg", save_folder=tmp_path, scenario_folders=[SCENARIOS])

    def refused():
        raise perfsim.DataError("单位 U005 的数据缺少 指标值", field="value", hint="补上该列")

    monkeypatch.setattr(widget.explorer, "view", refused)
    with caplog.at_level("ERROR", logger="perfsim.widgets"):
        widget.sliders["cutoff:优秀"].value = 85.0
    assert "单位 U005 的数据缺少 指标值 (补上该列)" in widget.warnings["cutoff:优秀"].value
    assert not caplog.records  # a user's mistake is said, not logged as a fault

    def broken():
        raise ValueError("operands could not be broadcast")

    monkeypatch.setattr(widget.explorer, "view", broken)
    with caplog.at_level("ERROR", logger="perfsim.widgets"):
        widget.sliders["cutoff:优秀"].value = 86.0
    shown = widget.warnings["cutoff:优秀"].value
    assert "无法重新计算结果" in shown and "broadcast" not in shown and "ValueError" not in shown
    assert "broadcast" in caplog.text
