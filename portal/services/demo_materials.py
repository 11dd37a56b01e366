"""The agency's starter library: twelve education materials, each in English and Spanish,
kept as Markdown files under ``portal/data/materials/<slug>.<lang>.md``.

Each file opens with a small front matter block::

    ---
    title: Understanding depression
    summary: What depression is, how it feels, and what helps.
    topic: condition
    audience: both
    ---
    The text in Markdown...
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import (
    MATERIAL_AUDIENCES,
    MATERIAL_TOPICS,
    Client,
    Material,
    MaterialAssignment,
    MaterialTranslation,
)
from . import users

MATERIALS_DIR = Path(__file__).resolve().parent.parent / "data" / "materials"
FRONT_MATTER_KEYS = ("title", "summary", "topic", "audience")
# Given to Alex by their case manager, with a word about why.
ALEX_ASSIGNMENTS = {
    "what-a-care-plan-is": "We will go over your plan together at our next meeting.",
    "preparing-for-an-appointment": "A few ideas for your next visit with your psychiatrist.",
}


@dataclass(frozen=True)
class MaterialFile:
    slug: str
    locale: str
    title: str
    summary: str
    topic: str
    audience: str
    body: str


def parse(text: str, *, slug: str, locale: str) -> MaterialFile:
    """One material file: the front matter between ``---`` lines, then the Markdown."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(f"{slug}.{locale}: no front matter")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ValueError(f"{slug}.{locale}: the front matter is not closed") from None
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        if not colon:
            raise ValueError(f"{slug}.{locale}: {line!r} is not 'key: value'")
        meta[key.strip()] = value.strip()
    missing = [k for k in FRONT_MATTER_KEYS if not meta.get(k)]
    if missing:
        raise ValueError(f"{slug}.{locale}: missing {', '.join(missing)}")
    if meta["topic"] not in MATERIAL_TOPICS or meta["audience"] not in MATERIAL_AUDIENCES:
        raise ValueError(f"{slug}.{locale}: unknown topic or audience")
    return MaterialFile(
        slug=slug,
        locale=locale,
        title=meta["title"],
        summary=meta["summary"],
        topic=meta["topic"],
        audience=meta["audience"],
        body="\n".join(lines[end + 1 :]).strip() + "\n",
    )


def read_all(folder: Path = MATERIALS_DIR) -> dict[str, list[MaterialFile]]:
    """Every material file, grouped by slug (English first), in a stable order."""
    found: dict[str, list[MaterialFile]] = {}
    for path in sorted(folder.glob("*.md")):
        slug, _dot, locale = path.stem.rpartition(".")
        if not slug:
            raise ValueError(f"{path.name}: expected <slug>.<lang>.md")
        found.setdefault(slug, []).append(
            parse(path.read_text(encoding="utf-8"), slug=slug, locale=locale)
        )
    for files in found.values():
        files.sort(key=lambda f: (f.locale != "en", f.locale))
    return found


def load_demo_materials() -> int:
    """The starter library as general materials, and two of them given to Alex (skipped when
    any material exists)."""
    if db.session.scalar(select(Material.id).limit(1)) is not None:
        return 0
    admin = users.find_by_email("admin@example.org")
    created = 0
    by_slug: dict[str, Material] = {}
    for slug, files in read_all().items():
        first = files[0]
        material = Material(
            slug=slug,
            topic=first.topic,
            audience=first.audience,
            general=True,
            active=True,
            created_by_id=admin.id if admin else None,
            translations=[
                MaterialTranslation(locale=f.locale, title=f.title, summary=f.summary, body=f.body)
                for f in files
            ],
        )
        db.session.add(material)
        by_slug[slug] = material
        created += 1
    db.session.flush()
    alex = db.session.scalar(select(Client).where(Client.legal_name == "Alexander Example"))
    case_manager = users.find_by_email("cm@example.org")
    if alex is not None:
        for slug, note in ALEX_ASSIGNMENTS.items():
            if slug in by_slug:
                db.session.add(
                    MaterialAssignment(
                        material_id=by_slug[slug].id,
                        client_id=alex.id,
                        assigned_by_id=case_manager.id if case_manager else None,
                        note=note,
                    )
                )
                created += 1
        db.session.flush()
    return created
