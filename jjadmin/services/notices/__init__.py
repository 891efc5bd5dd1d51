"""公告 (notices): `audience` (who a notice goes to, who reads it), `post` (a notice, its
audiences and texts), `texts` (delivery, resend), `reads` (list, show, read marks).

`reads` lists on the DB-API driver (`notice list`, `me notices`), so this package re-exports
lazily (PEP 562) as services/teachers does: listing never loads SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jjadmin.services._lazy import lazy_exports

EXPORTS = {
    "post": ("PostResult", "Recipient", "post_notice"),
    "reads": ("NoticeItem", "NoticeView", "list_notices", "show_notice"),
    "texts": ("ResendResult", "resend_notice"),
}

if TYPE_CHECKING:
    from jjadmin.services.notices.post import PostResult as PostResult
    from jjadmin.services.notices.post import Recipient as Recipient
    from jjadmin.services.notices.post import post_notice as post_notice
    from jjadmin.services.notices.reads import NoticeItem as NoticeItem
    from jjadmin.services.notices.reads import NoticeView as NoticeView
    from jjadmin.services.notices.reads import list_notices as list_notices
    from jjadmin.services.notices.reads import show_notice as show_notice
    from jjadmin.services.notices.texts import ResendResult as ResendResult
    from jjadmin.services.notices.texts import resend_notice as resend_notice

__getattr__ = lazy_exports(__name__, EXPORTS)

__all__ = [name for names in EXPORTS.values() for name in names]
