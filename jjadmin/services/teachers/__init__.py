"""教师管理, one module per step: the roster import (`roster_lookup` → `roster_plan` →
`roster_sync` → `roster_insert`, run by `roster_import`), `records` (add, set, archive),
`review` (信息审核, and a teacher's own `me update`), `principal`, `school_admins` (授权),
`unlock`, `learner_numbers`, `export`, and the read views.

`views` runs on the DB-API driver and imports no SQLAlchemy (`teacher list/show`, `me show`),
so this package re-exports its public names lazily (PEP 562): `teachers.import_teachers` loads
its module on first use, and importing `teachers.views` loads nothing else. Readers and mypy
follow the TYPE_CHECKING imports; `EXPORTS` says the same for the runtime (a test keeps the
two equal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jjadmin.services._lazy import lazy_exports

EXPORTS = {
    "views": (
        "ADMIN_ROLES", "LABELS", "REVIEW_LABELS", "ROUND_LABELS", "ReviewRound", "TeacherDetail",
        "TeacherFilter", "TeacherView", "check_status", "list_teachers", "my_profile",
        "review_state_value", "show_teacher",
    ),
    "records": (
        "AddResult", "ArchiveResult", "SetResult", "archive_teachers", "create_teacher",
        "set_teacher",
    ),
    "export": ("EXPORT_FIELDS", "export_teachers"),
    "review": (
        "ReviewResult", "SelfUpdateResult", "reopen_teacher", "review_change", "submit_change",
        "update_my_info",
    ),
    "principal": ("grant_principal", "revoke_principal"),
    "school_admins": ("grant_school_admin", "revoke_school_admin"),
    "unlock": ("unlock_teacher",),
    "roster_import": ("import_teachers",),
    "roster_lookup": ("READ_AHEAD", "ReadAhead", "read_ahead_teachers"),
    "roster_sync": ("parse_max_changes",),
    "learner_numbers": ("allocate_learner_numbers",),
    "jjadmin.rules.people": (
        "ADDRESS_MAX", "EMAIL_MAX", "NAME_MAX", "normalize_address", "normalize_email",
        "normalize_name",
    ),
}  # fmt: skip

if TYPE_CHECKING:
    from jjadmin.rules.people import ADDRESS_MAX as ADDRESS_MAX
    from jjadmin.rules.people import EMAIL_MAX as EMAIL_MAX
    from jjadmin.rules.people import NAME_MAX as NAME_MAX
    from jjadmin.rules.people import normalize_address as normalize_address
    from jjadmin.rules.people import normalize_email as normalize_email
    from jjadmin.rules.people import normalize_name as normalize_name
    from jjadmin.services.teachers.export import EXPORT_FIELDS as EXPORT_FIELDS
    from jjadmin.services.teachers.export import export_teachers as export_teachers
    from jjadmin.services.teachers.learner_numbers import (
        allocate_learner_numbers as allocate_learner_numbers,
    )
    from jjadmin.services.teachers.principal import grant_principal as grant_principal
    from jjadmin.services.teachers.principal import revoke_principal as revoke_principal
    from jjadmin.services.teachers.records import AddResult as AddResult
    from jjadmin.services.teachers.records import ArchiveResult as ArchiveResult
    from jjadmin.services.teachers.records import SetResult as SetResult
    from jjadmin.services.teachers.records import archive_teachers as archive_teachers
    from jjadmin.services.teachers.records import create_teacher as create_teacher
    from jjadmin.services.teachers.records import set_teacher as set_teacher
    from jjadmin.services.teachers.review import ReviewResult as ReviewResult
    from jjadmin.services.teachers.review import SelfUpdateResult as SelfUpdateResult
    from jjadmin.services.teachers.review import reopen_teacher as reopen_teacher
    from jjadmin.services.teachers.review import review_change as review_change
    from jjadmin.services.teachers.review import submit_change as submit_change
    from jjadmin.services.teachers.review import update_my_info as update_my_info
    from jjadmin.services.teachers.roster_import import import_teachers as import_teachers
    from jjadmin.services.teachers.roster_lookup import READ_AHEAD as READ_AHEAD
    from jjadmin.services.teachers.roster_lookup import ReadAhead as ReadAhead
    from jjadmin.services.teachers.roster_lookup import read_ahead_teachers as read_ahead_teachers
    from jjadmin.services.teachers.roster_sync import parse_max_changes as parse_max_changes
    from jjadmin.services.teachers.school_admins import grant_school_admin as grant_school_admin
    from jjadmin.services.teachers.school_admins import (
        revoke_school_admin as revoke_school_admin,
    )
    from jjadmin.services.teachers.unlock import unlock_teacher as unlock_teacher
    from jjadmin.services.teachers.views import ADMIN_ROLES as ADMIN_ROLES
    from jjadmin.services.teachers.views import LABELS as LABELS
    from jjadmin.services.teachers.views import REVIEW_LABELS as REVIEW_LABELS
    from jjadmin.services.teachers.views import ROUND_LABELS as ROUND_LABELS
    from jjadmin.services.teachers.views import ReviewRound as ReviewRound
    from jjadmin.services.teachers.views import TeacherDetail as TeacherDetail
    from jjadmin.services.teachers.views import TeacherFilter as TeacherFilter
    from jjadmin.services.teachers.views import TeacherView as TeacherView
    from jjadmin.services.teachers.views import check_status as check_status
    from jjadmin.services.teachers.views import list_teachers as list_teachers
    from jjadmin.services.teachers.views import my_profile as my_profile
    from jjadmin.services.teachers.views import review_state_value as review_state_value
    from jjadmin.services.teachers.views import show_teacher as show_teacher
else:
    __getattr__ = lazy_exports(__name__, EXPORTS)
