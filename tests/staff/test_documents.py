"""Documents on a client's record: checked by content, stored outside the web root, served
only through the policy, and every look at one audited."""

from __future__ import annotations

import hashlib
import io
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

import pytest
from flask import Flask
from PIL import Image
from pypdf import PdfWriter
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

import portal
from portal.extensions import db
from portal.models import AuditEvent, Document, User
from portal.services import documents

from ..factories import make_client
from .support import HTMX, ROLES, events, field_error, page, post, sign_in, sign_in_as, without_csrf

TEN_MB = 10 * 1024 * 1024
M = TypeVar("M")


def reloaded(model: type[M], row_id: int) -> M:
    """The row as the database has it now."""
    row = db.session.get(model, row_id)
    assert row is not None
    return row


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(out, format=fmt)
    return out.getvalue()


def upload(browser: Any, client_id: int, data: bytes, name: str, **fields: Any) -> Any:
    """Post the upload form; the body is built in memory, as large as it has to be."""
    form = {
        "csrf_token": browser.csrf,
        "file": FileStorage(io.BytesIO(data), filename=name),
        "kind": "id",
        "description": "",
        **fields,
    }
    boundary, body = encode_multipart(form)
    return browser.post(
        f"/staff/clients/{client_id}/documents",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def fetch(browser: Any, url: str, headers: dict[str, str] | None = None) -> Any:
    """GET, read the whole answer and let go of the file behind it."""
    response = browser.get(url, headers=headers)
    response.get_data()
    response.close()
    return response


def same_page(one: Any, one_url: str, other: Any, other_url: str) -> bool:
    """Two answers are the same page but for their own address (and the session's token)."""
    return without_csrf(page(one)).replace(one_url, "X") == without_csrf(page(other)).replace(
        other_url, "X"
    )


def stored(client_id: int | None = None) -> list[Document]:
    query = select(Document).order_by(Document.id)
    if client_id is not None:
        query = query.where(Document.client_id == client_id)
    return list(db.session.scalars(query))


def files_under(app: Flask) -> list[Path]:
    root = Path(app.instance_path) / "documents"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def keep(client: Any, actor: User, data: bytes, name: str, kind: str = "release") -> Document:
    """A document stored through the service, as an upload would store it."""
    document = documents.store(
        client,
        FileStorage(io.BytesIO(data), filename=name),
        kind=kind,
        description=None,
        actor=actor,
        ip=None,
    )
    db.session.flush()
    return document


def exports(document: Document) -> list[AuditEvent]:
    return [e for e in events("export") if e.object_id == str(document.id)]


# ---- Uploading -----------------------------------------------------------------------------


def test_upload_a_pdf_and_a_png_stores_them_outside_the_web_root(client, agency, app):
    sign_in(client, agency.cm)
    pdf, png = pdf_bytes(2), image_bytes()
    response = upload(
        client, agency.own.id, pdf, "Olivia release.pdf", kind="release", description="  ROI  "
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/clients/{agency.own.id}/documents"
    assert upload(client, agency.own.id, png, "id card.png").status_code == 303
    body = page(fetch(client, f"/staff/clients/{agency.own.id}/documents"))
    assert "Document uploaded." in body
    assert "Olivia release.pdf" in body and "id card.png" in body
    assert "Release of information" in body and "Identification" in body

    first, second = stored(agency.own.id)
    assert (first.content_type, first.kind, first.description) == (
        "application/pdf",
        "release",
        "ROI",
    )
    assert (second.content_type, second.kind, second.description) == ("image/png", "id", None)
    static = (Path(portal.__file__).parent / "static").resolve()
    for document, data, name, ext in [
        (first, pdf, "Olivia release.pdf", "pdf"),
        (second, png, "id card.png", "png"),
    ]:
        assert document.sha256 == hashlib.sha256(data).hexdigest()
        assert document.size == len(data) and document.original_name == name
        assert document.uploaded_by_id == agency.cm.id
        assert re.fullmatch(rf"{agency.own.id}/[0-9a-f]{{32}}\.{ext}", document.storage_name)
        assert "Olivia" not in document.storage_name and "card" not in document.storage_name
        path = (Path(app.instance_path) / "documents" / document.storage_name).resolve()
        assert path.read_bytes() == data
        assert not path.is_relative_to(static)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert fetch(client, f"/static/{document.storage_name}").status_code == 404
    assert first.storage_name != second.storage_name
    created = [e for e in events("create", agency.own.id) if e.object_type == "document"]
    assert [e.object_id for e in created] == [str(first.id), str(second.id)]
    assert f"/staff/clients/{agency.own.id}/documents/{first.id}/download" in body


def test_a_file_is_what_its_bytes_say_not_what_its_name_says(client, agency):
    sign_in(client, agency.cm)
    jpeg = image_bytes("JPEG")
    assert upload(client, agency.own.id, jpeg, "scan.pdf").status_code == 303
    (document,) = stored(agency.own.id)
    assert document.content_type == "image/jpeg"
    assert document.storage_name.endswith(".jpg") and document.original_name == "scan.pdf"


def test_the_uploaded_name_keeps_no_folders(client, agency):
    sign_in(client, agency.cm)
    upload(client, agency.own.id, image_bytes(), "../../portal/static/evil.png")
    (document,) = stored(agency.own.id)
    assert document.original_name == "evil.png"


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
NOT_ALLOWED = (
    "Only PDF, PNG and JPEG files can be uploaded, and this file is none of them "
    "(whatever its name says)."
)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("letter.pdf", HTML, NOT_ALLOWED),
        ("photo.png", SVG, NOT_ALLOWED),
        ("photo.png", b"Just some notes about the client.\n" * 20, NOT_ALLOWED),
        ("broken.pdf", b"%PDF-1.7\n" + b"not really a pdf\n" * 50, NOT_ALLOWED),
        ("broken.png", image_bytes()[:40], NOT_ALLOWED),
        ("archive.pdf", b"PK\x03\x04" + bytes(200), NOT_ALLOWED),
        ("empty.pdf", b"", "The file is empty. Choose another file."),
        (
            "huge.pdf",
            b"%PDF-1.7\n" + bytes(TEN_MB + 1 - 9),
            "The file is larger than 10 MB. Scan it at a lower resolution.",
        ),
    ],
    ids=["html-as-pdf", "svg-as-png", "text-as-png", "fake-pdf", "cut-png", "zip", "empty", "big"],
)
def test_refused_uploads_are_explained_at_the_field_and_nothing_is_stored(
    client, agency, app, name, data, message
):
    sign_in(client, agency.cm)
    response = upload(client, agency.own.id, data, name, description="Kept as typed")
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "file") == message
    assert 'aria-describedby="file-error"' in body and 'id="error-summary"' in body
    assert 'value="Kept as typed"' in body
    assert stored() == [] and files_under(app) == []
    assert [e for e in events("create") if e.object_type == "document"] == []


