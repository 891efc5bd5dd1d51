"""公告 (notices): post to audiences (with texts), read marks, resend what did not go out."""

from jjadmin.services.notices.post import PostResult, Recipient, post_notice
from jjadmin.services.notices.reads import NoticeItem, NoticeView, list_notices, show_notice
from jjadmin.services.notices.texts import ResendResult, resend_notice

__all__ = [
    "NoticeItem",
    "NoticeView",
    "PostResult",
    "Recipient",
    "ResendResult",
    "list_notices",
    "post_notice",
    "resend_notice",
    "show_notice",
]
