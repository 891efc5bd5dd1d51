"""能力提升工程 (SPEC §6 Ability project; seed 能力提升工程选课指引), one module per step:
`config` (the city's pilots per period) → `assess` (the diagnostic answer sheet, scored) →
`recommend` (the required courses and the electives, each with its reason) → `confirm`
(enrolls at ≥ 50 学时 through the enrollment writer); `common` (whose project, the pilot,
the assessment that counts). Completion (all confirmed courses passed: the project's hours
credited once) is `services/credits/ability_completion.py`, called by the grade import — it
lives there because ability uses credits and the areas stay acyclic.

`recommend` runs on the DB-API driver and imports no SQLAlchemy (`ability recommend`), so
this package re-exports its public names lazily (PEP 562), as services.enrollment does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jjadmin.services._lazy import lazy_exports

EXPORTS = {
    "assess": ("assess_answers", "confirm_last_attempt"),
    "config": ("PilotView", "configure_pilot", "show_pilot"),
    "confirm": ("ConfirmResult", "ConfirmedCourse", "confirm_selection"),
    "recommend": ("PickView", "RecommendationView", "recommend_courses"),
}

if TYPE_CHECKING:
    from jjadmin.services.ability.assess import assess_answers as assess_answers
    from jjadmin.services.ability.assess import confirm_last_attempt as confirm_last_attempt
    from jjadmin.services.ability.config import PilotView as PilotView
    from jjadmin.services.ability.config import configure_pilot as configure_pilot
    from jjadmin.services.ability.config import show_pilot as show_pilot
    from jjadmin.services.ability.confirm import ConfirmedCourse as ConfirmedCourse
    from jjadmin.services.ability.confirm import ConfirmResult as ConfirmResult
    from jjadmin.services.ability.confirm import confirm_selection as confirm_selection
    from jjadmin.services.ability.recommend import PickView as PickView
    from jjadmin.services.ability.recommend import RecommendationView as RecommendationView
    from jjadmin.services.ability.recommend import recommend_courses as recommend_courses
else:
    __getattr__ = lazy_exports(__name__, EXPORTS)
