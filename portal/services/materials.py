"""Education materials: writing them (a text per language), giving them to clients, and
reading them, in the reader's language when there is a translation and in English when not.

Markdown is stored as written and made safe on the way out: Python-Markdown turns it into
HTML, then nh3 (ammonia) keeps only an explicit list of tags and attributes, so a script,
an event handler or a ``javascript:`` link in a material can never reach a reader.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import markdown as markdown_lib
import nh3
from markupsafe import Markup
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import policy
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import (
    MATERIAL_AUDIENCES,
    MATERIAL_TOPICS,
    Client,
    Material,
    MaterialAssignment,
    MaterialRead,
    MaterialTranslation,
    User,
    folded,
    utcnow,
)
from . import audit
from .errors import DomainError, StaleEdit

FALLBACK_LOCALE = "en"
# Who reads what: a client reads materials for clients, a family member those for families.
CLIENT_AUDIENCES = ("client", "both")
FAMILY_AUDIENCES = ("family", "both")

TOPIC_LABELS = {
    "condition": _l("Understanding a condition"),
    "treatment": _l("Treatment and recovery"),
    "services": _l("Our services"),
    "family": _l("For families"),
    "crisis": _l("In a crisis"),
    "wellbeing": _l("Looking after yourself"),
}
AUDIENCE_LABELS = {
    "client": _l("Clients"),
    "family": _l("Families"),
    "both": _l("Clients and families"),
}

# --- rendering ---------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        *(f"h{n}" for n in range(1, 7)),
        "p",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "a",
        "blockquote",
        "hr",
        "br",
        "code",
        "pre",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
# "*" empty: no attribute on every tag (ammonia otherwise allows lang and title everywhere).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"*": set(), "a": {"href"}}
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Dropped with everything inside them, not only their tags.
DROPPED_WITH_CONTENT = frozenset({"script", "style"})


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """A link goes only to the web, an email address or a phone number: no relative or
    scheme-less address (``//host``), whatever ammonia would let through."""
    if tag == "a" and attribute == "href":
        scheme, colon, _rest = value.strip().partition(":")
        if not colon or scheme.lower() not in LINK_SCHEMES:
            return None
    return value


def render(text: str) -> Markup:
    """Markdown to HTML that is safe to put in a page as it is."""
    html = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"])
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # The material's title is the page's one <h1>: the body's headings start below it.
    clean = clean.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


# --- writing -----------------------------------------------------------------------------

TRANSLATION_FIELDS = ("title", "summary", "body")
MATERIAL_FIELDS = ("topic", "audience", "general")


def slugify(text: str) -> str:
    """A readable address from a title: "¿Qué es?" -> "que-es"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or "material"


def _free_slug(base: str) -> str:
    taken = set(
        db.session.scalars(
            select(Material.slug).where(or_(Material.slug == base, Material.slug.like(f"{base}-%")))
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _clean(value: Any) -> Any:
    return (value.strip() or None) if isinstance(value, str) else value


def _apply_material(material: Material, data: Mapping[str, Any]) -> None:
    for name in MATERIAL_FIELDS:
        if name in data and data[name] is not None:
            setattr(material, name, data[name])
    if material.topic not in MATERIAL_TOPICS:
        raise DomainError("unknown topic")
    if material.audience not in MATERIAL_AUDIENCES:
        raise DomainError("unknown audience")
    material.general = bool(material.general)


def _apply_translation(
    material: Material, locale: str, data: Mapping[str, Any]
) -> tuple[MaterialTranslation, bool]:
    """Set one language's text; returns the translation and whether it is new."""
    values = {name: _clean(data.get(name)) for name in TRANSLATION_FIELDS}
    if not values["title"]:
        raise DomainError("a material needs a title")
    if not values["body"]:
        raise DomainError("a material needs a text")
    translation = next((t for t in material.translations if t.locale == locale), None)
    added = translation is None
    if translation is None:
        translation = MaterialTranslation(locale=locale)
        material.translations.append(translation)
    translation.title = values["title"]
    translation.summary = values["summary"]
    translation.body = values["body"]
    translation.updated_at = utcnow()
    return translation, added


def create(
    data: Mapping[str, Any], *, locale: str, actor: User, ip: str | None, slug: str | None = None
) -> Material:
    """A new material with its first translation (in any language; English is the fallback
    readers get when their own is missing, so it is the usual first one)."""
    material = Material(created_by_id=actor.id, translations=[])
    _apply_material(material, data)
    _apply_translation(material, locale, data)
    material.slug = _free_slug(slugify(slug or str(data.get("title") or "")))
    db.session.add(material)
    db.session.flush()
    audit.record(
        "create", actor=actor, ip=ip, object_type="material", object_id=material.id, detail=locale
    )
    return material


def update(
    material: Material,
    data: Mapping[str, Any],
    *,
    locale: str,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> bool:
    """Save one language's text (adding that translation when it is new) and the material's
    topic, audience and "general"; raises StaleEdit when someone saved since the form was read.
    Returns whether a translation was added."""
    if material.version != expected_version:
        raise StaleEdit(material)
    _apply_material(material, data)
    _translation, added = _apply_translation(material, locale, data)
    # Touching the material bumps its version, so a change to any language is a change to it.
    material.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEdit(material) from error
    audit.record(
        "update",
        actor=actor,
        ip=ip,
        object_type="material",
        object_id=material.id,
        detail=f"{locale} added" if added else locale,
    )
    return added


def set_active(material: Material, active: bool, *, actor: User, ip: str | None) -> None:
    """Archive a material (readers no longer see it; assignments are kept) or bring it back."""
    if material.active == active:
        return
    material.active = active
    material.updated_at = utcnow()
    db.session.flush()
    audit.record(
        "update",
        actor=actor,
        ip=ip,
        object_type="material",
        object_id=material.id,
        detail="restored" if active else "archived",
    )


# --- assigning ---------------------------------------------------------------------------


def assign(
    material: Material, client: Client, *, note: str | None, actor: User, ip: str | None
) -> MaterialAssignment:
    """Give a material to a client (their family sees it too if the client shares materials)."""
    if not material.active:
        raise DomainError("the material is archived")
    existing = db.session.scalar(
        select(MaterialAssignment).where(
            MaterialAssignment.material_id == material.id,
            MaterialAssignment.client_id == client.id,
        )
    )
    if existing is not None:
        raise DomainError("already assigned")
    assignment = MaterialAssignment(
        material_id=material.id,
        client_id=client.id,
        assigned_by_id=actor.id,
        note=_clean(note),
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        "create",
        actor=actor,
        ip=ip,
        object_type="material_assignment",
        object_id=assignment.id,
        client_id=client.id,
        detail=material.slug,
    )
    return assignment


def unassign(assignment: MaterialAssignment, *, actor: User, ip: str | None) -> None:
    """Take a material back from a client (their reads are kept)."""
    audit.record(
        "delete",
        actor=actor,
        ip=ip,
        object_type="material_assignment",
        object_id=assignment.id,
        client_id=assignment.client_id,
        detail=assignment.material.slug,
    )
    db.session.delete(assignment)
    db.session.flush()


# --- reading -----------------------------------------------------------------------------


def pick_translation(material: Material, locale: str) -> tuple[MaterialTranslation | None, bool]:
    """The text in the reader's language, else English, else any; and whether it is a
    fallback (a language other than the reader's)."""
    by_locale = {t.locale: t for t in material.translations}
    if locale in by_locale:
        return by_locale[locale], False
    chosen = by_locale.get(FALLBACK_LOCALE) or next(iter(material.translations), None)
    return chosen, chosen is not None


@dataclass
class Entry:
    """One material as a reader sees it in a list or on its page."""

    material: Material
    translation: MaterialTranslation
    fallback: bool
    read_at: datetime | None = None
    assignment: MaterialAssignment | None = None
    # For family: the clients who shared it with them (empty for a general material).
    shared_by: list[Client] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.read_at is None

    @property
    def title(self) -> str:
        return self.translation.title


def _assigned_to(client_ids: Any) -> ColumnElement[bool]:
    return exists().where(
        MaterialAssignment.material_id == Material.id, MaterialAssignment.client_id.in_(client_ids)
    )


def client_condition(client: Client) -> ColumnElement[bool]:
    """What a client may read: active materials that are general for clients, or given to
    them (whatever the audience: their team chose it for them)."""
    return and_(
        Material.active.is_(True),
        or_(
            and_(Material.general.is_(True), Material.audience.in_(CLIENT_AUDIENCES)),
            _assigned_to([client.id]),
        ),
    )


def _shared_client_ids(user: User) -> Select[Any]:
    return policy.clients_shared_with(user, "materials").with_only_columns(Client.id)


def family_condition(user: User) -> ColumnElement[bool]:
    """What a family member may read: active general materials for families, and materials
    given to a client whose consent in force shares their materials."""
    return and_(
        Material.active.is_(True),
        or_(
            and_(Material.general.is_(True), Material.audience.in_(FAMILY_AUDIENCES)),
            _assigned_to(_shared_client_ids(user)),
        ),
    )


def _reads(user: User, material_ids: Iterable[int]) -> dict[int, datetime]:
    ids = list(material_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(MaterialRead.material_id, MaterialRead.read_at).where(
            MaterialRead.user_id == user.id, MaterialRead.material_id.in_(ids)
        )
    )
    return {material_id: read_at for material_id, read_at in rows}


def _entries(materials: Sequence[Material], locale: str) -> list[Entry]:
    entries = []
    for material in materials:
        translation, fallback = pick_translation(material, locale)
        if translation is not None:
            entries.append(Entry(material=material, translation=translation, fallback=fallback))
    return entries


def _sorted(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.material.topic, folded(e.title), e.material.id))


def by_topic(entries: Iterable[Entry]) -> list[tuple[str, list[Entry]]]:
    """Entries grouped by topic, topics in their usual order, entries in theirs."""
    groups: dict[str, list[Entry]] = {topic: [] for topic in MATERIAL_TOPICS}
    for entry in entries:
        groups.setdefault(entry.material.topic, []).append(entry)
    return [(topic, found) for topic, found in groups.items() if found]


def _visible(condition: ColumnElement[bool]) -> Select[Material]:
    return select(Material).options(selectinload(Material.translations)).where(condition)


def for_client(client: Client, locale: str, *, reader: User | None = None) -> list[Entry]:
    """The client's materials, those given to them first (newest first), then the general
    ones by topic and title; read dates are the reader's (the client's portal account)."""
    materials = db.session.scalars(_visible(client_condition(client))).all()
    assignments = {
        a.material_id: a
        for a in db.session.scalars(
            select(MaterialAssignment).where(MaterialAssignment.client_id == client.id)
        )
    }
    entries = _entries(materials, locale)
    reads = _reads(reader, (e.material.id for e in entries)) if reader is not None else {}
    for entry in entries:
        entry.assignment = assignments.get(entry.material.id)
        entry.read_at = reads.get(entry.material.id)
    assigned = sorted(
        (e for e in entries if e.assignment is not None),
        key=lambda e: e.assignment.assigned_at if e.assignment else utcnow(),
        reverse=True,
    )
    return assigned + _sorted([e for e in entries if e.assignment is None])


def for_family(user: User, locale: str) -> list[Entry]:
    """A family member's materials: each with the clients who shared it (if any)."""
    materials = db.session.scalars(_visible(family_condition(user))).all()
    shared_ids = _shared_client_ids(user)
    shared: dict[int, list[Client]] = {}
    rows = db.session.execute(
        select(MaterialAssignment.material_id, Client)
        .join(Client, Client.id == MaterialAssignment.client_id)
        .where(MaterialAssignment.client_id.in_(shared_ids))
        .order_by(Client.id)
    )
    for material_id, client in rows:
        shared.setdefault(material_id, []).append(client)
    entries = _entries(materials, locale)
    reads = _reads(user, (e.material.id for e in entries))
    for entry in entries:
        entry.shared_by = shared.get(entry.material.id, [])
        entry.read_at = reads.get(entry.material.id)
    return _sorted(entries)


def entry_for_client(client: Client, slug: str, locale: str) -> Entry | None:
    """One material the client may read, by its address; None for one they may not."""
    material = db.session.scalar(_visible(client_condition(client)).where(Material.slug == slug))
    if material is None:
        return None
    found = _entries([material], locale)
    if not found:
        return None
    entry = found[0]
    entry.assignment = db.session.scalar(
        select(MaterialAssignment).where(
            MaterialAssignment.material_id == material.id,
            MaterialAssignment.client_id == client.id,
        )
    )
    return entry


def entry_for_family(user: User, slug: str, locale: str) -> Entry | None:
    """One material the family member may read, by its address; None for one they may not."""
    material = db.session.scalar(_visible(family_condition(user)).where(Material.slug == slug))
    if material is None:
        return None
    found = _entries([material], locale)
    if not found:
        return None
    entry = found[0]
    entry.shared_by = list(
        db.session.scalars(
            select(Client)
            .where(
                Client.id.in_(_shared_client_ids(user)),
                Client.id.in_(
                    select(MaterialAssignment.client_id).where(
                        MaterialAssignment.material_id == material.id
                    )
                ),
            )
            .order_by(Client.id)
        )
    )
    return entry


def mark_read(material: Material, user: User) -> MaterialRead:
    """Note that this person opened the material; the first time is the one kept."""
    query = select(MaterialRead).where(
        MaterialRead.material_id == material.id, MaterialRead.user_id == user.id
    )
    existing = db.session.scalar(query)
    if existing is not None:
        return existing
    read = MaterialRead(material_id=material.id, user_id=user.id, read_at=utcnow())
    try:
        # A second tab may record the same first read at the same moment: keep theirs.
        with db.session.begin_nested():
            db.session.add(read)
    except IntegrityError:
        found = db.session.scalar(query)
        assert found is not None
        return found
    return read


def unread_count_query(client: Client, *, reader_id: Any = None) -> Select[Any]:
    """The count of readings the team gave the client that their portal account (or
    ``reader_id``, which may be a bound parameter) has not opened yet, as a statement (the
    client's home adds it to its other counts)."""
    if reader_id is None:
        reader_id = client.portal_user_id or -1
    read = exists().where(
        MaterialRead.material_id == Material.id, MaterialRead.user_id == reader_id
    )
    return (
        select(func.count())
        .select_from(Material)
        .where(
            Material.active.is_(True),
            _assigned_to([client.id]),
            ~read,
            exists().where(MaterialTranslation.material_id == Material.id),
        )
    )


def unread_count(client: Client) -> int:
    """How many of the readings the team gave the client their portal account has not
    opened yet (for the client's home, which says they come from the care team)."""
    return int(db.session.scalar(unread_count_query(client)) or 0)


# --- the staff library -------------------------------------------------------------------


@dataclass
class LibraryFilters:
    q: str = ""
    topic: str = ""
    audience: str = ""
    include_archived: bool = False


def library(f: LibraryFilters) -> Select[Material]:
    """The staff library's query: a title in any language, topic, audience, archived or not."""
    query = select(Material)
    if not f.include_archived:
        query = query.where(Material.active.is_(True))
    if f.topic:
        query = query.where(Material.topic == f.topic)
    if f.audience:
        query = query.where(Material.audience == f.audience)
    if f.q:
        escaped = f.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            exists().where(
                MaterialTranslation.material_id == Material.id,
                func.lower(MaterialTranslation.title).like(f"%{escaped}%", escape="\\"),
            )
        )
    return query


