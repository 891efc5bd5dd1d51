"""SQLModel tables; importing this package registers every table in the metadata."""

from jjadmin.models.base import TZDateTime, metadata
from jjadmin.models.billing import Bill, Payment, SpecialUser
from jjadmin.models.course import (
    AbilityAssessment,
    AbilityConfig,
    Course,
    Enrollment,
    Grade,
    Period,
)
from jjadmin.models.credit import (
    Attachment,
    Certificate,
    CreditDeclaration,
    CreditRecord,
    CreditReview,
)
from jjadmin.models.misc import AuditLog, BatchChange, Complaint, ImportBatch, Notice
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
    "Account",
    "Attachment",
    "AuditLog",
    "AuthToken",
    "BatchChange",
    "Bill",
    "Complaint",
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
