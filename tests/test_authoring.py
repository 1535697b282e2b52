"""Writing scheme files by hand (issue 14, deliverable 2): every problem of a file in one run, each with
its line, field and fix; hints that list what is valid at that place and only hints that can apply;
no validation-library wording in any message; names as plain Chinese text; missing files reported as
missing.
"""

from __future__ import annotations

import copy
import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import perfsim
from perfsim import scheme as s
from perfsim.batch import SweepFile
from perfsim.cli import main
from perfsim.errors import SchemeError
from perfsim.labels import cjk_characters
from perfsim.models import NO_ENGLISH, Label
from perfsim.scenario import ScenarioFile
from perfsim.scheme.validation import MAX_PROBLEMS, file_keys, problems_from_validation

from conftest import ROOT

CORPUS = ROOT / "tests" / "corpus" / "valid"
LEAKS = (
    "Input should",
    "constrained-",
    "literal[",
    "function-",
    "union_tag",
    "[type=",
    "pydantic",
    "Value error",
    "Field required",
    "Extra inputs",
    "model_type",
    "dict_type",
    "is-instance",
    "tuple[",
    "list[",
    "dict[",
    "validation error",
    "input_value",
    "For further information",
    "Unable to",
    "Assertion failed",
    "float_parsing",
    "None",
)
"""Words of the validation library (or of Python) that must never reach a user."""


def base() -> dict[str, Any]:
    """The bad-input corpus's valid scheme (tests/corpus/valid/scheme.yaml) as data."""
    return yaml.safe_load((CORPUS / "scheme.yaml").read_text(encoding="utf-8"))


