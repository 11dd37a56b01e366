"""The domain models; import them from here."""

from .assessment import Assessment
from .audit import GENESIS_HASH, AuditEvent, AuditHead
from .auth import AuthToken, RecoveryCode, SignInThrottle, UserSession
from .base import UTCDateTime, utcnow
from .care_plan import (
    GOAL_STATUSES,
    LIFE_DOMAINS,
    PLAN_STATUSES,
    CarePlan,
    Goal,
    GoalProgress,
    Intervention,
    Objective,
    new_key,
)
from .client import (
    CLIENT_STATUSES,
    FAMILY_SCOPES,
    RISK_LEVELS,
    STATUS_TRANSITIONS,
    CareTeamMember,
    Client,
    EmergencyAccess,
    EmergencyContact,
    Episode,
    FamilyAccess,
    RiskChange,
    StatusChange,
    Task,
)
from .user import CLINICAL_ROLES, STAFF_ROLES, Role, User, normalize_email

__all__ = [
    "GOAL_STATUSES",
    "LIFE_DOMAINS",
    "PLAN_STATUSES",
    "CarePlan",
    "Goal",
    "GoalProgress",
    "Intervention",
    "Objective",
    "new_key",
    "CLIENT_STATUSES",
    "CLINICAL_ROLES",
    "RISK_LEVELS",
    "STATUS_TRANSITIONS",
    "EmergencyAccess",
    "EmergencyContact",
    "Episode",
    "RiskChange",
    "StatusChange",
    "Task",
    "FAMILY_SCOPES",
    "GENESIS_HASH",
    "STAFF_ROLES",
    "Assessment",
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
