"""Progress notes over HTTP: autosaved drafts, two tabs, signing, the frozen signed note (down to
the database), addenda, the co-signature queue, private drafts, search and paging, who may use
which route, and the editor in Spanish."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import i18n
from portal.extensions import db
from portal.labels import SECTION_LABELS
from portal.models import Client, NoteAddendum, NoteCosignature, ProgressNote, Role, User
from portal.services import notes

from ..factories import PASSWORD, add_to_care_team, make_client, make_user
from ..helpers import csrf_token
from .support import HTMX, ROLES, field_error, field_value, page, post, sign_in, sign_in_as

CONFLICT = "Not saved: this draft was changed in another tab or window."
SIGNED_ALREADY = "Not saved: this note has been signed."


# ---- Writing notes: as the editor posts them (HTTP), or through the service (fast) ------------


def local_time(ago: timedelta = timedelta(hours=1)) -> str:
    """A contact time as the editor's field holds it: to the minute, in the agency's zone."""
    return (datetime.now(i18n.agency_zone()) - ago).strftime("%Y-%m-%dT%H:%M")


def editor_data(**overrides: Any) -> dict[str, Any]:
    """What the note editor sends for a DAP note of an office visit an hour ago."""
    data: dict[str, Any] = {
        "contact_at": local_time(),
        "duration_minutes": "45",
        "contact_type": "office",
        "format": "dap",
        "location": "",
        "mileage": "",
        "data": "Olive came in on time and talked about the new flat.",
        "assessment": "Calm and hopeful; no sign of risk.",
        "plan": "Call the landlord on Monday.",
    }
    data.update(overrides)
    return data


def write_note(
    person: Client,
    author: User,
    text: str,
    *,
    sign: bool = True,
    contact_at: datetime | None = None,
    contact_type: str = "office",
    goal_keys: tuple[str, ...] = (),
) -> ProgressNote:
    """A narrative note through the service, signed unless told otherwise."""
    when = contact_at or datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    note = notes.create_draft(
        person,
        {
            "contact_type": contact_type,
            "format": "narrative",
            "contact_at": when,
            "duration_minutes": 30,
            "goal_keys": list(goal_keys),
            "sections": {"narrative": text},
        },
        actor=author,
        ip=None,
    )
    if sign:
        notes.seal(note, actor=author, ip=None)
    return note


def notes_url(person: Client) -> str:
    return f"/staff/clients/{person.id}/notes"


def listed(response: Any) -> list[int]:
    """The ids of the notes a list shows, in its order."""
    return [int(n) for n in re.findall(r'<li id="note-(\d+)"', page(response))]


def notes_of(person: Client) -> list[ProgressNote]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ProgressNote)
            .where(ProgressNote.client_id == person.id)
            .order_by(ProgressNote.id)
        )
    )


def saved_at(body: str) -> bool:
    """The save line says "Draft saved at" and a time."""
    return re.search(r"Draft saved at \d{1,2}:\d{2}\s?[AP]M", body) is not None


# ---- Autosave -------------------------------------------------------------------------------


def test_autosave_makes_one_draft_then_saves_that_same_draft(client, agency):
    sign_in(client, agency.cm)
    save = notes_url(agency.own) + "/save"

    first = post(client, save, editor_data(), htmx=True)
    assert first.status_code == 200
    body = page(first)
    assert "<html" not in body
    assert saved_at(body)
    note_id, version = field_value(body, "note_id"), field_value(body, "version")
    assert note_id is not None and version == "1"
    edit = f"{notes_url(agency.own)}/{note_id}/edit"
    assert first.headers["HX-Replace-Url"] == edit

    second = post(
        client,
        save,
        editor_data(note_id=note_id, version=version, plan="Call the landlord on Tuesday."),
        htmx=True,
    )
    assert second.status_code == 200
    assert saved_at(page(second))
    assert field_value(page(second), "version") == "2"
    assert field_value(page(second), "note_id") == note_id
    assert second.headers["HX-Replace-Url"] == edit

    [draft] = notes_of(agency.own)
    assert (draft.id, draft.status, draft.version) == (int(note_id), "draft", 2)
    assert draft.sections["plan"] == "Call the landlord on Tuesday."
    assert draft.author_id == agency.cm.id

    reload = client.get(edit)
    assert reload.status_code == 200
    body = page(reload)
    assert "Call the landlord on Tuesday." in body
    assert "Olive came in on time and talked about the new flat." in body
    assert field_value(body, "note_id") == note_id
    assert field_value(body, "version") == "2"
    assert "Draft last saved" in body

    # The dashboard reminds the author of the draft.
    assert f'id="draft-{note_id}"' in page(client.get("/staff/"))


def test_the_save_draft_button_without_javascript_opens_the_draft(client, agency):
    sign_in(client, agency.cm)
    response = post(client, notes_url(agency.own) + "/save", editor_data())
    assert response.status_code == 303
    [draft] = notes_of(agency.own)
    assert response.headers["Location"] == f"{notes_url(agency.own)}/{draft.id}/edit"
    body = page(client.get(response.headers["Location"]))
    assert "Draft saved." in body
    assert "Olive came in on time" in body


def test_autosave_keeps_what_is_valid_and_says_what_is_not(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client,
        notes_url(agency.own) + "/save",
        editor_data(duration_minutes="a while", data="Half a thought"),
        htmx=True,
    )
    assert response.status_code == 200
    assert "Some fields are not valid yet and were not saved" in page(response)
    [draft] = notes_of(agency.own)
    assert draft.duration_minutes is None
    assert draft.sections["data"] == "Half a thought"


def test_changing_the_format_shows_its_sections_and_keeps_the_text(client, agency):
    sign_in(client, agency.cm)
    response = client.get(
        notes_url(agency.own) + "/sections",
        query_string={"format": "soap", "subjective": "Says she slept well."},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body
    assert [*re.findall(r'<textarea[^>]*name="(\w+)"', body)] == [
        "subjective",
        "objective",
        "assessment",
        "plan",
    ]
    assert "Says she slept well." in body


# ---- Two tabs -------------------------------------------------------------------------------


def test_a_stale_tab_gets_a_conflict_and_overwrites_nothing(client, agency):
    sign_in(client, agency.cm)
    save = notes_url(agency.own) + "/save"
    first = post(client, save, editor_data(), htmx=True)
    note_id = field_value(page(first), "note_id")
    # Both tabs now hold version 1; tab A saves first.
    tab_a = post(
        client, save, editor_data(note_id=note_id, version="1", data="Tab A: rent"), htmx=True
    )
    assert tab_a.status_code == 200

    tab_b = post(
        client, save, editor_data(note_id=note_id, version="1", data="Tab B: food"), htmx=True
    )
    assert tab_b.status_code == 409
    body = page(tab_b)
    assert CONFLICT in body
    assert 'name="version"' not in body  # tab B is not handed a version to overwrite with
    [draft] = notes_of(agency.own)
    assert (draft.version, draft.sections["data"]) == (2, "Tab A: rent")

    # Without JavaScript the same conflict is the editor again, with what was typed in it.
    plain = post(client, save, editor_data(note_id=note_id, version="1", data="Tab B: shoes"))
    assert plain.status_code == 409
    body = page(plain)
    assert "This draft was saved in another tab or window. Nothing is lost" in body
    assert re.search(r'<textarea[^>]*name="data"[^>]*>\s*Tab B: shoes</textarea>', body)
    assert "The draft as saved in the other tab or window" in body and "Tab A: rent" in body
    [draft] = notes_of(agency.own)
    assert (draft.version, draft.sections["data"]) == (2, "Tab A: rent")

    # Signing from the stale tab is refused the same way, and signs nothing.
    stale_sign = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(note_id=note_id, version="1", data="Tab B: shoes", password=PASSWORD),
    )
    assert stale_sign.status_code == 409
    [draft] = notes_of(agency.own)
    assert (draft.status, draft.sections["data"]) == ("draft", "Tab A: rent")


# ---- Signing --------------------------------------------------------------------------------


def test_a_wrong_password_keeps_the_text_and_saves_the_draft(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client, notes_url(agency.own) + "/sign", editor_data(password="not my password")
    )
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "password") == "That password is not right."
    assert "Olive came in on time and talked about the new flat." in body
    [draft] = notes_of(agency.own)
    assert draft.status == "draft"
    assert draft.sections["data"] == "Olive came in on time and talked about the new flat."
    # The page now holds the draft, so signing again signs it instead of starting another.
    assert field_value(body, "note_id") == str(draft.id)

    again = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(note_id=str(draft.id), version=field_value(body, "version"), password=PASSWORD),
    )
    assert again.status_code == 303
    [note] = notes_of(agency.own)
    assert (note.id, note.status) == (draft.id, "signed")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration_minutes": ""}, "duration_minutes", "Enter how many minutes the contact took."),
        (
            {"data": "", "assessment": " ", "plan": ""},
            "data",
            "Write the note before signing it.",
        ),
        (
            {"contact_type": "home_visit", "location": ""},
            "location",
            "Enter where the home visit took place.",
        ),
        ({"contact_at": ""}, "contact_at", "Enter the date and time of the contact."),
        (
            {"contact_at": "in two days"},
            "contact_at",
            "The contact cannot be in the future.",
        ),
    ],
    ids=["no-duration", "empty-note", "home-visit-without-place", "no-time", "future"],
)
def test_a_note_that_is_not_complete_is_not_signed(client, agency, changes, field, message):
    if changes.get("contact_at") == "in two days":
        changes = {"contact_at": local_time(-timedelta(days=2))}
    sign_in(client, agency.cm)
    response = post(
        client, notes_url(agency.own) + "/sign", {**editor_data(**changes), "password": PASSWORD}
    )
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, field) == message
    [draft] = notes_of(agency.own)
    assert draft.status == "draft" and draft.signed_at is None
    # What was typed is saved, and the page holds the draft: the next save is not a conflict.
    assert "Olive came in on time" in body or field == "data"
    assert (field_value(body, "note_id"), field_value(body, "version")) == (
        str(draft.id),
        str(draft.version),
    )


def test_signing_freezes_the_note_under_a_fingerprint(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(
            contact_type="home_visit",
            location="Olive's flat, 12 Elm St",
            mileage="14.5",
            password=PASSWORD,
        ),
    )
    assert response.status_code == 303
    [note] = notes_of(agency.own)
    assert response.headers["Location"] == f"{notes_url(agency.own)}/{note.id}"
    assert note.status == "signed" and note.signed_at is not None
    assert not note.late_entry and not note.needs_cosign
    assert (note.location, note.mileage) == ("Olive's flat, 12 Elm St", 14.5)
    canonical = json.dumps(notes.content_of(note), sort_keys=True, ensure_ascii=False)
    assert note.content_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert notes.hash_matches(note)
    assert notes.content_of(note)["sections"] == {
        "data": "Olive came in on time and talked about the new flat.",
        "assessment": "Calm and hopeful; no sign of risk.",
        "plan": "Call the landlord on Monday.",
    }

    body = page(client.get(response.headers["Location"]))
    assert "Note signed." in body
    assert "late entry" not in body.lower()
    assert f"Signed content verified (SHA-256 {note.content_hash[:12]}…)." in body
    assert "Olive's flat, 12 Elm St" in body
    assert "14.5 miles" in body


def test_a_note_signed_more_than_72_hours_after_the_contact_is_a_late_entry(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(contact_at=local_time(timedelta(hours=73)), password=PASSWORD),
    )
    assert response.status_code == 303
    [note] = notes_of(agency.own)
    assert note.late_entry
    body = page(client.get(response.headers["Location"]))
    assert "Note signed. It is marked as a late entry." in body
    assert re.search(r'class="badge badge--late">Late entry<', body)


def test_late_entry_starts_after_72_hours(app, agency, time_machine):
    contact = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
    on_time = write_note(agency.own, agency.cm, "On the edge", sign=False, contact_at=contact)
    late = write_note(agency.own, agency.cm, "Just over", sign=False, contact_at=contact)
    time_machine.move_to(contact + timedelta(hours=72), tick=False)
    notes.seal(on_time, actor=agency.cm, ip=None)
    time_machine.move_to(contact + timedelta(hours=72, minutes=1), tick=False)
    notes.seal(late, actor=agency.cm, ip=None)
    assert (on_time.late_entry, late.late_entry) == (False, True)


# ---- A signed note does not change ------------------------------------------------------------


def test_every_change_route_refuses_a_signed_note(client, agency):
    note = write_note(agency.own, agency.cm, "Signed and final.")
    before = (note.version, note.content_hash, dict(note.sections), note.signed_at)
    sign_in(client, agency.cm)
    save, sign = notes_url(agency.own) + "/save", notes_url(agency.own) + "/sign"
    detail = f"{notes_url(agency.own)}/{note.id}"
    for version in (str(note.version), "1", "2", "99", ""):
        changed = editor_data(note_id=str(note.id), version=version, narrative="Rewritten.")
        autosave = post(client, save, changed, htmx=True)
        assert autosave.status_code == 409, version
        assert SIGNED_ALREADY in page(autosave)
        plain = post(client, save, changed)
        assert (plain.status_code, plain.headers["Location"]) == (303, detail), version
        signing = post(client, sign, {**changed, "password": PASSWORD})
        assert (signing.status_code, signing.headers["Location"]) == (303, detail), version
    # The editor of a signed note is its page.
    edit = client.get(detail + "/edit")
    assert (edit.status_code, edit.headers["Location"]) == (302, detail)
    [stored] = notes_of(agency.own)
    assert (stored.version, stored.content_hash, stored.sections, stored.signed_at) == before
    assert notes.hash_matches(stored)


@pytest.mark.parametrize(
    ("statement", "target"),
    [
        ("UPDATE progress_note SET sections = '{}' WHERE id = :id", "signed"),
        ("UPDATE progress_note SET status = 'draft', content_hash = NULL WHERE id = :id", "signed"),
        ("DELETE FROM progress_note WHERE id = :id", "bare"),
        ("UPDATE note_addendum SET text = 'Changed later' WHERE id = :id", "addendum"),
        ("DELETE FROM note_addendum WHERE id = :id", "addendum"),
    ],
    ids=["update-note", "unsign-note", "delete-note", "update-addendum", "delete-addendum"],
)
def test_the_database_itself_refuses_to_change_signed_notes_and_addenda(
    app, agency, statement, target
):
    signed = write_note(agency.own, agency.cm, "Signed with an addendum.")
    bare = write_note(agency.own, agency.cm, "Signed, nothing added.")
    addendum = notes.add_addendum(signed, "Also: she called back.", actor=agency.cm, ip=None)
    ids = {"signed": signed.id, "bare": bare.id, "addendum": addendum.id}
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="cannot"), db.engine.begin() as conn:
        conn.execute(sa.text(statement), {"id": ids[target]})
    db.session.expire_all()
    assert db.session.get_one(ProgressNote, signed.id).sections == {
        "narrative": "Signed with an addendum."
    }
    assert db.session.get(ProgressNote, bare.id) is not None
    assert db.session.get_one(NoteAddendum, addendum.id).text == "Also: she called back."


def test_a_draft_is_not_frozen_by_the_database(app, agency):
    draft_id = write_note(agency.own, agency.cm, "Just a draft.", sign=False).id
    db.session.commit()
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE progress_note SET location = 'Library' WHERE id = :id"),
            {"id": draft_id},
        )
        conn.execute(sa.text("DELETE FROM progress_note WHERE id = :id"), {"id": draft_id})
    db.session.expire_all()
    assert db.session.get(ProgressNote, draft_id) is None


def test_addenda_are_added_beside_the_signed_note_with_their_author_and_time(
    client, make_client, agency
):
    note = write_note(agency.own, agency.cm, "Met Olive at the clinic.")
    detail = f"{notes_url(agency.own)}/{note.id}"
    pat = sign_in(make_client(), agency.team)
    empty = post(pat, detail + "/addenda", {"text": "   "})
    assert empty.status_code == 422
    assert "Write the addendum." in page(empty)
    added = post(pat, detail + "/addenda", {"text": "Her medication was changed on Friday."})
    assert (added.status_code, added.headers["Location"]) == (303, detail)
    sign_in(client, agency.cm)
    post(client, detail + "/addenda", {"text": "Correction: it was the Tuesday clinic."})

    body = page(client.get(detail))
    addenda = body[body.index('id="addenda-title"') :]
    entries = re.findall(
        r'<li id="addendum-\d+"><p class="muted small">([^<]+)</p><p class="pre">([^<]+)</p>',
        addenda,
    )
    assert [(who.split(",")[0], text) for who, text in entries] == [
        ("Dr Pat Psychiatrist", "Her medication was changed on Friday."),
        ("Casey Manager", "Correction: it was the Tuesday clinic."),
    ]
    assert all(re.search(r", .*\d{1,2}:\d{2}", who) for who, _text in entries)
    # The note itself is as it was signed.
    [stored] = notes_of(agency.own)
    assert stored.sections == {"narrative": "Met Olive at the clinic."} and notes.hash_matches(
        stored
    )


def test_a_draft_takes_no_addendum(client, agency):
    draft = write_note(agency.own, agency.cm, "Unfinished.", sign=False)
    sign_in(client, agency.cm)
    response = post(client, f"{notes_url(agency.own)}/{draft.id}/addenda", {"text": "More"})
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(NoteAddendum)) == 0


# ---- Co-signature -------------------------------------------------------------------------------


def test_a_note_that_needs_a_cosignature_waits_in_the_authors_supervisors_queue(
    client, make_client, agency
):
    agency.cm.requires_cosign = True
    # Tess may read Olive's record but does not supervise Casey.
    add_to_care_team(agency.own, agency.other_supervisor, "Consultant")
    sign_in(client, agency.cm)
    signed = post(client, notes_url(agency.own) + "/sign", editor_data(password=PASSWORD))
    assert signed.status_code == 303
    [note] = notes_of(agency.own)
    assert note.needs_cosign and note.awaiting_cosign
    detail = f"{notes_url(agency.own)}/{note.id}"
    assert "Awaiting co-signature" in page(client.get(detail))
    # The author is no supervisor: the route is not theirs.
    assert post(client, detail + "/cosign").status_code == 403
    assert client.get("/staff/notes/cosign").status_code == 403

    sam = sign_in(make_client(), agency.supervisor)
    queue = page(sam.get("/staff/notes/cosign"))
    assert f'id="cosign-{note.id}"' in queue
    assert "Co-sign the note by Casey Manager" in queue
    assert "1 note waits for your co-signature" in page(sam.get("/staff/"))

    tess = sign_in(make_client(), agency.other_supervisor)
    assert "Co-sign this note" not in page(tess.get(detail))
    assert "No notes are waiting for your co-signature." in page(tess.get("/staff/notes/cosign"))
    assert "waits for your co-signature" not in page(tess.get("/staff/"))
    # Another supervisor who may read the record still does not co-sign it.
    refused = post(tess, detail + "/cosign")
    assert refused.status_code == 303
    assert "This note is not waiting for your co-signature." in page(tess.get(detail))
    assert db.session.scalar(select(func.count()).select_from(NoteCosignature)) == 0

    done = post(sam, detail + "/cosign", {"next": "queue"})
    assert (done.status_code, done.headers["Location"]) == (303, "/staff/notes/cosign")
    queue = page(sam.get("/staff/notes/cosign"))
    assert "Note co-signed." in queue
    assert f'id="cosign-{note.id}"' not in queue
    assert "No notes are waiting for your co-signature." in queue
    assert "waits for your co-signature" not in page(sam.get("/staff/"))
    body = page(sam.get(detail))
    assert re.search(r"<dt>Co-signed</dt><dd>Sam Supervisor, ", body)
    assert "Awaiting co-signature" not in body
    assert "Co-sign this note" not in body

    # A second co-signature is refused.
    again = post(sam, detail + "/cosign")
    assert again.status_code == 303
    assert "This note is not waiting for your co-signature." in page(sam.get(detail))
    assert db.session.scalar(select(func.count()).select_from(NoteCosignature)) == 1
    cosignature = db.session.scalars(select(NoteCosignature)).one()
    assert (cosignature.note_id, cosignature.user_id) == (note.id, agency.supervisor.id)


def test_a_supervisor_does_not_cosign_their_own_note(client, agency):
    agency.supervisor.requires_cosign = True
    note = write_note(agency.own, agency.supervisor, "My own visit with Olive.")
    assert note.awaiting_cosign
    sign_in(client, agency.supervisor)
    detail = f"{notes_url(agency.own)}/{note.id}"
    assert "Co-sign this note" not in page(client.get(detail))
    refused = post(client, detail + "/cosign")
    assert (refused.status_code, refused.headers["Location"]) == (303, detail)
    assert "This note is not waiting for your co-signature." in page(client.get(detail))
    assert db.session.scalar(select(func.count()).select_from(NoteCosignature)) == 0


def test_a_note_that_needs_no_cosignature_is_in_no_queue(client, agency):
    note = write_note(agency.own, agency.cm, "Casey signs alone.")
    assert not note.needs_cosign
    sign_in(client, agency.supervisor)
    assert f'id="cosign-{note.id}"' not in page(client.get("/staff/notes/cosign"))
    detail = f"{notes_url(agency.own)}/{note.id}"
    assert "Co-sign this note" not in page(client.get(detail))
    post(client, detail + "/cosign")
    assert db.session.scalar(select(func.count()).select_from(NoteCosignature)) == 0


# ---- Drafts are private -------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["supervisor", "team"])
def test_a_draft_is_its_authors_alone(client, make_client, agency, reader):
    sign_in(client, agency.cm)
    post(client, notes_url(agency.own) + "/save", editor_data(data="Private draft about rent"))
    [draft] = notes_of(agency.own)
    signed = write_note(agency.own, agency.cm, "Signed note about rent")
    other = sign_in(make_client(), getattr(agency, reader))
    base = f"{notes_url(agency.own)}/{draft.id}"

    answers = {
        "edit": other.get(base + "/edit"),
        "detail": other.get(base),
        "addendum": post(other, base + "/addenda", {"text": "Peeking"}),
        "autosave": post(
            other,
            notes_url(agency.own) + "/save",
            editor_data(note_id=str(draft.id), version="1", data="Taken over"),
            htmx=True,
        ),
        "sign": post(
            other,
            notes_url(agency.own) + "/sign",
            editor_data(note_id=str(draft.id), version="1", password=PASSWORD),
        ),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    for query in ({}, {"unsigned": "1"}, {"q": "rent"}):
        response = other.get(notes_url(agency.own), query_string=query)
        assert listed(response) == ([] if query.get("unsigned") else [signed.id]), query
        assert "Private draft about rent" not in page(response)
    assert f'id="draft-{draft.id}"' not in page(other.get("/staff/"))
    [stored, _signed] = notes_of(agency.own)
    assert (stored.status, stored.version, stored.sections["data"]) == (
        "draft",
        1,
        "Private draft about rent",
    )
    # The author still sees it everywhere.
    assert listed(client.get(notes_url(agency.own))) == [draft.id, signed.id]


# ---- Search, filters and paging ---------------------------------------------------------------


def at(day: str, time: str = "10:00") -> datetime:
    """A moment in the agency's zone, as stored (UTC)."""
    local = datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=i18n.agency_zone())
    return local.astimezone(UTC)


