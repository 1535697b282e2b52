"""The wheel carries the bundled scenarios, and an installed perfsim works from any folder.

Issue 14, deliverable 4 and its acceptance line: "From a fresh venv outside the checkout:
`pip install <wheel>`, then `perfsim list`, `perfsim evaluate qitai-county -o r.csv`,
`perfsim brief qitai-county -o b` all work." The wheel is built offline (hatchling from the dev
extra, no build isolation) and installed with ``--no-deps --no-index`` into a fresh venv that
sees the CI venv's third-party packages through a ``.pth`` line, so the test needs no network;
the checkout itself is not on that venv's path (the editable install's hook is not loaded).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = _run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        cwd=out,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("perfsim-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; returns its ``bin`` folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=False)
    site = Path(sysconfig.get_paths(vars={"base": str(home), "platbase": str(home)})["purelib"])
    # third-party packages from the running (CI) venv, after the fresh venv's own site-packages
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    python = home / "bin" / "python"
    done = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        cwd=home,
    )
    assert done.returncode == 0, done.stderr
    return home / "bin"


def test_wheel_holds_every_bundled_scenario_with_its_scheme_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    bundled = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    assert bundled
    for name in bundled:
        assert f"perfsim/scenarios/{name}" in names
        assert f"perfsim/scenarios/schemes/{name}" in names
        assert f"perfsim/scenarios/data/{Path(name).stem}.csv" in names


def test_installed_wheel_runs_list_evaluate_brief_and_init_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([str(installed / "python"), "-c", "import perfsim; print(perfsim.__file__)"], cwd=work)
    assert where.returncode == 0, where.stderr
    assert not Path(where.stdout.strip()).is_relative_to(ROOT), "the checkout, not the wheel, was imported"

    perfsim = str(installed / "perfsim")
    listed = _run([perfsim, "list"], cwd=work)
    assert listed.returncode == 0, listed.stderr
    first_words = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert first_words == {p.stem for p in (ROOT / "scenarios").glob("*.yaml")}

    evaluated = _run([perfsim, "evaluate", "qitai-county", "-o", "r.csv"], cwd=work)
    assert evaluated.returncode == 0, evaluated.stderr
    results = pd.read_csv(work / "r.csv", encoding="utf-8-sig")
    assert len(results) == len(pd.read_csv(ROOT / "scenarios" / "data" / "qitai-county.csv"))

    briefed = _run([perfsim, "brief", "qitai-county", "-o", "b"], cwd=work, timeout=600)
    assert briefed.returncode == 0, briefed.stderr
    notes = list((work / "b").glob("*.html"))
    assert notes and all(n.stat().st_size > 10_000 for n in notes)

    started = _run([perfsim, "init", "mine", "--from", "qitai-county"], cwd=work)
    assert started.returncode == 0, started.stderr
    again = _run([perfsim, "evaluate", "mine/mine.yaml", "-o", "mine.csv"], cwd=work)
    assert again.returncode == 0, again.stderr
    assert pd.read_csv(work / "mine.csv", encoding="utf-8-sig").equals(results)


def test_list_shows_the_bundled_scenarios_by_name_from_any_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    from perfsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def test_a_bundled_name_is_resolved_and_a_typo_gets_the_nearest_name(tmp_path: Path, monkeypatch, capsys) -> None:
    from perfsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["explain", "qitai-county", "U020", "--lang", "zh"]) == 0
    assert "U020" in capsys.readouterr().out
    assert main(["evaluate", "qitai-countu"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "did you mean 'qitai-county'" in err
    # a file of that name in the working folder wins over the bundled scenario
    (tmp_path / "qitai-county").write_text("not a scenario\n", encoding="utf-8")
    assert main(["evaluate", "qitai-county"]) == 2


def test_init_copies_a_scenario_that_runs_and_never_overwrites(tmp_path: Path, monkeypatch, capsys) -> None:
    from perfsim.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["init", "my-county", "--from", "employee-rubric"]) == 0
    scenario = tmp_path / "my-county" / "my-county.yaml"
    text = scenario.read_text(encoding="utf-8")
    assert 'id: "my-county"' in text and 'scheme: "schemes/employee-rubric.yaml"' in text
    assert (tmp_path / "my-county" / "data" / "employee-rubric.csv").read_bytes() == (
        ROOT / "scenarios" / "data" / "employee-rubric.csv"
    ).read_bytes()
    capsys.readouterr()
    assert main(["evaluate", str(scenario), "-o", "copy.csv"]) == 0
    assert main(["evaluate", "employee-rubric", "-o", "bundled.csv"]) == 0
    assert pd.read_csv("copy.csv").equals(pd.read_csv("bundled.csv"))

    before = scenario.read_bytes()
    assert main(["init", "my-county"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert scenario.read_bytes() == before
    assert main(["init", "../escape"]) == 2
    assert not (tmp_path.parent / "escape").exists()