def assignment_counts(material_ids: Iterable[int]) -> dict[int, int]:
    """How many clients have each material, in one grouped query."""
    ids = list(material_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(MaterialAssignment.material_id, func.count())
        .where(MaterialAssignment.material_id.in_(ids))
        .group_by(MaterialAssignment.material_id)
    )
    return {material_id: int(count) for material_id, count in rows}


def read_count(material: Material) -> int:
    """How many people have opened the material."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(MaterialRead)
            .where(MaterialRead.material_id == material.id)
        )
        or 0
    )


@dataclass
class AssignedRow:
    assignment: MaterialAssignment
    translation: MaterialTranslation | None
    read_at: datetime | None


def assigned_to(client: Client, locale: str) -> list[AssignedRow]:
    """A client's assigned materials for their record, each with when the client read it."""
    assignments = db.session.scalars(
        select(MaterialAssignment)
        .options(selectinload(MaterialAssignment.material).selectinload(Material.translations))
        .where(MaterialAssignment.client_id == client.id)
        .order_by(MaterialAssignment.assigned_at.desc(), MaterialAssignment.id.desc())
    ).all()
    reads: dict[int, datetime] = {}
    if client.portal_user_id is not None and assignments:
        rows = db.session.execute(
            select(MaterialRead.material_id, MaterialRead.read_at).where(
                MaterialRead.user_id == client.portal_user_id,
                MaterialRead.material_id.in_([a.material_id for a in assignments]),
            )
        )
        reads = {material_id: read_at for material_id, read_at in rows}
    return [
        AssignedRow(
            assignment=a,
            translation=pick_translation(a.material, locale)[0],
            read_at=reads.get(a.material_id),
        )
        for a in assignments
    ]


def assignable(client: Client) -> list[Material]:
    """Active materials not yet given to this client, for the assign form."""
    given = select(MaterialAssignment.material_id).where(MaterialAssignment.client_id == client.id)
    return list(
        db.session.scalars(
            select(Material)
            .options(selectinload(Material.translations))
            .where(Material.active.is_(True), Material.id.not_in(given))
            .order_by(Material.slug)
        )
    )
