"""Safety plans: every save is a new complete version; nothing is edited in place.

The client and the case manager build the plan together: staff edit every section and
choose which sections the client may add to from the portal; the client's additions are
marked as theirs. 988 and the agency's crisis line are not items: every rendering of every
version lists them first among the professionals, so no save can drop them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import PHONE_SECTIONS, SAFETY_SECTIONS, Client, SafetyPlanVersion, User, utcnow
from . import audit
from .errors import DomainError, StaleEdit

MAX_ITEMS = 12
MAX_PINNED = 3


def current(client: Client) -> SafetyPlanVersion | None:
    return db.session.scalar(
        select(SafetyPlanVersion)
        .where(SafetyPlanVersion.client_id == client.id)
        .order_by(SafetyPlanVersion.number.desc())
        .limit(1)
    )


def versions(client: Client) -> list[SafetyPlanVersion]:
    return list(
        db.session.scalars(
            select(SafetyPlanVersion)
            .where(SafetyPlanVersion.client_id == client.id)
            .order_by(SafetyPlanVersion.number.desc())
        )
    )


def _next(
    client: Client,
    base: SafetyPlanVersion | None,
    expected: int,
    *,
    actor: User,
    by_client: bool,
    change: str,
) -> SafetyPlanVersion:
    """A new version copied from the latest, refused when someone saved since it was read."""
    latest_number = (
        db.session.scalar(
            select(func.max(SafetyPlanVersion.number)).where(
                SafetyPlanVersion.client_id == client.id
            )
        )
        or 0
    )
    if latest_number != expected:
        raise StaleEdit(base)
    version = SafetyPlanVersion(
        client_id=client.id,
        number=latest_number + 1,
        sections={k: [dict(i) for i in v] for k, v in (base.sections if base else {}).items()},
        client_sections=list(base.client_sections) if base else [],
        pinned=list(base.pinned) if base else [],
        saved_by_id=actor.id,
        saved_at=utcnow(),
        by_client=by_client,
        change=change[:200],
    )
    return version


def _store(version: SafetyPlanVersion, *, actor: User, ip: str | None) -> SafetyPlanVersion:
    db.session.add(version)
    db.session.flush()
    audit.record(
        "update" if version.number > 1 else "create",
        actor=actor,
        ip=ip,
        object_type="safety_plan",
        object_id=version.id,
        client_id=version.client_id,
        detail=f"version {version.number}: {version.change}",
    )
    return version


def _clean_item(section: str, text: str, phone: str | None) -> tuple[str, str | None]:
    if section not in SAFETY_SECTIONS:
        raise DomainError("unknown section")
    text = (text or "").strip()
    if not text:
        raise DomainError("an item needs text")
    phone = (phone or "").strip() or None if section in PHONE_SECTIONS else None
    return text[:300], (phone[:40] if phone else None)


def _may_client_edit(version: SafetyPlanVersion | None, section: str) -> bool:
    return version is not None and section in (version.client_sections or [])


def add_item(
    client: Client,
    section: str,
    text: str,
    phone: str | None,
    *,
    expected: int,
    actor: User,
    ip: str | None,
    by_client: bool = False,
) -> SafetyPlanVersion:
    """Add an item at the end of a section (the client only in the sections staff chose)."""
    base = current(client)
    text, phone = _clean_item(section, text, phone)
    # A plan changed since it was read answers as a conflict first (the text is kept), even
    # when the change closed the section the client was writing in.
    version = _next(
        client, base, expected, actor=actor, by_client=by_client, change=f"add {section}"
    )
    if by_client and not _may_client_edit(base, section):
        raise DomainError("this section is not open to the client")
    items = version.sections.setdefault(section, [])
    if len(items) >= MAX_ITEMS:
        raise DomainError("a section holds at most twelve items")
    items.append({"key": uuid.uuid4().hex, "text": text, "phone": phone, "by_client": by_client})
    return _store(version, actor=actor, ip=ip)


def _find(version: SafetyPlanVersion, key: str) -> tuple[str, int]:
    for section, items in version.sections.items():
        for index, item in enumerate(items):
            if item.get("key") == key:
                return section, index
    raise DomainError("no such item")


def edit_item(
    client: Client,
    key: str,
    text: str,
    phone: str | None,
    *,
    expected: int,
    actor: User,
    ip: str | None,
) -> SafetyPlanVersion:
    base = current(client)
    version = _next(client, base, expected, actor=actor, by_client=False, change="edit")
    section, index = _find(version, key)
    text, phone = _clean_item(section, text, phone)
    version.sections[section][index].update(text=text, phone=phone)
    version.change = f"edit {section}"
    return _store(version, actor=actor, ip=ip)


def remove_item(
    client: Client, key: str, *, expected: int, actor: User, ip: str | None
) -> SafetyPlanVersion:
    base = current(client)
    version = _next(client, base, expected, actor=actor, by_client=False, change="remove")
    section, index = _find(version, key)
    version.sections[section].pop(index)
    version.pinned = [k for k in version.pinned if k != key]
    version.change = f"remove {section}"
    return _store(version, actor=actor, ip=ip)


def move_item(
    client: Client, key: str, direction: str, *, expected: int, actor: User, ip: str | None
) -> SafetyPlanVersion:
    base = current(client)
    version = _next(client, base, expected, actor=actor, by_client=False, change="move")
    section, index = _find(version, key)
    other = index - 1 if direction == "up" else index + 1
    items = version.sections[section]
    if direction not in ("up", "down") or not 0 <= other < len(items):
        raise DomainError("cannot move further")
    items[index], items[other] = items[other], items[index]
    version.change = f"move {section}"
    return _store(version, actor=actor, ip=ip)


def set_client_sections(
    client: Client, sections: list[str], *, expected: int, actor: User, ip: str | None
) -> SafetyPlanVersion:
    """Which sections the client may add to from the portal."""
    base = current(client)
    version = _next(client, base, expected, actor=actor, by_client=False, change="sections")
    version.client_sections = [s for s in SAFETY_SECTIONS if s in sections]
    return _store(version, actor=actor, ip=ip)


def set_pinned(
    client: Client, keys: list[str], *, expected: int, actor: User, ip: str | None
) -> SafetyPlanVersion:
    """The client's pins (up to three coping steps or people) for the help screen."""
    base = current(client)
    if base is None:
        raise DomainError("no plan yet")
    allowed = {i["key"] for s in ("coping", "distraction", "help_people") for i in base.items(s)}
    chosen = [k for k in dict.fromkeys(keys) if k in allowed]
    if len(chosen) > MAX_PINNED:
        raise DomainError("pin up to three")
    version = _next(client, base, expected, actor=actor, by_client=True, change="pins")
    version.pinned = chosen
    return _store(version, actor=actor, ip=ip)


def pinned_items(version: SafetyPlanVersion | None) -> list[dict[str, Any]]:
    if version is None:
        return []
    by_key = {i["key"]: i for s in SAFETY_SECTIONS for i in version.items(s)}
    return [by_key[k] for k in version.pinned or [] if k in by_key]