@pytest.fixture
def notebook(agency) -> dict[str, int]:
    cm, team, own = agency.cm, agency.team, agency.own
    made = {
        "jose": write_note(
            own,
            cm,
            "José came to the office, calm.",
            contact_at=at("2024-03-01"),
            goal_keys=("a1b2c3",),
        ),
        "called": write_note(
            own,
            cm,
            "Called Jose about the rent.",
            contact_at=at("2024-03-05"),
            contact_type="phone",
        ),
        "cafe": write_note(
            own,
            cm,
            "Met at the cafe downtown.",
            contact_at=at("2024-03-10"),
            contact_type="video",
            goal_keys=("a1b2c3ff",),
        ),
        # Late in the evening in Chicago: already the next day in UTC.
        "both": write_note(
            own,
            cm,
            "CAFÉ meeting with JOSÉ and his sister.",
            contact_at=at("2024-03-15", "23:30"),
            goal_keys=("ffee00", "a1b2c3"),
        ),
        "pharmacy": write_note(
            own,
            team,
            "Pharmacy refill for José.",
            contact_at=at("2024-03-20"),
            contact_type="phone",
        ),
        "draft": write_note(
            own, cm, "Draft about José's café.", sign=False, contact_at=at("2024-03-25")
        ),
        "team_draft": write_note(
            own, team, "Pat's draft about José.", sign=False, contact_at=at("2024-03-26")
        ),
        "elsewhere": write_note(
            agency.theirs,
            agency.cm_other,
            "José at another client's cafe.",
            contact_at=at("2024-03-02"),
        ),
    }
    return {name: note.id for name, note in made.items()}


