"""The resource directory: entries, search, re-verification, and CSV import and export.

An import is checked whole before anything is saved: the preview lists each line as
created, updated or rejected (with why), and confirming applies it in one transaction.
A row with an ``id`` updates that entry, so an exported file imported again creates
nothing new.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import RESOURCE_CATEGORIES, Resource, User, folded, utcnow
from . import audit
from .errors import DomainError
from .search import like_pattern, search_words

FIELDS = (
    "name",
    "category",
    "description",
    "address",
    "phone",
    "website",
    "hours",
    "languages",
    "eligibility",
    "cost",
    "walk_ins",
    "active",
    "last_verified_on",
)
CSV_COLUMNS = ("id", *FIELDS)
MAX_IMPORT_ROWS = 5000
# The columns' sizes in the database: a longer value is refused at the preview, not at saving.
MAX_LENGTHS = {"name": 200, "address": 300, "phone": 40, "website": 300, "hours": 300, "cost": 200}


def _index(resource: Resource) -> str:
    return folded(" ".join([resource.name, resource.description or "", resource.category]))


def _apply(resource: Resource, data: Mapping[str, Any]) -> None:
    for name in FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip() or None
        setattr(resource, name, value)
    if not resource.name:
        raise DomainError("a resource needs a name")
    if resource.category not in RESOURCE_CATEGORIES:
        raise DomainError("unknown category")
    resource.languages = sorted(set(resource.languages or []))
    resource.walk_ins = bool(resource.walk_ins)
    resource.active = True if resource.active is None else bool(resource.active)
    resource.search_text = _index(resource)
    resource.updated_at = utcnow()


def create(data: Mapping[str, Any], *, actor: User, ip: str | None) -> Resource:
    resource = Resource()
    _apply(resource, data)
    db.session.add(resource)
    db.session.flush()
    _audit("create", resource, actor=actor, ip=ip)
    return resource


def update(resource: Resource, data: Mapping[str, Any], *, actor: User, ip: str | None) -> Resource:
    _apply(resource, data)
    db.session.flush()
    _audit("update", resource, actor=actor, ip=ip)
    return resource


def _audit(action: str, resource: Resource, *, actor: User, ip: str | None) -> None:
    audit.record(action, actor=actor, ip=ip, object_type="resource", object_id=resource.id)


def needs_verification(resource: Resource, today: date, months: int) -> bool:
    """Never checked, or checked longer ago than the agency's limit."""
    if resource.last_verified_on is None:
        return True
    years, month = divmod(today.month - 1 - months, 12)
    year, month = today.year + years, month + 1
    # The same day that many months back, or that month's last day (March 31st -> Feb 28th).
    limit = date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    return resource.last_verified_on < limit


@dataclass
class DirectoryFilters:
    q: str = ""
    category: str = ""
    language: str = ""
    walk_ins: bool = False
    include_retired: bool = False
    sort: str = "name"


def search(f: DirectoryFilters) -> Select[Any]:
    """The directory's query: ``matching`` in the chosen ``order``."""
    return matching(f).order_by(*order(f))


def matching(f: DirectoryFilters) -> Select[Any]:
    """The entries that match: words (accent- and case-blind) across name, description and
    category, then the filters."""
    query = select(Resource)
    if not f.include_retired:
        query = query.where(Resource.active.is_(True))
    for word in search_words(f.q):
        query = query.where(Resource.search_text.like(like_pattern(word), escape="\\"))
    if f.category in RESOURCE_CATEGORIES:
        query = query.where(Resource.category == f.category)
    if f.language:
        # languages is a JSON list of codes; the quoted code cannot match by accident.
        query = query.where(
            func.coalesce(func.cast(Resource.languages, db.Text), "").like(f'%"{f.language}"%')
        )
    if f.walk_ins:
        query = query.where(Resource.walk_ins.is_(True))
    return query


def order(f: DirectoryFilters) -> tuple[Any, ...]:
    """The directory's order: by name, by category then name, or the latest checked first."""
    if f.sort == "verified":
        return (Resource.last_verified_on.desc().nulls_last(), Resource.id)
    if f.sort == "category":
        return (Resource.category, Resource.sort_name, Resource.id)
    return (Resource.sort_name, Resource.id)


