"""Classes scored out of different full marks (街道 out of 100, 乡镇 out of 120): the basis and the checks.

A monthly notice of streets, towns and villages that scores its groups out of different full marks
ranks them separately: a total of 100 means full marks for a street and 83.3 % for a town. So a
scheme whose classes state different ``total``s is graded on each unit's own full mark and ranked
within groups that never mix full marks. Ranking such classes together by percent would be a rule no
notice states, and ranking them silently within class would change what quotas count; the scheme must
say ``group_by`` (checked here for ``class`` and none, and when the data are read for an attribute).
"""

from __future__ import annotations

from ..errors import near
from .base import Loc, Problem, separately
from .models import Scheme


def basis_factor(scheme: Scheme, class_id: str) -> float:
    """What one point of a class's total is worth in the grading basis.

    Percent basis: ``100 ÷`` the class's full mark. Points basis: 1, or with ``grading.points_of`` the
    reference class's full mark ÷ this class's (a town's 108 of 120 reads as a street's 90 of 100).

    Parameters
    ----------
    scheme
        A validated scheme.
    class_id
        The class.

    Returns
    -------
    float
    """
    g = scheme.grading
    own = scheme.full_mark(class_id)
    if g.basis == "percent":
        return 100.0 / own
    if g.points_of is not None:
        return scheme.full_mark(g.points_of) / own
    return 1.0


def marks_text(scheme: Scheme) -> str:
    """Each class with its full mark, for messages: ``街道 100, 乡镇 120``."""
    return ", ".join(f"{cid} {mark:g}" for cid, mark in scheme.full_marks.items())


def check_class_totals(scheme: Scheme) -> None:
    """Check what different full marks per class require: a grading basis that means one thing and
    groups that never rank classes of different full marks together.

    Raises
    ------
    Problem
        Outside :func:`collect`, the first problem found.
    """
    g = scheme.grading
    here: Loc = ("grading",)
    class_ids = list(scheme.full_marks)
    with separately():
        if g.points_of is not None:
            if g.points_of not in class_ids:
                raise Problem((*here, "points_of"), f"unknown class '{g.points_of}'", near(g.points_of, class_ids))
            if g.basis != "points":
                raise Problem(
                    (*here, "points_of"),
                    "points_of says which class's points the bands are written in; percent bands need none",
                    "drop points_of, or state basis: points",
                )
    if not scheme.full_marks_differ:
        return
    marks = marks_text(scheme)
    with separately():
        if g.basis == "points" and g.points_of is None and g.bands is not None:
            raise Problem(
                (*here, "basis"),
                f"the classes are scored out of different full marks ({marks}), so a band's points are a "
                "different share of each",
                "state basis: percent (each class's cut-offs as % of its own full mark), or points_of: <class> "
                "to read the band points as that class's and scale them for the others",
            )
    with separately():
        if g.group_by is None:
            raise Problem(
                (*here, "group_by"),
                f"the classes are scored out of different full marks ({marks}) but would be ranked together, "
                "comparing totals out of different full marks",
                "state group_by: class, so each class is ranked (and its quotas and tiers counted) on its own, "
                "as notices publish them; or group by a text attribute whose groups each hold one class",
            )
    cmin = scheme.clamp.min
    for i, unit_class in enumerate(scheme.unit_classes or []):
        cmax = scheme.class_clamp_max(unit_class.id)
        with separately():
            if cmin is not None and cmax is not None and cmin >= cmax:
                raise Problem(
                    ("clamp",),
                    f"clamp min {cmin:g} is not below class '{unit_class.id}''s max {cmax:g}",
                    f"lower clamp.min below {cmax:g}, or fix unit_classes[{i}].total",
                )
