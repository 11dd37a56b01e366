"""Staff two-step sign-in: TOTP (pyotp), a QR code (segno) and single-use recovery codes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import RecoveryCode, User, utcnow
from . import audit

RECOVERY_CODE_COUNT = 10
STEP_SECONDS = 30
# Accept the previous and next 30-second step too: phone clocks drift.
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config["MFA_ISSUER"]
    )


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no script, no style attribute)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, dark="#1d2428", light="#ffffff"))


def _normalize(code: str) -> str:
    return "".join(ch for ch in code if ch.isalnum()).lower()


def _matching_step(secret: str, code: str, at: datetime) -> int | None:
    code = _normalize(code)
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_code(user: User, code: str) -> bool:
    """Check a code from the app; each time step is accepted once, so a seen code is refused."""
    if user.totp_secret is None:
        return False
    step = _matching_step(user.totp_secret, code, utcnow())
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _code_hash(user: User, code: str) -> str:
    return hashlib.sha256(f"{user.id}:{_normalize(code)}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(user, code)))
    db.session.flush()
    return codes


def enable(user: User, secret: str, code: str, *, ip: str | None) -> list[str] | None:
    """Turn MFA on when the code proves the app is set up; returns the recovery codes once."""
    step = _matching_step(secret, code, utcnow())
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_last_step = step
    user.mfa_enabled_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("mfa_enable", actor=user, ip=ip, object_type="user", object_id=user.id)
    return codes


def use_recovery_code(user: User, code: str, *, ip: str | None) -> bool:
    """Accept an unused recovery code once."""
    if not user.has_mfa or not _normalize(code):
        return False
    record = db.session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(user, code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if record is None:
        return False
    changed = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.id == record.id, RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    audit.record("recovery_code_used", actor=user, ip=ip, object_type="user", object_id=user.id)
    return True


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def disable(user: User, *, actor: User | None, ip: str | None, action: str = "mfa_disable") -> None:
    """Turn MFA off and forget the secret and the recovery codes."""
    user.totp_secret = None
    user.mfa_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(action, actor=actor, ip=ip, object_type="user", object_id=user.id)
