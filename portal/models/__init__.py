"""The domain models; import them from here."""

from .audit import GENESIS_HASH, AuditEvent, AuditHead
from .auth import AuthToken, RecoveryCode, SignInThrottle, UserSession
from .base import UTCDateTime, utcnow
from .client import CLIENT_STATUSES, FAMILY_SCOPES, CareTeamMember, Client, FamilyAccess
from .user import CLINICAL_ROLES, STAFF_ROLES, Role, User, normalize_email

__all__ = [
    "CLIENT_STATUSES",
    "CLINICAL_ROLES",
    "FAMILY_SCOPES",
    "GENESIS_HASH",
    "STAFF_ROLES",
    "AuditEvent",
    "AuditHead",
    "AuthToken",
    "RecoveryCode",
    "SignInThrottle",
    "UserSession",
    "CareTeamMember",
    "Client",
    "FamilyAccess",
    "Role",
    "User",
    "UTCDateTime",
    "normalize_email",
    "utcnow",
]
