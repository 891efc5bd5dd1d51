"""投诉意见 (complaints about 年度验证): the window, filing, replies, closing, statistics."""

from jjadmin.services.complaints.common import STATES, ComplaintView, ReplyView
from jjadmin.services.complaints.handling import close_complaint, file_complaint, reply_complaint
from jjadmin.services.complaints.queries import (
    SchoolStats,
    complaint_stats,
    list_complaints,
    show_complaint,
)
from jjadmin.services.complaints.window import WindowView, set_window, show_window

__all__ = [
    "STATES",
    "ComplaintView",
    "ReplyView",
    "SchoolStats",
    "WindowView",
    "close_complaint",
    "complaint_stats",
    "file_complaint",
    "list_complaints",
    "reply_complaint",
    "set_window",
    "show_complaint",
    "show_window",
]
