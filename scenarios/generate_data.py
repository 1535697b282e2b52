"""Generate the bundled unit data of every scenario, reproducibly (same seed → byte-identical files).

Run from the repository root::

    python scenarios/generate_data.py            # all scenarios
    python scenarios/generate_data.py qitai-county

Each module in ``scenarios/generators/`` names its scenario (``SCENARIO``) and builds its
data with ``generate(seed)``: synthetic but plausible values (rater marks around a latent
performance, rare deductions and vetoes, budgets, head counts), with the kinds and numbers of
units the source plan describes. The data files are written to ``scenarios/data/<id>.csv``
(UTF-8, ``\\n`` line ends, numbers with at most 10 significant digits).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20241127


def generators() -> dict[str, object]:
    """Scenario id → generator module."""
    sys.path.insert(0, str(HERE))
    import generators as package

    out = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"generators.{info.name}")
        out[module.SCENARIO] = module
    return dict(sorted(out.items()))


def write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format="%.10g", lineterminator="\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", help="scenario ids (default: all)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    found = generators()
    unknown = [s for s in args.scenarios if s not in found]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; known: {', '.join(found)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.scenarios or list(found):
        frame = found[name].generate(args.seed)  # type: ignore[attr-defined]
        write(frame, args.out / f"{name}.csv")
        print(f"wrote {args.out / f'{name}.csv'} ({len(frame)} rows)")


if __name__ == "__main__":
    main()