def write(tmp_path: Path, text: str, name: str = "scheme.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def problem_lines(err: str) -> list[str]:
    """The problems of a message listing several, each its numbered line and its fix line."""
    blocks: list[str] = []
    for line in err.splitlines():
        if re.match(r"\s+\d+\. ", line):
            blocks.append(line.strip())
        elif blocks and line.strip().startswith("fix: "):
            blocks[-1] += " " + line.strip()
    return blocks


# --------------------------------------------------------------------------- all problems in one run

FIVE_SHAPE_MISTAKES = """\
perfsim_scheme: 1
id: five-mistakes
version: "1"
name: {zh: 五处错误, en: five mistakes}
total: 100
indicators:
  - {id: tasks, name: 重点工作, points: 40, method: {method: score, scael: 100}}
  - {id: service, name: 公共服务, points: 三十, method: {method: score}}
  - {id: conduct, name: 作风建设, points: 30, method: {method: completion_ratio, standard: -3}}
  - {id: other, name: 其他, points: 0, method: {method: completion_rate}}
grading:
  basis: percent
  bands:
    - {grade: 优秀, min: 90}
    - {grade: 良好, min: 80, maxx: 89}
    - {grade: 不合格}
"""
"""Five independent mistakes that validation finds: a misspelt key in a method (line 7), points written
in words (8), a negative standard (9), a misspelt method (10), a misspelt key in a band (15)."""

FIVE_CONSISTENCY_MISTAKES = """\
perfsim_scheme: 1
id: five-mistakes
version: "1"
name: 五处错误
total: 100
indicators:
  - {id: tasks, name: 重点工作, points: 40, method: {method: score}}
  - id: service
    name: 公共服务
    points: 30
    children:
      - {id: s1, name: 子项一, points: 10, method: {method: score}}
      - {id: s2, name: 子项二, points: 15, method: {method: score}}
  - {id: tasks, name: 作风建设, points: 30, method: {method: score}}
vetoes:
  - {id: v1, name: 安全事故, scope: indicator, target: taks}
grading:
  basis: percent
  bands:
    - {grade: 优秀, min: 80}
    - {grade: 良好, min: 90}
    - {grade: 不合格}
  quotas:
    - {grade: 优, max_share: 0.2}
"""
"""Five independent mistakes that only the whole scheme shows: children of 'service' add up to 25, not 30
(line 11); the id 'tasks' twice (14); a veto aimed at 'taks' (16); cut-offs 80 then 90 (21); a quota for
a grade '优' that is not listed (24)."""


FIVE_MIXED_MISTAKES = """\
perfsim_scheme: 1
id: five-mistakes
version: "1"
name: 五处错误
descripton: 试点方案
total: 100
indicators:
  - {id: tasks, name: 重点工作, points: 40, method: {method: score, scael: 100}}
  - id: service
    name: 公共服务
    points: 30
    children:
      - {id: s1, name: 子项一, points: 10, method: {method: score}}
      - {id: s2, name: 子项二, points: 15, method: {method: score}}
  - {id: tasks, name: 作风建设, points: 30, method: {method: score}}
grading:
  basis: percent
  bands:
    - {grade: 优秀, min: 90}
    - {grade: 良好, min: 80, maxx: 89}
    - {grade: 不合格}
"""
"""Both kinds in one file: a misspelt top-level key (line 5), a misspelt key in a method (8), children of
'service' adding up to 25, not 30 (12), the id 'tasks' twice (15), a misspelt key in a band (20)."""


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        (
            FIVE_MIXED_MISTAKES,
            [
                ("descripton (line 5)", "did you mean 'description'?"),
                ("indicators[0].method.scael (line 8)", "did you mean 'scale'?"),
                ("indicators[1].children (line 12)", "points sum to 25, not 30"),
                ("indicators[2].id (line 15)", "'tasks' is used twice"),
                ("grading.bands[1].maxx (line 20)", "did you mean 'max'?"),
            ],
        ),
        (
            FIVE_SHAPE_MISTAKES,
            [
                ("indicators[0].method.scael (line 7)", "did you mean 'scale'?"),
                ("indicators[1].points (line 8)", "expected a number, got '三十'"),
                ("indicators[2].method.standard (line 9)", "a number above 0 or 'per_unit', got -3"),
                ("indicators[3].method.method (line 10)", "did you mean 'completion_ratio'?"),
                ("grading.bands[1].maxx (line 15)", "did you mean 'max'?"),
            ],
        ),
        (
            FIVE_CONSISTENCY_MISTAKES,
            [
                ("indicators[1].children (line 11)", "points sum to 25, not 30"),
                ("indicators[2].id (line 14)", "'tasks' is used twice"),
                ("vetoes[0].target (line 16)", "did you mean 'tasks'?"),
                ("grading.bands[1].min (line 21)", "cut-offs out of order"),
                ("grading.quotas[0].grade (line 24)", "unknown grade '优'"),
            ],
        ),
    ],
    ids=["mixed", "validation", "consistency"],
)
@pytest.mark.parametrize("command", ["lint", "evaluate"])
def test_five_independent_mistakes_are_all_reported_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, fields: list[tuple[str, str]], command: str
) -> None:
    path = write(tmp_path, text)
    argv = [command, str(path)] + ([str(CORPUS / "units.csv")] if command == "evaluate" else [])
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert "Traceback" not in err
    assert f"{path}: 5 problems in this scheme:" in err
    lines = problem_lines(err)
    assert len(lines) == 5, err
    for (field, words), block in zip(fields, lines):  # in file order
        assert block.startswith(f"{len(block) and block.split('.')[0]}. {field}:"), (field, block)
        assert words in block and " fix: " in block, (field, words, block)  # each problem its own fix


