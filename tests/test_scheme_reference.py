"""The generated scheme reference (docs/scheme-reference.md) is current and documents every field."""

from __future__ import annotations

from pathlib import Path

import yaml

import perfsim
from perfsim import scheme_reference as ref
from perfsim.models import Model
from perfsim.scheme.validation import file_keys

from conftest import ROOT

PAGE = ROOT / "docs" / "scheme-reference.md"


def test_the_committed_reference_is_what_the_models_generate() -> None:
    assert PAGE.read_text(encoding="utf-8") == ref.render(), (
        "docs/scheme-reference.md is out of date: run `python -m perfsim.scheme_reference`"
    )


def test_every_field_of_every_scheme_model_has_a_description() -> None:
    assert ref.undocumented() == [], "give each field a docstring right below it (what it means)"


def test_a_field_added_without_a_description_is_caught() -> None:
    class Part(Model):
        documented: int = 1
        """A documented field."""
        bare: int = 2

    class Root(Model):
        part: Part
        """The part."""

    assert ref.undocumented(Root) == ["Part.bare"]


def test_every_model_and_field_appears_on_the_page() -> None:
    page = ref.render()
    for model in ref.scheme_models():
        section = page.split(f"### {model.__name__}\n", 1)[1].split("\n### ", 1)[0]
        for key in file_keys(model):
            assert f"| `{key}` |" in section, (model.__name__, key)


def test_the_example_is_a_valid_scheme_and_the_page_lists_the_columns_it_reads() -> None:
    compiled = perfsim.compile_scheme(perfsim.scheme_from_data(yaml.safe_load(ref.EXAMPLE)))
    page = ref.render()
    for column in ("revenue.standard", "investment@MID", "files.count"):  # the three column conventions
        assert f"`{column}`" in page
    reads = {c for cc in compiled.classes for col in cc.columns for c in col.reads()}
    assert {"revenue.standard", "investment@MID", "investment@END", "files.count"} <= reads


def test_the_readme_links_the_reference() -> None:
    assert "docs/scheme-reference.md" in Path(ROOT / "README.md").read_text(encoding="utf-8")
