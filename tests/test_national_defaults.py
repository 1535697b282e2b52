"""One table of national defaults (issue 13): every bundle uses an entry or says why it departs from it."""

from __future__ import annotations

import re

import pytest

from perfsim.models import Label
from perfsim.national import TABLE, entry
from perfsim.scenario import list_scenarios, load_scenario

from conftest import SCENARIOS

BUNDLES = [(path, spec) for path, spec in list_scenarios(SCENARIOS)]
IDS = [spec.id for _, spec in BUNDLES]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z]{2,}")


def test_the_table_holds_the_entries_the_issue_names():
    assert {"project_bands", "self_evaluation_template", "civil_servant_grades", "institution_staff_grades"} <= set(
        TABLE
    )
    assert entry("project_bands").kind == "national" and entry("project_grade_budget").kind == "convention"
    with pytest.raises(KeyError, match="known"):
        entry("nope")


@pytest.mark.parametrize(("path", "spec"), BUNDLES, ids=IDS)
def test_a_bundle_follows_what_it_says_it_uses(path, spec):
    scheme = load_scenario(path).scheme
    for default in spec.defaults:
        if default.uses:
            assert entry(default.uses).matches(scheme), (spec.id, default.uses)
        if default.departs_from:
            assert not entry(default.departs_from).matches(scheme), (spec.id, default.departs_from)


@pytest.mark.parametrize(("path", "spec"), BUNDLES, ids=IDS)
def test_grades_a_national_entry_fixes_are_declared(path, spec):
    """A bundle whose grades or bands match an entry says so, so that no scenario differs without a reason."""
    scheme = load_scenario(path).scheme
    named = {d.uses for d in spec.defaults} | {d.departs_from for d in spec.defaults}
    for name in ("project_bands", "civil_servant_grades", "institution_staff_grades", "unit_assessment_bands"):
        if entry(name).matches(scheme) and spec.id != "qitai-county":  # qitai's bands are its own text's
            assert name in named or (name == "project_bands" and "project_band_cutoffs" in named), (spec.id, name)
    budget = scheme.consequences.budget if scheme.consequences else None
    if budget is not None and budget.by_grade:
        assert "project_grade_budget" in named, spec.id  # the grade link is the convention or departs from it


@pytest.mark.parametrize(("path", "spec"), BUNDLES, ids=IDS)
def test_bundle_texts_keep_each_language_to_itself(path, spec):
    """zh texts without English words, en texts without Chinese characters."""
    texts = [spec.name, spec.description, spec.source]
    for default in spec.defaults:
        texts += [default.item, default.choice, default.reason]
    texts += [lever.label for lever in spec.analysis.levers if lever.label]
    for text in texts:
        assert isinstance(text, Label), f"{spec.id}: a text without both languages"
        assert not CJK.search(text.en), (spec.id, text.en)
        assert not WORD.findall(text.zh), (spec.id, text.zh)


def test_qitai_declares_the_rules_it_leaves_out():
    """篇四 l.197 and l.202 (deputy county heads graded by their portfolios) and l.143-146 (level-3 and
    level-4 weight tables) are not modelled: the bundle says so and why; satisfaction moves with the
    public evaluation in simulated years (l.212-213)."""
    spec = dict((s.id, s) for _, s in BUNDLES)["qitai-county"]
    sources = " ".join(d.source or "" for d in spec.defaults)
    assert "l.197" in sources and "l.202" in sources and "l.143-146" in sources
    scheme = load_scenario(SCENARIOS / "qitai-county.yaml").scheme
    assert scheme.consequences is not None
    assert [(e.attribute, e.follows) for e in scheme.consequences.evolve] == [("satisfaction", "public")]


def test_no_bundle_claims_the_engine_cannot_do_what_it_does():
    """Stale reasons re-read (issue 13): recipients by attribute, flags by class, vetoes drawn each period."""
    stale = ("cannot mark recipients", "cannot name a unit class", "does not simulate veto events")
    for _, spec in BUNDLES:
        for default in spec.defaults:
            text = default.reason.en if isinstance(default.reason, Label) else default.reason
            assert not any(s in text for s in stale), (spec.id, text)