def test_a_single_problem_reads_as_before(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base()
    data["indicators"][0]["points"] = 45  # 45 + 30 + 30 = 105
    path = write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    code, _, err = cli(capsys, "lint", str(path))
    assert code == 2
    assert "problems in this scheme" not in err
    assert "indicators" in err and "points sum to 105, not 100" in err and "fix: " in err


def test_problems_beyond_the_limit_are_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base()
    extra = MAX_PROBLEMS + 5
    data["indicators"] = [
        {"id": f"i{k}", "name": f"指标{k}", "points": 100 / (extra + 1), "method": {"method": "score", "scael": 1}}
        for k in range(extra + 1)
    ]
    path = write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    code, _, err = cli(capsys, "lint", str(path))
    assert code == 2
    assert f"{extra + 1} problems in this scheme:" in err
    assert len(problem_lines(err)) == MAX_PROBLEMS
    assert f"… and {extra + 1 - MAX_PROBLEMS} more" in err


def _set(path: tuple[str | int, ...], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


CONSISTENCY = {
    "top-level sum": _set(("indicators", 0, "points"), 45),
    "duplicate id": _set(("indicators", 2, "id"), "tasks"),
    "veto target": _set(("vetoes", 0), {"id": "veto_safety", "name": "否决", "scope": "indicator", "target": "taks"}),
    "band order": _set(("grading", "bands", 1, "min"), 95),
    "quota grade": _set(("grading", "quotas"), [{"grade": "优", "max_share": 0.2}]),
    "adjustment id": _set(("adjustments", "items", 0, "id"), "service"),
    "clamp": _set(("clamp",), {"min": 100}),
    "group": _set(("grading", "group_by"), "zone"),
}
"""Mistakes in different places of the corpus base scheme that only the whole-scheme checks find."""

VALIDATION = {
    "top key": _set(("totl",), 100),
    "indicator key": _set(("indicators", 0, "weigth"), 40),
    "method key": _set(("indicators", 1, "method", "scael"), 100),
    "points type": _set(("indicators", 2, "points"), "三十"),
    "method name": _set(("indicators", 0, "method", "method"), "scoer"),
    "band key": _set(("grading", "bands", 0, "mni"), 90),
    "cap sign": _set(("adjustments", "items", 0, "cap"), -2),
    "veto scope": _set(("vetoes", 0, "scope"), "everything"),
}
"""Mistakes in different places of the corpus base scheme that validation finds."""


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([CONSISTENCY, VALIDATION]).flatmap(
        lambda pool: st.sets(st.sampled_from(sorted(pool)), min_size=1).map(lambda names: (pool, names))
    )
)
def test_each_independent_mistake_is_one_problem(case: tuple[dict[str, Any], set[str]]) -> None:
    """However many independent mistakes a file has, each is reported, once."""
    pool, names = case
    data = base()
    for name in names:
        pool[name](data)
    with pytest.raises(SchemeError) as caught:
        perfsim.scheme_from_data(data)
    message = caught.value.message
    count = 1 if len(names) == 1 else int(message.split(" problems")[0])
    assert count == len(names), (sorted(names), message)
    if len(names) == 1:
        assert caught.value.field and caught.value.hint


def test_the_python_api_reports_every_problem_too() -> None:
    data = yaml.safe_load(FIVE_CONSISTENCY_MISTAKES)
    with pytest.raises(SchemeError) as caught:
        perfsim.scheme_from_data(data)
    assert caught.value.message.startswith("5 problems in this scheme:")


# --------------------------------------------------------------------------- hints that apply


def _unknown_key_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, Any]) -> str:
    path = write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    code, _, err = cli(capsys, "lint", str(path))
    assert code == 2
    hint = re.search(r"fix: the keys valid here: (.*)", err)
    assert hint, err
    return hint.group(1)


@pytest.mark.parametrize(
    ("where", "model"),
    [
        ("method", s.CompletionRatio),
        ("band_method", s.BandLookup),
        ("indicator", s.Indicator),
        ("grade_band", s.GradeBand),
        ("top", s.Scheme),
    ],
)
def test_unknown_key_hint_lists_the_keys_valid_at_that_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, model: type[BaseModel]
) -> None:
    data = base()
    tasks = data["indicators"][0]
    if where == "method":
        tasks["method"] = {"method": "completion_ratio", "standard": 10, "zzz": 1}
    elif where == "band_method":
        tasks["method"] = {"method": "bands", "bands": [{"min": 0, "points": 40}], "zzz": 1}
    elif where == "indicator":
        tasks["zzz"] = 1
    elif where == "grade_band":
        data["grading"]["bands"][0]["zzz"] = 1
    else:
        data["zzz"] = 1
    listed = _unknown_key_hint(tmp_path, capsys, data).split(", ")
    assert listed == sorted(file_keys(model))


