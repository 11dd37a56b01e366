"""Configuration classes. Every value can be overridden with a ``PORTAL_*`` variable."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class Config:
    """Settings shared by every environment; the demo configuration uses them as they are."""

    ENV_NAME = "demo"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    AGENCY_NAME = "Waypoint Community Services"
    # Where people reach the portal: links in emails sent from the command line (reminders).
    PUBLIC_URL = "http://127.0.0.1:5000"
    # The agency's own crisis line, shown next to 988 wherever help is offered.
    CRISIS_LINE_NAME = "Waypoint crisis line"
    CRISIS_LINE_PHONE = "555-0100"
    TIMEZONE = "America/Chicago"
    LANGUAGES = ["en", "es"]
    BABEL_DEFAULT_LOCALE = "en"

    SESSION_COOKIE_NAME = "waypoint_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Flask refuses a cookie whose signature is older than this; the server-side
    # session's own limits (below) end sessions sooner, so keep this above them.
    PERMANENT_SESSION_LIFETIME = 13 * 60 * 60
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session that holds it
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    HSTS = False

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    # Sessions: idle sign-out by role, an absolute limit, a warning before the end.
    IDLE_TIMEOUT_STAFF = 15 * 60
    IDLE_TIMEOUT_PORTAL = 30 * 60
    SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
    SESSION_WARNING_SECONDS = 60
    REAUTH_SECONDS = 5 * 60

    # Lock-out is per email address and lives in the database.
    LOCKOUT_THRESHOLD = 5
    LOCKOUT_MINUTES = 15

    # Per-IP rate limits (Flask-Limiter). A shared store is required in production.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI: str | None = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # If the shared store (Redis) is down, count in this process rather than refuse to sign in.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SIGN_IN = "10 per minute"
    RATELIMIT_EMAIL = "5 per minute"

    # Behind a load balancer: how many proxies set X-Forwarded-For (0 = none trusted).
    PROXY_FIX_X_FOR = 0

    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 1024
    RESET_TOKEN_MINUTES = 30
    SIGN_IN_LINKS_ENABLED = True
    SIGN_IN_LINK_MINUTES = 15
    MFA_REQUIRED_FOR_STAFF = False
    EMERGENCY_ACCESS_MINUTES = 60
    INVITE_TOKEN_DAYS = 7
    CASELOAD_PAGE_SIZE = 25
    # More instrument files (JSON) beside the shipped ones, e.g. an agency's own.
    INSTRUMENT_DIRS: tuple[str, ...] = ()
    MFA_ISSUER = "Waypoint"
    # Care plans: when a signed plan is due for review, and whether a supervisor approves it
    # before it comes into force (an agency's choice).
    CARE_PLAN_REVIEW_DAYS = 90
    CARE_PLAN_APPROVAL_REQUIRED = False
    # Uploaded documents: a folder outside the web root (default: instance/documents).
    DOCUMENT_FOLDER: str | None = None
    DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
    # A directory entry not checked for this many months is flagged for re-verification.
    RESOURCE_VERIFY_MONTHS = 12
    # Appointments: a client may cancel or ask to move one up to this many hours before it;
    # reminders go out this many hours before (``send-reminders``, run from cron).
    APPOINTMENT_NOTICE_HOURS = 24
    # The number clients call to change an appointment (not the crisis line).
    APPOINTMENT_PHONE = "555-0110"
    APPOINTMENT_MINUTES = 60
    REMINDER_HOURS = 24
    # A message from a client or family member not answered within this many working hours
    # (Monday to Friday, 9 to 17 in the agency's zone) is raised to the supervisor.
    MESSAGE_ANSWER_HOURS = 8

    # "file" writes each message as .eml under instance/mail; "smtp" sends it.
    MAIL_BACKEND = "file"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Waypoint <no-reply@waypoint.example.org>"

    DEMO_PASSWORD = "waypoint-demo"  # noqa: S105 - the documented demo sign-in


class DemoConfig(Config):
    """What ``make run`` serves: SQLite under instance/, mail written to files."""


class TestingConfig(Config):
    """The test suite: a database per test, mail to a local SMTP sink."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"  # noqa: S105
    MAIL_BACKEND = "smtp"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_SUPPRESS_SEND = False  # tests deliver to a real local SMTP sink
    SQLALCHEMY_RECORD_QUERIES = True


class ProductionConfig(Config):
    """Behind TLS with PostgreSQL; refuses to start without its secrets."""

    ENV_NAME = "production"
    # __Host- binds the cookie to this exact host over HTTPS, path / and no Domain.
    SESSION_COOKIE_NAME = "__Host-waypoint_session"
    SESSION_COOKIE_SECURE = True
    MFA_REQUIRED_FOR_STAFF = True
    RATELIMIT_STORAGE_URI = None
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    MAIL_BACKEND = "smtp"


CONFIGS: dict[str, type[Config]] = {
    "demo": DemoConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(env_name: str | None) -> type[Config]:
    """Pick the configuration class named by ``PORTAL_ENV`` (demo when unset)."""
    name = (env_name or "demo").strip().lower()
    if name not in CONFIGS:
        raise RuntimeError(f"PORTAL_ENV={name!r} is not one of {', '.join(CONFIGS)}")
    return CONFIGS[name]


def sqlite_url(path: Path) -> str:
    """An SQLAlchemy URL for an SQLite file."""
    return f"sqlite:///{path}"


def instance_secret_key(instance_path: Path) -> str:
    """Read the demo's generated secret key, creating it on first use."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        os.chmod(key_file, 0o600)
    return key_file.read_text().strip()