SEARCHES = [
    ({"q": "jose"}, ["draft", "pharmacy", "both", "called", "jose"]),
    ({"q": "JOSÉ"}, ["draft", "pharmacy", "both", "called", "jose"]),
    ({"q": "CAFÉ"}, ["draft", "both", "cafe"]),
    ({"q": "cafe"}, ["draft", "both", "cafe"]),
    ({"q": "jose cafe"}, ["draft", "both"]),
    ({"q": "Café  josé SISTER"}, ["both"]),
    ({"q": "jose dentist"}, []),
    ({"q": "100%"}, []),
    ({"type": "phone"}, ["pharmacy", "called"]),
    ({"type": "phone", "q": "rent"}, ["called"]),
    ({"author": "{team}"}, ["pharmacy"]),
    ({"from": "2024-03-05", "to": "2024-03-15"}, ["both", "cafe", "called"]),
    ({"from": "2024-03-15", "to": "2024-03-15"}, ["both"]),
    ({"from": "2024-03-16"}, ["draft", "pharmacy"]),
    ({"to": "2024-03-04"}, ["jose"]),
    ({"goal": "a1b2c3"}, ["both", "jose"]),
    ({"goal": "ffee00"}, ["both"]),
    ({"unsigned": "1"}, ["draft"]),
    ({"unsigned": "1", "q": "cafe"}, ["draft"]),
    (
        {"from": "not a date", "type": "unknown"},
        ["draft", "pharmacy", "both", "cafe", "called", "jose"],
    ),
]