def test_sum_hints_offer_a_scale_only_where_there_is_a_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = base()
    top["indicators"][0]["points"] = 45
    path = write(tmp_path, yaml.safe_dump(top, allow_unicode=True), "top.yaml")
    code, _, err = cli(capsys, "lint", str(path))
    said = err.replace(str(path), "")
    assert code == 2 and "scale" not in said and "parent" not in said
    assert "the scheme total" in said

    nested = base()
    nested["indicators"][1] = {
        "id": "service",
        "name": "公共服务",
        "points": 30,
        "children": [
            {"id": "s1", "name": "子项一", "points": 10, "method": {"method": "score"}},
            {"id": "s2", "name": "子项二", "points": 15, "method": {"method": "score"}},
        ],
    }
    path = write(tmp_path, yaml.safe_dump(nested, allow_unicode=True), "nested.yaml")
    code, _, err = cli(capsys, "lint", str(path))
    assert code == 2
    assert "make the points add up to 30" in err
    assert "scale: 25 on 'service'" in err  # the other reading, stated as conditional on the form


# --------------------------------------------------------------------------- no library wording


HOSTILE_VALUES: list[Any] = [
    "abc",
    -1,
    -0.5,
    0,
    2.5,
    10**30,
    True,
    None,
    [],
    [1, "a"],
    {},
    {"zz": 1},
    "x" * 100,
    "per_unit",
    "90-100",
]


def _models_reachable(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []
    todo = [root]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            todo += _models_in(info.annotation)
    return seen


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _assert_clean(problems: list[s.Problem], context: object) -> None:
    for problem in problems:
        text = f"{problem.message} {problem.hint or ''}"
        leaked = [word for word in LEAKS if word in text]
        assert not leaked, (context, leaked, text)
        assert problem.hint, (context, text)


@pytest.mark.parametrize("root", [s.Scheme, ScenarioFile, SweepFile], ids=lambda m: m.__name__)
def test_no_library_wording_for_any_wrong_value_of_any_field(root: type[BaseModel]) -> None:
    models = _models_reachable(root)
    assert len(models) >= 3
    checked = 0
    for model in models:
        for key in file_keys(model):
            for value in HOSTILE_VALUES:
                data = {key: value}
                try:
                    model.model_validate(data)
                except ValidationError as exc:
                    _assert_clean(problems_from_validation(exc, data, model), (model.__name__, key, value))
                    checked += 1
    assert checked > 20 * len(models)


def _leaves(data: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _leaves(v, (*path, k))] + [path]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _leaves(v, (*path, i))] + [path]
    return [path]


@pytest.mark.parametrize("name", ["qitai-county", "hospital-departments", "compulsory-school-pay"])
def test_no_library_wording_for_wrong_values_anywhere_in_a_real_scheme(name: str) -> None:
    data = yaml.safe_load((ROOT / "scenarios" / "schemes" / f"{name}.yaml").read_text(encoding="utf-8"))
    checked = 0
    for path in _leaves(data):
        if not path:
            continue
        for value in HOSTILE_VALUES[::2]:
            changed = copy.deepcopy(data)
            node = changed
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = value
            try:
                s.Scheme.model_validate(changed)
            except ValidationError as exc:
                _assert_clean(problems_from_validation(exc, changed, s.Scheme), (name, path, value))
                checked += 1
    assert checked > 100


YAML_MISTAKES = [
    ("id: x\n  name: y\n", 3, "quote a value"),
    ('id: "x\n', 3, "close the quote"),
    ("\tid: x\n", 2, "not tabs"),
    ("id: [1, 2\nversion: 1\n", 3, "close it with ']'"),
    ("id: {a: 1\n", 3, "close it with '}'"),
    ("id: @x\n", 2, "quote the value"),
    ('id: "\\q"\n', 2, "single quotes"),
    ("id: *nothing\n", 2, "define the anchor first"),
    ("id: !!python/object x\n", 2, "plain data only"),
]
"""YAML mistakes after a first line ``perfsim_scheme: 1``: the text, the line named, a piece of the fix."""
YAML_WORDS = ("token", "stream", "constructor", "tag:yaml.org", "found", "expected <", "while ", "mark")
"""PyYAML's own wording."""