def test_an_upload_without_a_file_asks_for_one(client, agency, app):
    sign_in(client, agency.cm)
    response = post(client, f"/staff/clients/{agency.own.id}/documents", {"kind": "id"})
    assert response.status_code == 422
    assert field_error(page(response), "file") == "Choose a file to upload."
    assert stored() == [] and files_under(app) == []


@pytest.mark.parametrize("kind", ["", "passport-scan"])
def test_an_unknown_document_type_is_refused_at_the_field(client, agency, app, kind):
    sign_in(client, agency.cm)
    response = upload(client, agency.own.id, pdf_bytes(), "a.pdf", kind=kind)
    assert response.status_code == 422
    assert field_error(page(response), "kind")
    assert stored() == [] and files_under(app) == []


def test_a_file_of_exactly_the_limit_is_taken_and_one_byte_more_is_not(client, agency, app):
    data = pdf_bytes()
    app.config["DOCUMENT_MAX_BYTES"] = len(data)
    sign_in(client, agency.cm)
    assert upload(client, agency.own.id, data, "exact.pdf").status_code == 303
    refused = upload(client, agency.own.id, data + b"\n", "over.pdf")
    assert refused.status_code == 422
    assert [d.original_name for d in stored()] == ["exact.pdf"]


def test_a_body_over_16_mb_is_refused_with_a_clear_page(client, agency, app):
    sign_in(client, agency.cm)
    response = upload(client, agency.own.id, b"%PDF-1.7\n" + bytes(17 * 1024 * 1024), "a.pdf")
    assert response.status_code == 413
    assert "What you sent is too large (a document may be up to 10 MB)." in page(response)
    assert stored() == [] and files_under(app) == []