def test_search_ignores_accents_and_case_needs_every_word_and_filters(client, agency, notebook):
    sign_in(client, agency.cm)
    found = {}
    for query, _expected in SEARCHES:
        args = {k: v.format(team=agency.team.id) for k, v in query.items()}
        response = client.get(notes_url(agency.own), query_string=args, headers=HTMX)
        assert response.status_code == 200
        found[json.dumps(query)] = listed(response)
    expected = {json.dumps(query): [notebook[name] for name in names] for query, names in SEARCHES}
    assert found == expected


def test_search_results_say_how_many_and_when_nothing_matches(client, agency, notebook):
    sign_in(client, agency.cm)
    some = page(client.get(notes_url(agency.own), query_string={"q": "jose cafe"}, headers=HTMX))
    assert "2 notes" in some
    none = page(client.get(notes_url(agency.own), query_string={"q": "dentist"}, headers=HTMX))
    assert "0 notes" in none
    assert "No note matches. Try other words or clear the filters." in none


def test_my_notes_lists_mine_across_clients(client, agency, notebook):
    sign_in(client, agency.cm)
    response = client.get("/staff/notes", query_string={"q": "jose"})
    assert response.status_code == 200
    # Pat's note and draft are not Casey's; the other client's note is Cleo's.
    assert listed(response) == [notebook[n] for n in ("draft", "both", "called", "jose")]
    assert "Olive" in page(response)


