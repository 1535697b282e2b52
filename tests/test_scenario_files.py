"""Where scenario files are (perfsim.scenario_files): a bundled name is resolved once, at the reader,
and the notebooks' file lookup and the command line's name lookup find the same bundled files."""

from __future__ import annotations

from pathlib import Path

import pytest

import perfsim
from perfsim.errors import PerfsimError
from perfsim.scenario import find_file, load_scenario, resolve_scenario
from perfsim.scenario_files import bundled_file, bundled_scenarios_folder

from conftest import SCENARIOS


def test_a_bundled_file_is_found_alike_by_name_and_by_repository_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # nowhere near the checkout: only the bundled folder can answer
    by_name = resolve_scenario("qitai-county")
    assert by_name == bundled_file("qitai-county.yaml") == find_file("scenarios/qitai-county.yaml")
    assert by_name.read_bytes() == (SCENARIOS / "qitai-county.yaml").read_bytes()
    assert find_file("scenarios/data/qitai-county.csv") == bundled_file("data", "qitai-county.csv")
    assert bundled_file("no-such.yaml") is None and bundled_file() is None
    with pytest.raises(PerfsimError, match="does not exist") as caught:
        find_file("scenarios/no-such.yaml")
    assert "looked in" in caught.value.message


def test_a_typo_gets_the_nearest_bundled_name_and_a_far_miss_the_list(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PerfsimError) as caught:
        resolve_scenario("qitai-countu")
    assert caught.value.hint == "did you mean 'qitai-county'? (`perfsim list` lists the bundled scenarios)"
    with pytest.raises(PerfsimError) as caught:
        resolve_scenario("zzzzzzzzzz")
    folder = bundled_scenarios_folder()
    assert folder is not None
    assert caught.value.hint is not None and caught.value.hint.startswith("give a scenario file's path")
    assert all(p.stem in caught.value.hint for p in folder.glob("*.yaml"))


def test_simulate_by_bundled_name_takes_the_scenario_defaults(tmp_path: Path, monkeypatch, capsys) -> None:
    from perfsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["simulate", "qitai-county", "--years", "1", "--draws", "2", "-o", "p.parquet"]) == 0
    assert "1 years × 2 draws" in capsys.readouterr().out
    assert main(["simulate", "qitai-countu"]) == 2
    assert "did you mean 'qitai-county'" in capsys.readouterr().err


def test_brief_against_a_bundled_baseline_by_name(tmp_path: Path, monkeypatch) -> None:
    # the notebook's baseline was the name resolved against the working folder, a file that is not there
    monkeypatch.chdir(tmp_path)
    path = perfsim.brief("qitai-county", tmp_path / "notes", vs="qitai-county", lang="en")
    assert path.is_file() and path.parent == tmp_path / "notes"
    baseline = load_scenario("qitai-county")
    assert baseline.path.is_file()
