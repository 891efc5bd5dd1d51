"""解锁: a teacher's login after 10 wrong passwords."""

from __future__ import annotations

from jjadmin.rules.ids import normalize_text
from jjadmin.services.accounts import unlock_teacher as unlock
from jjadmin.services.context import ServiceContext


def unlock_teacher(ctx: ServiceContext, learner_no: str) -> None:
    """Unlock a teacher's login (username = 学号) after 10 wrong passwords.

    Raises NotFound (4), PermissionDenied (3), Conflict (5: not locked).
    """
    unlock(ctx, normalize_text(learner_no))