def test_notes_list_is_a_full_page_or_an_htmx_partial(client, agency, notebook):
    sign_in(client, agency.cm)
    full = client.get(notes_url(agency.own))
    partial = client.get(notes_url(agency.own), headers=HTMX)
    assert full.status_code == partial.status_code == 200
    assert "<html" in page(full) and "<html" not in page(partial)
    assert page(partial).lstrip().startswith('<section id="note-results"')
    assert listed(full) == listed(partial)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in partial.headers["Vary"]


def test_45_notes_make_three_pages(client, agency):
    start = datetime(2024, 1, 1, 15, 0, tzinfo=UTC)
    made = [
        write_note(agency.own, agency.cm, f"Visit {n}", contact_at=start + timedelta(days=n)).id
        for n in range(45)
    ]
    sign_in(client, agency.cm)
    pages = []
    for number in (1, 2, 3):
        response = client.get(notes_url(agency.own), query_string={"page": number})
        body = page(response)
        assert "45 notes" in body
        assert f"Page {number} of 3" in body
        pages.append(listed(response))
    assert [len(p) for p in pages] == [20, 20, 5]
    assert [i for p in pages for i in p] == list(reversed(made))  # newest contact first
    assert 'rel="next"' not in page(client.get(notes_url(agency.own), query_string={"page": 3}))
    # Past the end is the last page.
    assert listed(client.get(notes_url(agency.own), query_string={"page": 9})) == pages[2]