# --- CSV ----------------------------------------------------------------------------------


def export_csv(resources: Iterable[Resource]) -> str:
    """Every column an import reads, one row per entry (languages joined by "|")."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in resources:
        writer.writerow(
            [
                r.id,
                r.name,
                r.category,
                r.description or "",
                r.address or "",
                r.phone or "",
                r.website or "",
                r.hours or "",
                "|".join(r.languages or []),
                r.eligibility or "",
                r.cost or "",
                "yes" if r.walk_ins else "no",
                "yes" if r.active else "no",
                r.last_verified_on.isoformat() if r.last_verified_on else "",
            ]
        )
    return out.getvalue()


@dataclass
class ImportRow:
    line: int
    action: str  # create, update, reject
    name: str
    problems: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    resource_id: int | None = None


YES = {"yes", "y", "true", "1", "sí", "si"}
NO = {"no", "n", "false", "0", ""}


def _flag(value: str, problems: list[str], column: str) -> bool:
    text = (value or "").strip().lower()
    if text in YES:
        return True
    if text not in NO:
        problems.append(f"bad_yes_no:{column}")
    return False


def _web_address(text: str) -> bool:
    """Empty, or an http(s) address with a host (the form asks for the same)."""
    if not text:
        return True
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and "." in parts.netloc and " " not in text


def parse_csv(text: str, languages: Iterable[str]) -> list[ImportRow]:
    """Check every line; nothing is saved here."""
    known_languages = set(languages)
    reader = csv.DictReader(io.StringIO(text))
    missing = {"name", "category"} - set(reader.fieldnames or [])
    if missing:
        raise DomainError("missing_columns:" + ",".join(sorted(missing)))
    rows: list[ImportRow] = []
    existing = {r.id: r for r in db.session.scalars(select(Resource))}
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise DomainError("too_many_rows")
        problems: list[str] = []
        name = (raw.get("name") or "").strip()
        if not name:
            problems.append("no_name")
        category = (raw.get("category") or "").strip()
        if category not in RESOURCE_CATEGORIES:
            problems.append("bad_category")
        codes = [c.strip() for c in (raw.get("languages") or "").split("|") if c.strip()]
        if any(c not in known_languages for c in codes):
            problems.append("bad_language")
        for column, limit in MAX_LENGTHS.items():
            if len((raw.get(column) or "").strip()) > limit:
                problems.append(f"too_long:{column}")
        if not _web_address((raw.get("website") or "").strip()):
            problems.append("bad_website")
        verified: date | None = None
        if (raw.get("last_verified_on") or "").strip():
            try:
                verified = date.fromisoformat(raw["last_verified_on"].strip())
            except ValueError:
                problems.append("bad_date")
        data = {
            "name": name,
            "category": category,
            "description": raw.get("description"),
            "address": raw.get("address"),
            "phone": raw.get("phone"),
            "website": raw.get("website"),
            "hours": raw.get("hours"),
            "languages": codes,
            "eligibility": raw.get("eligibility"),
            "cost": raw.get("cost"),
            "walk_ins": _flag(raw.get("walk_ins") or "", problems, "walk_ins"),
            "active": _flag(raw.get("active") or "yes", problems, "active"),
            "last_verified_on": verified,
        }
        resource_id = None
        raw_id = (raw.get("id") or "").strip()
        if raw_id:
            if not raw_id.isdigit() or int(raw_id) not in existing:
                problems.append("unknown_id")
            else:
                resource_id = int(raw_id)
        action = "reject" if problems else ("update" if resource_id else "create")
        rows.append(ImportRow(number, action, name, problems, data, resource_id))
    return rows


def apply_import(rows: list[ImportRow], *, actor: User, ip: str | None) -> tuple[int, int]:
    """Create and update what the preview showed (rejected lines are left out)."""
    created = updated = 0
    for row in rows:
        if row.action == "create":
            create(row.data, actor=actor, ip=ip)
            created += 1
        elif row.action == "update" and row.resource_id is not None:
            resource = db.session.get(Resource, row.resource_id)
            if resource is not None:
                update(resource, row.data, actor=actor, ip=ip)
                updated += 1
    return created, updated
