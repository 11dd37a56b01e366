"""Progress notes: autosaved drafts, signing with the password, addenda, co-signatures, search.

A draft belongs to its author until it is signed. Signing stores a SHA-256 of the content
and freezes the row (the database refuses any later UPDATE or DELETE of it); corrections
are addenda. Search works on ``search_text``: the note's words, lower-case and without
accents, so "Jose" finds "José" alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from sqlalchemy import Integer, Select, String, bindparam, cast, func, literal, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import (
    CONTACT_TYPES,
    LATE_ENTRY_HOURS,
    NOTE_FORMATS,
    Client,
    NoteAddendum,
    NoteCosignature,
    NoteCosignWait,
    ProgressNote,
    Role,
    User,
    folded,
    utcnow,
)
from ..models.base import unindexed
from . import audit, users
from .errors import DomainError, StaleEdit
from .search import like_pattern, search_words

MAX_SECTION_LENGTH = 20000


class NoteSigned(DomainError):
    """A signed note does not change; corrections are addenda."""

    def __init__(self, note: ProgressNote) -> None:
        super().__init__("a signed note cannot change")
        self.note = note


class NotReady(DomainError):
    """What a note still needs before it can be signed, field by field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("the note is not ready to sign")
        self.problems = problems


class WrongPassword(DomainError):
    pass


def index_text(note: ProgressNote) -> str:
    """What search finds a note by: its sections and its place, folded (``models.folded``)."""
    parts = [note.sections.get(name) or "" for name in note.section_names]
    parts.append(note.location or "")
    return folded(" ".join(parts))


def content_of(note: ProgressNote) -> dict[str, Any]:
    """What the signature covers, in a stable form."""
    return {
        "client_id": note.client_id,
        "author_id": note.author_id,
        "contact_at": note.contact_at.isoformat() if note.contact_at else None,
        "duration_minutes": note.duration_minutes,
        "contact_type": note.contact_type,
        "format": note.format,
        "sections": {name: note.sections.get(name) or "" for name in note.section_names},
        "location": note.location,
        # A float always: SQLite hands a NUMERIC 12.0 back as the integer 12.
        "mileage": None if note.mileage is None else float(note.mileage),
        "goal_keys": sorted(note.goal_keys or []),
    }