def test_the_notes_list_makes_as_many_queries_for_20_notes_as_for_one(
    client, agency, count_queries
):
    agency.cm.requires_cosign = True
    write_note(agency.own, agency.cm, "The first one")
    sign_in(client, agency.supervisor)
    url = notes_url(agency.own)

    def queries() -> int:
        client.get(url)
        with count_queries() as counted:
            response = client.get(url)
        assert response.status_code == 200
        return counted.count

    one = queries()
    for n in range(19):
        author = (agency.cm, agency.team, agency.supervisor)[n % 3]
        note = write_note(agency.own, author, f"More {n}")
        if note.awaiting_cosign and n % 2:
            notes.cosign(note, actor=agency.supervisor, ip=None)
    many = queries()
    assert len(listed(client.get(url))) == 20
    assert many == one


# ---- Who may use which route --------------------------------------------------------------------


Route = tuple[str, str, str, Callable[[Any], dict[str, Any]] | None]
C = "/staff/clients/{client}"

ROUTES: list[Route] = [
    ("note_index", "GET", C + "/notes", None),
    ("my_notes", "GET", "/staff/notes", None),
    ("note_new", "GET", C + "/notes/new", None),
    ("note_sections", "GET", C + "/notes/sections?format=soap", None),
    ("note_save", "POST", C + "/notes/save", lambda a: editor_data()),
    ("note_edit", "GET", C + "/notes/{draft}/edit", None),
    ("note_sign", "POST", C + "/notes/sign", lambda a: editor_data(password=PASSWORD)),
    ("note_detail", "GET", C + "/notes/{signed}", None),
    ("note_addendum", "POST", C + "/notes/{signed}/addenda", lambda a: {"text": "One more thing"}),
    ("note_cosign", "POST", C + "/notes/{signed}/cosign", lambda a: {}),
    ("cosign_queue", "GET", "/staff/notes/cosign", None),
]

