"""SQLModel tables; importing this package registers every table in the metadata."""

from jjadmin.models.base import TZDateTime, metadata
from jjadmin.models.billing import Bill, Payment, SpecialUser
from jjadmin.models.course import (
    AbilityAssessment,
    AbilityConfig,
    AbilitySelection,
    Course,
    Enrollment,
    Grade,
    Period,
)
from jjadmin.models.credit import (
    Attachment,
    Certificate,
    CreditDeclaration,
    CreditDeclarationAttachment,
    CreditRecord,
    CreditReview,
)
from jjadmin.models.misc import AuditLog, BatchChange, Complaint, ImportBatch, Notice
from jjadmin.models.notices import (
    ComplaintReply,
    ComplaintWindow,
    NoticeRead,
    NoticeSms,
    NoticeTarget,
)
from jjadmin.models.org import (
    Account,
    AuthToken,
    DbRole,
    District,
    School,
    Sequence,
    VerificationCode,
)
from jjadmin.models.special_training import SpecialTrainingApplication, SpecialTrainingReview
from jjadmin.models.teacher import (
    Principal,
    SchoolAdmin,
    Teacher,
    TeacherChange,
    Transfer,
)

__all__ = [
    "AbilityAssessment",
    "AbilityConfig",
    "AbilitySelection",
    "Account",
    "Attachment",
    "CreditDeclarationAttachment",
    "AuditLog",
    "AuthToken",
    "BatchChange",
    "Bill",
    "Complaint",
    "ComplaintReply",
    "ComplaintWindow",
    "Course",
    "CreditDeclaration",
    "Certificate",
    "CreditRecord",
    "CreditReview",
    "DbRole",
    "District",
    "Enrollment",
    "Grade",
    "ImportBatch",
    "Notice",
    "NoticeRead",
    "NoticeSms",
    "NoticeTarget",
    "Payment",
    "Period",
    "Principal",
    "School",
    "SchoolAdmin",
    "Sequence",
    "SpecialTrainingApplication",
    "SpecialTrainingReview",
    "SpecialUser",
    "TZDateTime",
    "Teacher",
    "TeacherChange",
    "Transfer",
    "VerificationCode",
    "metadata",
]
