"""Domain exceptions with the exit codes of SPEC §2 (no framework imports)."""

from __future__ import annotations

from typing import Any


class JjadminError(Exception):
    """Base of every error a user can cause; carries a Chinese message and an exit code."""

    exit_code = 10
    code = "internal"

    def __init__(
        self, message: str, *, hint: str | None = None, data: dict[str, Any] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.data = data or {}


class InputRejected(JjadminError):
    """The input itself is wrong (exit 1)."""

    exit_code = 1
    code = "input-rejected"


class InvalidValue(InputRejected):
    """One value is malformed; `code` is a kebab slug used in reports."""

    def __init__(self, message: str, *, code: str = "invalid-value", hint: str | None = None):
        super().__init__(message, hint=hint)
        self.code = code


class FileRejected(InputRejected):
    """A whole file cannot be read (wrong type, encrypted, bomb, too many rows…)."""

    code = "file-rejected"


class ValidationFailed(InputRejected):
    """An import found row errors; carries the report (rendered by the CLI)."""

    code = "validation-failed"

    def __init__(self, report: Any, message: str = "导入数据有错误，未写入任何数据"):
        super().__init__(message)
        self.report = report


class UsageError(JjadminError):
    """Conflicting or missing options discovered after parsing (exit 2)."""

    exit_code = 2
    code = "usage"


class AccessDenied(JjadminError):
    exit_code = 3
    code = "access-denied"


class NotAuthenticated(AccessDenied):
    code = "not-authenticated"


class PermissionDenied(AccessDenied):
    code = "permission-denied"


class VerificationRequired(AccessDenied):
    code = "verification-required"


class AccountLocked(AccessDenied):
    code = "account-locked"


class NotFound(JjadminError):
    exit_code = 4
    code = "not-found"


class Conflict(JjadminError):
    exit_code = 5
    code = "conflict"


class InternalError(JjadminError):
    exit_code = 10
    code = "internal"