def content_hash(note: ProgressNote) -> str:
    canonical = json.dumps(content_of(note), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def hash_matches(note: ProgressNote) -> bool:
    """Whether a signed note still holds what was signed."""
    return note.content_hash is not None and note.content_hash == content_hash(note)


# --- drafts -----------------------------------------------------------------------------


def _tenths(miles: Any) -> float | None:
    """Mileage as the column keeps it (a tenth of a mile, half up, as PostgreSQL rounds), so
    the signed fingerprint covers what is stored on every database."""
    if miles is None:
        return None
    return float(Decimal(str(miles)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _apply(note: ProgressNote, data: Mapping[str, Any]) -> None:
    """Copy the editor's fields onto a draft. Section text of another format is kept, so
    switching format back and forth loses nothing."""
    if "contact_type" in data and data["contact_type"] in CONTACT_TYPES:
        note.contact_type = data["contact_type"]
    if "format" in data and data["format"] in NOTE_FORMATS:
        note.format = data["format"]
    if "contact_at" in data:
        note.contact_at = data["contact_at"]
    if "duration_minutes" in data:
        note.duration_minutes = data["duration_minutes"]
    if "location" in data:
        note.location = (data["location"] or "").strip() or None
    if "mileage" in data:
        note.mileage = _tenths(data["mileage"])
    if "goal_keys" in data:
        note.goal_keys = list(dict.fromkeys(data["goal_keys"] or []))
    sections = dict(note.sections or {})
    for name, text in (data.get("sections") or {}).items():
        if any(name in names for names in NOTE_FORMATS.values()):
            sections[name] = (text or "")[:MAX_SECTION_LENGTH]
    note.sections = sections
    note.search_text = index_text(note)
    note.updated_at = utcnow()


def create_draft(
    client: Client, data: Mapping[str, Any], *, actor: User, ip: str | None
) -> ProgressNote:
    """The first autosave of a new note makes its draft."""
    note = ProgressNote(client_id=client.id, author_id=actor.id, status="draft", sections={})
    _apply(note, data)
    db.session.add(note)
    db.session.flush()
    _audit("create", note, actor=actor, ip=ip, detail="draft")
    return note


def save_draft(
    note: ProgressNote,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    """Autosave: the draft as the editor holds it, unless another tab saved in between."""
    if note.is_signed:
        raise NoteSigned(note)
    if note.author_id != actor.id:
        raise DomainError("only the author edits a draft")
    if note.version != expected_version:
        raise StaleEdit(note)
    _apply(note, data)
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEdit(note) from error
    _audit("update", note, actor=actor, ip=ip, detail="draft saved")


def readiness(note: ProgressNote, *, now: datetime) -> dict[str, str]:
    """What is missing before the note can be signed (field name -> problem code)."""
    problems: dict[str, str] = {}
    if note.contact_at is None:
        problems["contact_at"] = "required"
    elif note.contact_at > now + timedelta(minutes=5):
        problems["contact_at"] = "future"
    if not note.duration_minutes or note.duration_minutes <= 0:
        problems["duration_minutes"] = "required"
    if not any((note.sections.get(name) or "").strip() for name in note.section_names):
        problems["sections"] = "required"
    if note.contact_type == "home_visit" and not note.location:
        problems["location"] = "required"
    return problems


def sign(note: ProgressNote, *, password: str, actor: User, ip: str | None) -> None:
    """Freeze the note under the author's name; the password is asked again to sign."""
    if note.is_signed:
        raise NoteSigned(note)
    if note.author_id != actor.id:
        raise DomainError("only the author signs a note")
    check_password(actor, password, ip=ip)
    seal(note, actor=actor, ip=ip)


def check_password(actor: User, password: str, *, ip: str | None) -> None:
    """Signing asks for the password again; a wrong one counts towards the lock-out."""
    if not users.verify_password(actor, password):
        users.count_failure(actor.email, actor.id, ip=ip)
        raise WrongPassword("the password is not right")


def seal(note: ProgressNote, *, actor: User, ip: str | None) -> None:
    """Sign a draft whose author has just given their password."""
    if note.is_signed:
        raise NoteSigned(note)
    now = utcnow()
    problems = readiness(note, now=now)
    if problems:
        raise NotReady(problems)
    # Only the format's own sections are part of the signed note.
    note.sections = {name: note.sections.get(name) or "" for name in note.section_names}
    if note.contact_type != "home_visit":
        note.mileage = None
    note.search_text = index_text(note)
    note.status = "signed"
    note.signed_at = now
    assert note.contact_at is not None
    note.late_entry = now - note.contact_at > timedelta(hours=LATE_ENTRY_HOURS)
    note.needs_cosign = bool(actor.requires_cosign)
    note.content_hash = content_hash(note)
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEdit(note) from error
    _audit("sign", note, actor=actor, ip=ip, detail="late entry" if note.late_entry else None)


def add_addendum(note: ProgressNote, text: str, *, actor: User, ip: str | None) -> NoteAddendum:
    """A correction or addition to a signed note, kept beside it with its own author."""
    if not note.is_signed:
        raise DomainError("a draft is edited, not amended")
    text = (text or "").strip()
    if not text:
        raise DomainError("an addendum needs text")
    now = utcnow()
    digest = hashlib.sha256(
        f"{note.content_hash}\n{actor.id}\n{now.isoformat()}\n{text}".encode()
    ).hexdigest()
    addendum = NoteAddendum(
        note_id=note.id, author_id=actor.id, created_at=now, text=text, content_hash=digest
    )
    db.session.add(addendum)
    db.session.flush()
    _audit("create", note, actor=actor, ip=ip, detail=f"addendum {addendum.id}")
    return addendum


def cosign(note: ProgressNote, *, actor: User, ip: str | None) -> NoteCosignature:
    """A supervisor co-signs a signed note of someone who needs it."""
    if not note.awaiting_cosign:
        raise DomainError("this note is not waiting for a co-signature")
    if not may_cosign(note, actor):
        raise DomainError("the author's supervisor co-signs")
    signature = NoteCosignature(note_id=note.id, user_id=actor.id, signed_at=utcnow())
    db.session.add(signature)
    db.session.flush()
    _audit("sign", note, actor=actor, ip=ip, detail="co-signature")
    return signature


def may_cosign(note: ProgressNote, actor: User) -> bool:
    """A note waits in the queue of its author's supervisor, and only they co-sign it."""
    return (
        actor.role == Role.SUPERVISOR
        and actor.id != note.author_id
        and note.author.supervisor_id == actor.id
    )


def _audit(action: str, note: ProgressNote, *, actor: User, ip: str | None, detail: Any) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="progress_note",
        object_id=note.id,
        client_id=note.client_id,
        detail=detail,
    )


# --- finding notes ----------------------------------------------------------------------


@dataclass
class NoteFilters:
    contact_type: str = ""
    author_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    goal_key: str = ""
    unsigned: bool = False
    q: str = ""


def filtered(query: Select[Any], f: NoteFilters, *, zone: Any) -> Select[Any]:
    """Apply the list's filters and the word search to a query of notes."""
    if f.contact_type in CONTACT_TYPES:
        query = query.where(ProgressNote.contact_type == f.contact_type)
    if f.author_id:
        query = query.where(ProgressNote.author_id == f.author_id)
    if f.date_from:
        start = datetime.combine(f.date_from, datetime.min.time(), zone)
        query = query.where(ProgressNote.contact_at >= start)
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), datetime.min.time(), zone)
        query = query.where(ProgressNote.contact_at < end)
    if f.goal_key and re.fullmatch(r"[0-9a-f]{1,32}", f.goal_key):
        # goal_keys is a JSON list of hex keys; the quoted key cannot match by accident.
        query = query.where(
            func.coalesce(cast(ProgressNote.goal_keys, String), "").like(f'%"{f.goal_key}"%')
        )
    if f.unsigned:
        query = query.where(ProgressNote.status == "draft")
    for word in search_words(f.q):
        query = query.where(ProgressNote.search_text.like(like_pattern(word), escape="\\"))
    return query


def visible_to(query: Select[Any], user: User) -> Select[Any]:
    """Drafts are their author's alone; signed notes are the record's."""
    return query.where(or_(ProgressNote.status == "signed", ProgressNote.author_id == user.id))


# Each note with its author, co-signature and client, joined into the same query.
PEOPLE = (
    joinedload(ProgressNote.author),
    joinedload(ProgressNote.cosignature),
    joinedload(ProgressNote.client),
)


class Author(NamedTuple):
    id: int
    display_name: str


_AUTHORS = (
    select(User.id, User.display_name)
    .where(
        User.id.in_(
            select(ProgressNote.author_id).where(
                ProgressNote.client_id == bindparam("client_id", type_=Integer())
            )
        )
    )
    .order_by(User.sort_name)
)


def authors_of(client: Client) -> list[Author]:
    """Everyone who wrote a note about the client, by name (the notes list's filter): their
    ids and names only."""
    rows = db.session.execute(_AUTHORS, {"client_id": client.id})
    return [Author(*row) for row in rows]


def cosign_count_query(user: User, client_ids: Any) -> Select[Any]:
    """How many signed notes wait for this supervisor's co-signature, as one statement."""
    if user.role != Role.SUPERVISOR:
        return select(literal(0))
    return _waiting_for(select(func.count()).select_from(NoteCosignWait), user, client_ids)


def _waiting_for(query: Select[Any], user: User, client_ids: Any) -> Select[Any]:
    # The notes that wait, not the team's signed notes: the table holds the agency's backlog
    # (456 notes at 5,000 clients), however many notes were co-signed before. The client is
    # not searched by: searched, SQLite would probe for every author and every client of the
    # team.
    supervised = select(User.id).where(User.supervisor_id == user.id)
    return query.where(
        NoteCosignWait.author_id.in_(supervised),
        unindexed(NoteCosignWait.client_id).in_(client_ids),
    )


def cosign_queue(user: User, client_ids: Any, limit: int = 50) -> list[ProgressNote]:
    """Signed notes of the people this supervisor supervises that wait for a co-signature,
    about clients the supervisor may open (``client_ids``: a subquery of ids)."""
    if user.role != Role.SUPERVISOR:
        return []
    return list(
        db.session.scalars(
            _waiting_for(
                select(ProgressNote).join(
                    NoteCosignWait, NoteCosignWait.note_id == ProgressNote.id
                ),
                user,
                client_ids,
            )
            .options(selectinload(ProgressNote.author), selectinload(ProgressNote.client))
            .order_by(ProgressNote.signed_at, ProgressNote.id)
            .limit(limit)
        )
    )