TABLE: dict[str, tuple[int, ...]] = {
    # route:        cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "note_index": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "my_notes": (200, 200, 200, 200, 200, 200, 403, 403, 403, 302),
    "note_new": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "note_sections": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "note_save": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "note_edit": (200, 404, 404, 404, 404, 404, 404, 403, 403, 302),
    "note_sign": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "note_detail": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "note_addendum": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "note_cosign": (403, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "cosign_queue": (403, 403, 403, 403, 200, 200, 403, 403, 403, 302),
}
SIGNED_TEXT = "Signed words about Olive's housing"
DRAFT_TEXT = "Draft words about Olive's benefits"


@pytest.fixture
def documented(agency):
    """Casey needs co-signatures; Olive has a signed note of his and a draft of his."""
    agency.cm.requires_cosign = True
    signed = write_note(agency.own, agency.cm, SIGNED_TEXT)
    draft = write_note(agency.own, agency.cm, DRAFT_TEXT, sign=False)
    agency.ids.update(signed=signed.id, draft=draft.id)
    return agency


def _ask(browser, agency, method, path, data, *, htmx=False):
    url = path.format(**agency.ids)
    if method == "GET":
        return url, browser.get(url, headers=HTMX if htmx else None)
    return url, post(browser, url, data(agency), htmx=htmx)


def test_the_table_covers_every_notes_route(app):
    endpoints = {
        endpoint.removeprefix("staff.")
        for endpoint, view in app.view_functions.items()
        if view.__module__ == "portal.staff.notes"
    }
    assert endpoints == set(TABLE)
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, documented, role):
    sign_in_as(client, documented, role)
    column = ROLES.index(role)
    answers, leaks = {}, []
    for name, method, path, data in ROUTES:
        url, response = _ask(client, documented, method, path, data)
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next="), url
        body = page(response)
        if response.status_code in (403, 404) and SIGNED_TEXT in body:
            leaks.append(url)
        if role != "cm" and DRAFT_TEXT in body:
            leaks.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert leaks == []  # a refusal shows nothing of the note; a draft shows only to its author


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, documented):
    client.csrf = csrf_token(client, "/login")
    for _name, method, path, data in ROUTES:
        url, response = _ask(client, documented, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"].startswith("/login?next="), url
        assert response.get_data() == b""


def test_a_note_of_another_client_is_missing_under_this_clients_address(client, agency):
    second = make_client(legal_name="Second Client", primary_case_manager=agency.cm)
    signed = write_note(second, agency.cm, "About the second client.")
    draft = write_note(second, agency.cm, "Draft about the second client.", sign=False)
    sign_in(client, agency.cm)
    wrong = notes_url(agency.own)
    answers = {
        "detail": client.get(f"{wrong}/{signed.id}"),
        "edit": client.get(f"{wrong}/{draft.id}/edit"),
        "addendum": post(client, f"{wrong}/{signed.id}/addenda", {"text": "Misplaced"}),
        "autosave": post(
            client,
            wrong + "/save",
            editor_data(note_id=str(draft.id), version="1", data="Moved?"),
            htmx=True,
        ),
        "sign": post(
            client,
            wrong + "/sign",
            editor_data(note_id=str(draft.id), version="1", password=PASSWORD),
        ),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    assert notes_of(agency.own) == []
    stored = db.session.get_one(ProgressNote, draft.id)
    assert (stored.client_id, stored.status, stored.sections["narrative"]) == (
        second.id,
        "draft",
        "Draft about the second client.",
    )
    assert db.session.scalar(select(func.count()).select_from(NoteAddendum)) == 0
    # Under its own client's address the same note opens.
    assert client.get(f"{notes_url(second)}/{signed.id}").status_code == 200


def test_care_team_members_write_and_sign_notes_but_do_not_cosign(client, agency):
    nurse = make_user(Role.CARE_TEAM, display_name="Nell Nurse", requires_cosign=True)
    add_to_care_team(agency.own, nurse, "Nurse")
    sign_in(client, nurse)
    response = post(client, notes_url(agency.own) + "/sign", editor_data(password=PASSWORD))
    assert response.status_code == 303
    [note] = notes_of(agency.own)
    assert (note.author_id, note.status, note.needs_cosign) == (nurse.id, "signed", True)
    assert post(client, f"{notes_url(agency.own)}/{note.id}/cosign").status_code == 403


# ---- Spanish ------------------------------------------------------------------------------------


def test_the_editor_and_its_save_line_are_in_spanish(client, agency):
    agency.cm.locale = "es"
    sign_in(client, agency.cm)
    with force_locale("es"):
        labels = [
            _("Date and time of the contact"),
            _("Duration (minutes)"),
            _("Contact type"),
            _("Note format"),
            _("Your password, to sign"),
            _("Sign note"),
            _("Save draft"),
            str(SECTION_LABELS["data"][0]),
            str(SECTION_LABELS["assessment"][0]),
            str(SECTION_LABELS["plan"][0]),
        ]
        saved_prefix = _("Draft saved at %(time)s", time="TIME").split("TIME")[0]
        no_minutes = _("Enter how many minutes the contact took.")
    english = ["Date and time of the contact", "Duration (minutes)", "Note format", "Sign note"]
    assert saved_prefix.strip() and saved_prefix != "Draft saved at "

    editor = page(client.get(notes_url(agency.own) + "/new"))
    assert '<html lang="es"' in editor
    assert [label for label in labels if label not in editor] == []
    assert [e for e in english if re.search(rf">\s*{re.escape(e)}\s*<", editor)] == []

    saved = page(post(client, notes_url(agency.own) + "/save", editor_data(), htmx=True))
    assert saved_prefix in saved
    assert "Draft saved at" not in saved

    refused = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(duration_minutes="", password=PASSWORD),
    )
    assert refused.status_code == 422
    assert field_error(page(refused), "duration_minutes") == no_minutes


def test_a_signed_home_visit_keeps_its_fingerprint_whatever_the_mileage_typed(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(
            contact_type="home_visit", location="Olive's flat", mileage="10.25", password=PASSWORD
        ),
    )
    assert response.status_code == 303
    [note] = notes_of(agency.own)
    assert note.mileage == 10.3  # the tenth of a mile the record keeps
    assert notes.hash_matches(note)
    body = page(client.get(response.headers["Location"]))
    assert "Signed content verified" in body
    assert "10.3 miles" in body


def test_autosave_skips_a_location_too_long_to_keep(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client,
        notes_url(agency.own) + "/save",
        editor_data(contact_type="home_visit", location="Flat 4, " + "x" * 400),
        htmx=True,
    )
    assert response.status_code == 200
    assert "Some fields are not valid yet and were not saved" in page(response)
    [draft] = notes_of(agency.own)
    assert draft.location is None
    assert draft.sections["data"] == "Olive came in on time and talked about the new flat."
    signing = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(
            note_id=str(draft.id),
            version=str(draft.version),
            contact_type="home_visit",
            location="Flat 4, " + "x" * 400,
            password=PASSWORD,
        ),
    )
    assert signing.status_code == 422
    assert "300" in field_error(page(signing), "location")
    [draft] = notes_of(agency.own)
    assert draft.status == "draft"


def test_a_whole_number_of_miles_still_verifies_when_read_back(client, agency):
    # SQLite hands a NUMERIC 12.0 back as the integer 12: the fingerprint must not care.
    sign_in(client, agency.cm)
    response = post(
        client,
        notes_url(agency.own) + "/sign",
        editor_data(
            contact_type="home_visit", location="Olive's flat", mileage="12", password=PASSWORD
        ),
    )
    assert response.status_code == 303
    db.session.expire_all()
    [note] = notes_of(agency.own)
    assert note.mileage == 12
    assert notes.hash_matches(note)
    assert "Signed content verified" in page(client.get(response.headers["Location"]))