@pytest.mark.parametrize(("text", "line", "fix"), YAML_MISTAKES)
def test_yaml_syntax_errors_are_in_words_with_the_line_and_a_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, fix: str
) -> None:
    path = write(tmp_path, "perfsim_scheme: 1\n" + text)
    code, _, err = cli(capsys, "lint", str(path))
    assert code == 2
    said = err.replace(str(path), "")
    assert f"line {line}" in said and fix in said, said
    assert not [w for w in YAML_WORDS if w in said], said


# --------------------------------------------------------------------------- names as plain text


def test_a_name_may_be_plain_chinese_text() -> None:
    assert Label.model_validate("重点工作") == Label(zh="重点工作")
    assert Label(zh="重点工作").en is None
    assert Label(zh="重点工作").english("tasks") == "tasks"
    assert Label(zh="重点工作").english("重点") == NO_ENGLISH  # an id in Chinese is no English name
    assert Label(zh="优秀", en="excellent").english("x") == "excellent"


def _plain_names(data: Any) -> Any:
    """Every ``{zh, en}`` name of the scheme written as its plain Chinese text."""
    if isinstance(data, dict):
        if set(data) == {"zh", "en"}:
            return data["zh"]
        return {k: _plain_names(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain_names(v) for v in data]
    return data


def test_a_scheme_with_chinese_names_only_gives_english_outputs_without_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _plain_names(base())
    assert data["indicators"][0]["name"] == "重点工作" and data["grading"]["bands"][0]["grade"] == "优秀"
    scheme = write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    units = CORPUS / "units.csv"
    unit, unit_name = units.read_text(encoding="utf-8").splitlines()[1].split(",")[:2]
    code, out, err = cli(capsys, "explain", str(scheme), str(units), unit, "--lang", "en")
    assert code == 0, err
    assert not cjk_characters(out.replace(unit_name, "")), out  # unit names are data, shown as written
    assert "None" not in out
    assert "tasks" in out  # the indicator's id stands in for its English name
    code, out, err = cli(capsys, "explain", str(scheme), str(units), unit, "--lang", "zh")
    assert code == 0, err
    assert "重点工作" in out
    code, out, err = cli(capsys, "evaluate", str(scheme), str(units), "-o", str(tmp_path / "r.csv"))
    assert code == 0, err


def test_a_name_of_the_wrong_kind_says_what_a_name_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base()
    data["indicators"][0]["name"] = 5
    code, _, err = cli(capsys, "lint", str(write(tmp_path, yaml.safe_dump(data, allow_unicode=True))))
    assert code == 2
    assert "indicators[0].name" in err and "a name is text" in err


# --------------------------------------------------------------------------- missing files


@pytest.mark.parametrize(
    "argv",
    [
        ("lint", "{M}"),
        ("evaluate", "{M}"),
        ("evaluate", "{M}", "{D}"),
        ("evaluate", "{S}", "{MD}"),
        ("explain", "{M}", "u1"),
        ("simulate", "{M}"),
        ("brief", "{M}", "-o", "{T}/b"),
        ("batch", "{M}"),
        ("evaluate", "nothing-here.yaml"),
    ],
    ids=lambda a: " ".join(a),
)
def test_a_missing_file_is_reported_as_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    values = {
        "{M}": str(tmp_path / "nowhere" / "scheme.yaml"),
        "{D}": str(CORPUS / "units.csv"),
        "{S}": str(CORPUS / "scheme.yaml"),
        "{MD}": str(tmp_path / "units-missing.csv"),
        "{T}": str(tmp_path),
    }
    args = [values.get(a, a) for a in argv]
    for key, value in values.items():
        args = [a.replace(key, value) for a in args]
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert "does not exist" in err, err
    assert "needs a data file" not in err and "not a scenario file" not in err


def test_no_module_prints_an_english_name_that_may_be_missing() -> None:
    """``Label.en`` may be None (a name given in Chinese only); outputs use ``english()`` or ``both()``."""
    package = ROOT / "perfsim"
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted(package.rglob("*.py"))
        if path.name != "models.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"(?<!self)\.en\b(?!\s*=)", line)
    ]
    assert found == [], "use label.english(id) or label.both() instead of label.en"
