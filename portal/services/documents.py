"""Documents on a client's record: checked by content, stored outside the web root, hashed.

What a file is comes from its bytes (``filetype`` reads the signature; Pillow or pypdf must
then open it), never from its name or the browser's word. Files are stored under a random
name in the document folder; the uploaded name is only shown.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from pathlib import Path

import filetype
from flask import current_app
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import DOCUMENT_KINDS, DOCUMENT_TYPES, Client, Document, User, utcnow
from . import audit
from .errors import DomainError


class UploadRefused(DomainError):
    """Why a file was not accepted: ``empty``, ``too_large`` or ``not_allowed``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def folder() -> Path:
    configured = current_app.config.get("DOCUMENT_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "documents"


def path_of(document: Document) -> Path:
    return folder() / document.storage_name


def detect(data: bytes) -> str | None:
    """The content type of an allowed file (PDF, PNG, JPEG) that really opens, else None."""
    kind = filetype.guess(data)
    if kind is None or kind.mime not in DOCUMENT_TYPES:
        return None
    try:
        if kind.mime == "application/pdf":
            PdfReader(io.BytesIO(data), strict=False).pages[0]  # noqa: B018 - must open
        else:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except (PdfReadError, UnidentifiedImageError, OSError, IndexError, ValueError):
        return None
    return str(kind.mime)


def store(
    client: Client,
    upload: FileStorage,
    *,
    kind: str,
    description: str | None,
    actor: User,
    ip: str | None,
) -> Document:
    """Check the upload, write it under a random name, and record it with its SHA-256."""
    if kind not in DOCUMENT_KINDS:
        raise DomainError("unknown document kind")
    limit = int(current_app.config["DOCUMENT_MAX_BYTES"])
    data = upload.stream.read(limit + 1)
    if not data:
        raise UploadRefused("empty")
    if len(data) > limit:
        raise UploadRefused("too_large")
    content_type = detect(data)
    if content_type is None:
        raise UploadRefused("not_allowed")
    storage_name = f"{client.id}/{secrets.token_hex(16)}.{DOCUMENT_TYPES[content_type]}"
    target = folder() / storage_name
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(target, "xb") as out:
        out.write(data)
    target.chmod(0o600)
    document = Document(
        client_id=client.id,
        kind=kind,
        description=(description or "").strip() or None,
        original_name=Path(upload.filename or "document").name[:255],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=storage_name,
        uploaded_by_id=actor.id,
    )
    db.session.add(document)
    db.session.flush()
    _audit("create", document, actor=actor, ip=ip, detail=kind)
    return document


def record_download(document: Document, *, actor: User, ip: str | None, inline: bool) -> None:
    _audit("export", document, actor=actor, ip=ip, detail="preview" if inline else "download")


def remove(document: Document, *, actor: User, ip: str | None) -> None:
    """Take a document off the record (soft: the file and its row stay for the audit)."""
    if document.deleted_at is None:
        document.deleted_at = utcnow()
        db.session.flush()
        _audit("delete", document, actor=actor, ip=ip, detail=None)


def _audit(
    action: str, document: Document, *, actor: User, ip: str | None, detail: str | None
) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="document",
        object_id=document.id,
        client_id=document.client_id,
        detail=detail,
    )