# ---- Preview and download ------------------------------------------------------------------


@pytest.fixture
def papers(agency) -> dict[str, Document]:
    return {
        "pdf": keep(agency.own, agency.cm, pdf_bytes(), "Release of information.pdf"),
        "png": keep(agency.own, agency.cm, image_bytes(), "Olivia ID.png", kind="id"),
        "theirs": keep(agency.theirs, agency.cm_other, pdf_bytes(), "Quill lease.pdf"),
    }


def _url(document: Document, what: str) -> str:
    return f"/staff/clients/{document.client_id}/documents/{document.id}/{what}"


@pytest.mark.parametrize(
    ("name", "content_type"), [("pdf", "application/pdf"), ("png", "image/png")]
)
def test_preview_is_inline_sandboxed_and_of_the_exact_type(
    client, agency, papers, name, content_type
):
    document = papers[name]
    sign_in(client, agency.cm)
    response = fetch(client, _url(document, "preview"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"].startswith("inline")
    assert document.original_name.replace(" ", "%20") in unquote(
        response.headers["Content-Disposition"]
    ).replace(" ", "%20")
    # Browsers' PDF viewers will not open under "sandbox"; images keep it.
    expected_csp = "default-src 'none'" + ("" if name == "pdf" else "; sandbox")
    assert response.headers["Content-Security-Policy"] == expected_csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert hashlib.sha256(response.get_data()).hexdigest() == document.sha256
    [event] = exports(document)
    assert (event.actor_id, event.client_id, event.detail) == (
        agency.cm.id,
        agency.own.id,
        "preview",
    )


def test_download_is_an_attachment_and_audited(client, agency, papers):
    document = papers["pdf"]
    sign_in(client, agency.team)
    response = fetch(client, _url(document, "download"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and "Release" in disposition
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert hashlib.sha256(response.get_data()).hexdigest() == document.sha256
    fetch(client, _url(document, "download"))
    assert [(e.actor_id, e.detail) for e in exports(document)] == [
        (agency.team.id, "download"),
        (agency.team.id, "download"),
    ]


def test_a_supervisor_may_open_the_teams_documents(client, agency, papers):
    sign_in(client, agency.supervisor)
    assert fetch(client, _url(papers["png"], "preview")).status_code == 200
    assert [e.actor_id for e in exports(papers["png"])] == [agency.supervisor.id]


@pytest.mark.parametrize("what", ["download", "preview"])
def test_another_clients_case_manager_gets_404_and_the_attempt_is_logged(
    client, agency, papers, what
):
    document = papers["pdf"]
    sign_in(client, agency.cm_other)
    seen_url = _url(document, what)
    seen = fetch(client, seen_url)
    assert seen.status_code == 404
    assert "Release of information" not in page(seen) and "Olive" not in page(seen)
    assert exports(document) == []
    denied = [
        e
        for e in events("access_denied")
        if e.actor_id == agency.cm_other.id and e.client_id == agency.own.id
    ]
    assert len(denied) == 1
    # Cleo's own client's URL with Olivia's document id: as missing as a made-up id.
    crossed_url = f"/staff/clients/{agency.theirs.id}/documents/{document.id}/{what}"
    crossed = fetch(client, crossed_url)
    missing_url = f"/staff/clients/{agency.theirs.id}/documents/999999/{what}"
    missing = fetch(client, missing_url)
    assert crossed.status_code == missing.status_code == 404
    assert same_page(crossed, crossed_url, missing, missing_url)
    absent_url = f"/staff/clients/{agency.own.id}/documents/999999/{what}"
    absent = fetch(client, absent_url)
    assert same_page(seen, seen_url, absent, absent_url)
    assert exports(document) == []


def test_a_document_of_another_client_is_not_found_under_my_client(client, agency, papers):
    sign_in(client, agency.cm)
    theirs = papers["theirs"]
    for what in ("download", "preview"):
        url = f"/staff/clients/{agency.own.id}/documents/{theirs.id}/{what}"
        assert fetch(client, url).status_code == 404
    assert (
        post(client, f"/staff/clients/{agency.own.id}/documents/{theirs.id}/remove").status_code
        == 404
    )
    assert reloaded(Document, theirs.id).deleted_at is None
    assert exports(theirs) == []


@pytest.mark.parametrize(
    ("role", "status"), [("client_user", 403), ("family", 403), ("admin", 404), ("anonymous", 302)]
)
def test_outside_the_care_team_documents_are_refused(client, agency, papers, role, status):
    sign_in_as(client, agency, role)
    for what in ("download", "preview"):
        response = fetch(client, _url(papers["pdf"], what))
        assert response.status_code == status, what
        assert b"%PDF" not in response.get_data()
        if status == 302:
            assert response.headers["Location"].startswith("/login?next=")
    assert exports(papers["pdf"]) == []


def test_a_document_whose_file_is_gone_is_not_found(client, agency, papers, app):
    (Path(app.instance_path) / "documents" / papers["pdf"].storage_name).unlink()
    sign_in(client, agency.cm)
    assert fetch(client, _url(papers["pdf"], "download")).status_code == 404
    assert exports(papers["pdf"]) == []


# ---- Removing ------------------------------------------------------------------------------


def test_removed_documents_are_gone_from_the_record_but_kept(client, agency, papers, app):
    document = papers["pdf"]
    sign_in(client, agency.cm)
    response = post(client, _url(document, "remove"))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/clients/{agency.own.id}/documents"
    body = page(fetch(client, response.headers["Location"]))
    assert "Document removed from the record." in body
    assert "Release of information.pdf" not in body and "Olivia ID.png" in body
    for what in ("download", "preview"):
        assert fetch(client, _url(document, what)).status_code == 404
    assert post(client, _url(document, "remove")).status_code == 404
    kept = reloaded(Document, document.id)
    assert kept.deleted_at is not None
    assert (Path(app.instance_path) / "documents" / kept.storage_name).is_file()
    removed = [e for e in events("delete", agency.own.id) if e.object_type == "document"]
    assert [(e.object_id, e.actor_id) for e in removed] == [(str(document.id), agency.cm.id)]
    assert exports(document) == []


def test_the_care_team_may_upload_but_not_remove(client, agency, papers):
    sign_in(client, agency.team)
    body = page(fetch(client, f"/staff/clients/{agency.own.id}/documents"))
    assert "Upload a document" in body and "Remove the file" not in body
    response = upload(client, agency.own.id, image_bytes(), "prescription.png", kind="medical")
    assert response.status_code == 303
    assert stored(agency.own.id)[-1].uploaded_by_id == agency.team.id
    assert post(client, _url(papers["pdf"], "remove")).status_code == 403
    assert reloaded(Document, papers["pdf"].id).deleted_at is None


def test_case_managers_see_the_remove_button(client, agency, papers):
    sign_in(client, agency.cm)
    body = page(fetch(client, f"/staff/clients/{agency.own.id}/documents"))
    assert "Remove the file Release of information.pdf" in body
    assert "Quill lease.pdf" not in body


def test_viewing_the_documents_list_is_audited(client, agency, papers):
    sign_in(client, agency.cm)
    fetch(client, f"/staff/clients/{agency.own.id}/documents")
    assert [e.detail for e in events("view", agency.own.id) if e.actor_id == agency.cm.id] == [
        "documents"
    ]


# ---- Who may do what -----------------------------------------------------------------------


Route = tuple[str, str, str, Callable[[Any], dict[str, Any]] | None]
D = "/staff/clients/{client}/documents"

ROUTES: list[Route] = [
    ("document_index", "GET", D, None),
    (
        "document_index (upload)",
        "POST",
        D,
        lambda a: {"file": (io.BytesIO(image_bytes()), "card.png"), "kind": "id"},
    ),
    ("document_preview", "GET", D + "/{document}/preview", None),
    ("document_download", "GET", D + "/{document}/download", None),
    ("document_remove", "POST", D + "/{spare_document}/remove", lambda a: {}),
]

TABLE: dict[str, tuple[int, ...]] = {
    # route:                   cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "document_index": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "document_index (upload)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "document_preview": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "document_download": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "document_remove": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
}


@pytest.fixture
def filed(agency) -> Any:
    agency.ids["document"] = keep(agency.own, agency.cm, pdf_bytes(), "Olivia consent.pdf").id
    agency.ids["spare_document"] = keep(agency.own, agency.cm, image_bytes(), "Spare.png").id
    return agency


def _ask(browser: Any, agency: Any, method: str, path: str, data: Any, *, htmx: bool = False):
    url = path.format(**agency.ids)
    if method == "GET":
        return url, fetch(browser, url, HTMX if htmx else None)
    return url, post(browser, url, data(agency), htmx=htmx)


def test_the_table_covers_every_document_route(app):
    endpoints = {
        rule.endpoint.removeprefix("staff.")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.document")
    }
    assert {name.split(" ")[0] for name in TABLE} == endpoints
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_document_route_truth_table(client, filed, role):
    agency = filed
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, leaked = {}, []
    for name, method, path, data in ROUTES:
        url, response = _ask(client, agency, method, path, data)
        answers[name] = response.status_code
        if response.status_code == 302:
            assert unquote(response.headers["Location"]) == f"/login?next={url}"
        body = response.get_data()
        if response.status_code in (403, 404) and (b"%PDF" in body or b"Olivia consent" in body):
            leaked.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert leaked == []
    uploaded = TABLE["document_index (upload)"][column] == 303
    assert len(stored(agency.own.id)) == (3 if uploaded else 2)
    removed = TABLE["document_remove"][column] == 303
    assert (reloaded(Document, agency.ids["spare_document"]).deleted_at is not None) is removed
    looked = TABLE["document_preview"][column] == 200
    document = reloaded(Document, agency.ids["document"])
    assert len(exports(document)) == (2 if looked else 0)


def test_anonymous_htmx_document_requests_get_401_and_a_redirect_header(client, filed):
    sign_in_as(client, filed, "anonymous")
    for _name, method, path, data in ROUTES:
        url, response = _ask(client, filed, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert unquote(response.headers["HX-Redirect"]) == f"/login?next={url}", url


def test_the_documents_list_query_count_does_not_grow_with_the_documents(
    client, agency, count_queries
):
    other = make_client(primary_case_manager=agency.cm)
    keep(other, agency.cm, image_bytes(), "one.png")
    for n in range(12):
        keep(agency.own, agency.team if n % 2 else agency.cm, image_bytes(), f"page {n}.png")
    sign_in(client, agency.cm)
    fetch(
        client, f"/staff/clients/{other.id}/documents"
    )  # the first visit may load what others reuse
    with count_queries() as few:
        small = page(fetch(client, f"/staff/clients/{other.id}/documents"))
    with count_queries() as lots:
        large = page(fetch(client, f"/staff/clients/{agency.own.id}/documents"))
    assert small.count("Download the file ") == 1
    assert large.count("Download the file page") == 12
    assert lots.count == few.count
