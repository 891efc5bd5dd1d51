"""专项培训 (SPEC §6 Special training): a teacher applies for a project (`apply`); the
teacher's school, the district and the project's institution review it in that order
(`review`), the last approval enrolling the teacher; `queries` lists and shows the
applications in the actor's scope (on the DB-API path: the package re-exports lazily so that
`special-training list/show` never load SQLAlchemy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from jjadmin.services._lazy import lazy_exports

EXPORTS = {
    "apply": ("apply_for_training",),
    "common": ("ApplicationView", "ReviewView"),
    "queries": ("ApplicationFilter", "list_applications", "show_application"),
    "review": ("review_application",),
}

if TYPE_CHECKING:
    from jjadmin.services.special_training.apply import apply_for_training as apply_for_training
    from jjadmin.services.special_training.common import ApplicationView as ApplicationView
    from jjadmin.services.special_training.common import ReviewView as ReviewView
    from jjadmin.services.special_training.queries import ApplicationFilter as ApplicationFilter
    from jjadmin.services.special_training.queries import list_applications as list_applications
    from jjadmin.services.special_training.queries import show_application as show_application
    from jjadmin.services.special_training.review import review_application as review_application
else:
    __getattr__ = lazy_exports(__name__, EXPORTS)
