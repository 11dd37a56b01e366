# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""Who can see what, decided by the client: inviting a family member (a new one gets an
invitation by email), choosing what they see and until when, changing it, ending it at once;
every change audited and on the staff timeline; another client's consent not found; who may
open which page; what was typed kept when the form is refused."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from babel.dates import format_date as babel_format_date
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import agency_today, agency_zone
from portal.models import AuditEvent, Client, FamilyAccess, Role, User, utcnow
from portal.services import care_plans, consents

from ..factories import grant_family_access, make_user
from ..factories import make_client as make_record
from ..helpers import csrf_token
from ..staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from ..staff.support import (
    ROLES,
    field_error,
    field_value,
    page,
    post,
    section,
    sign_in,
    sign_in_as,
)

FAMILY = "/client/family"
INVITE = "/client/family/invite"
REFUSED_EMAIL = "This email cannot be used for a family member. Please check it or use another."


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def flashes(body: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', body, re.S))


def consents_of(person: Client) -> list[FamilyAccess]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(FamilyAccess)
            .where(FamilyAccess.client_id == person.id)
            .order_by(FamilyAccess.id)
        )
    )


def stored(consent_id: int) -> FamilyAccess:
    db.session.expire_all()
    consent = db.session.get(FamilyAccess, consent_id)
    assert consent is not None
    return consent


def consent_events(client_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "consent_change", AuditEvent.client_id == client_id)
            .order_by(AuditEvent.id)
        )
    )


def users_with_email(email: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(User.id)).where(User.email == email.lower())) or 0


def end_of(day: Any) -> datetime:
    """The end of a day in the agency's time zone, as the consent keeps it."""
    return datetime.combine(day, datetime.max.time(), agency_zone())


def card(body: str, consent_id: int) -> str:
    start = body.index(f'id="consent-{consent_id}"')
    return body[start : body.index("</article>", start)]


def checked(fragment: str, name: str) -> list[str]:
    """The values of the ticked checkboxes of this name."""
    ticked = []
    for tag in re.findall(r"<input [^>]*>", fragment):
        if f'name="{name}"' in tag and re.search(r"\schecked\b", tag):
            ticked.append(re.search(r'value="([^"]*)"', tag).group(1))
    return ticked


def invite_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ana Quince",
        "email": "ana.quince@example.net",
        "relationship_label": "Sister",
        "scopes": ["appointments", "goals"],
        "expires_on": "",
    }
    data.update(overrides)
    return data


def other_client() -> tuple[User, Client, FamilyAccess]:
    """Another client, with a portal account and a family member of their own."""
    account = make_user(Role.CLIENT, display_name="Otto Portal")
    person = make_record(legal_name="Otto Other", portal_user=account)
    relative = make_user(Role.FAMILY, display_name="Frida Other")
    return account, person, grant_family_access(person, relative, scopes=("goals",))


# ---- What the client sees -------------------------------------------------------------------


def test_the_page_lists_who_sees_what_until_when_and_the_ended_ones_apart(client, agency):
    until = agency_today() + timedelta(days=30)
    brother = make_user(Role.FAMILY, display_name="Bo Brother")
    friend = make_user(Role.FAMILY, display_name="Fern Friend")
    cousin = make_user(Role.FAMILY, display_name="Cy Cousin")
    dated = grant_family_access(
        agency.own, brother, scopes=("goals", "safety_plan"), expires_at=end_of(until)
    )
    grant_family_access(agency.own, friend, scopes=("materials",), revoked_at=utcnow())
    grant_family_access(
        agency.own, cousin, scopes=("materials",), expires_at=utcnow() - timedelta(days=2)
    )
    _account, _otto, _theirs = other_client()
    sign_in(client, agency.client_user)

    response = client.get(FAMILY)

    assert response.status_code == 200
    body = page(response)
    sharing = section(body, "sharing-title")
    fay = card(sharing, agency.ids["consent"])
    assert "Fay Family" in fay and "Parent" in fay
    assert re.findall(r'<span class="badge">(.*?)</span>', fay) == [
        "Education materials",
        "Appointments",
    ]
    assert "No end date" in fay
    assert checked(fay, "scopes") == ["materials", "appointments"]
    bo = card(sharing, dated.id)
    assert re.findall(r'<span class="badge">(.*?)</span>', bo) == ["Goals", "Safety plan"]
    assert f"Until {babel_format_date(until, 'long', locale='en')}" in bo
    assert field_value(bo, "expires_on") == until.isoformat()
    assert "Stop sharing with Bo Brother now" in bo
    assert "Fern Friend" not in sharing and "Cy Cousin" not in sharing
    ended = section(body, "ended-title")
    today = babel_format_date(agency_today(), "medium", locale="en")
    assert f"Fern Friend · Parent · ended on {today}" in " ".join(ended.split())
    assert "Cy Cousin" in ended and "ran out on" in ended
    assert "Frida Other" not in body and "Otto" not in body
    [event] = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "view", AuditEvent.object_type == "family_access"
        )
    ).all()
    assert (event.actor_id, event.client_id) == (agency.client_user.id, agency.own.id)


def test_a_client_who_shares_with_nobody_is_told_so(client, agency):
    consents.revoke(stored(agency.ids["consent"]), actor=agency.client_user, ip=None)
    sign_in(client, agency.client_user)

    body = page(client.get(FAMILY))

    assert "You do not share anything with anyone." in section(body, "sharing-title")
    assert "Fay Family" in section(body, "ended-title")


# ---- Inviting ---------------------------------------------------------------------------------


def test_inviting_someone_new_creates_their_account_the_consent_and_an_invitation(
    client, agency, mail_sink
):
    until = agency_today() + timedelta(days=60)
    sign_in(client, agency.client_user)

    response = post(client, INVITE, invite_data(expires_on=until.isoformat()))

    assert response.status_code == 303
    assert response.headers["Location"] == FAMILY
    ana = db.session.scalar(select(User).where(User.email == "ana.quince@example.net"))
    assert ana is not None
    assert (ana.role, ana.display_name) == (Role.FAMILY, "Ana Quince")
    consent = consents_of(agency.own)[-1]
    assert consent.family_user_id == ana.id
    assert consent.relationship_label == "Sister"
    assert consent.scopes == frozenset({"appointments", "goals"})
    assert consent.granted_by_id == agency.client_user.id
    assert consent.expires_at == end_of(until)
    assert consent.is_in_force() and consent.revoked_at is None
    [message] = mail_sink.messages
    assert message["To"] == "ana.quince@example.net"
    assert subject_of(message) == "You are invited to Waypoint"
    assert "/welcome/" in body_of(message)
    [event] = consent_events(agency.own.id)
    assert (event.actor_id, event.object_type, event.object_id) == (
        agency.client_user.id,
        "family_access",
        str(consent.id),
    )
    assert event.detail == "grant appointments,goals"
    body = page(client.get(FAMILY))
    assert "We sent Ana Quince an invitation by email." in flashes(body)
    shown = card(section(body, "sharing-title"), consent.id)
    assert "Ana Quince" in shown and "Sister" in shown


def test_the_invited_family_member_accepts_and_sees_only_what_was_chosen(
    client, make_client, agency, mail_sink
):
    plan = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    care_plans.add_goal(plan, {"description": "Keep my own place"}, actor=agency.cm, ip=None)
    care_plans.sign(plan, review_due_on=None, actor=agency.cm, ip=None, today=agency_today())
    sign_in(client, agency.client_user)
    post(client, INVITE, invite_data(scopes=["goals"]))
    [message] = mail_sink.messages
    link = re.search(r"https?://\S+/welcome/\S+", body_of(message))
    assert link is not None
    path = "/" + link.group(0).split("/", 3)[3]

    ana = make_client()
    token = csrf_token(ana, path)
    password = "a long new password for Ana"
    accepted = ana.post(path, data={"csrf_token": token, "password": password, "confirm": password})

    assert accepted.status_code == 303
    assert "Keep my own place" in page(ana.get("/family/goals"))
    assert ana.get("/client/goals").status_code == 403


def test_inviting_a_family_member_who_has_an_account_sends_no_invitation(client, agency, mail_sink):
    relative = make_user(Role.FAMILY, display_name="Ray Relative", email="ray@example.net")
    sign_in(client, agency.client_user)

    response = post(
        client,
        INVITE,
        invite_data(name="Ray R.", email="  RAY@Example.net ", scopes=["materials"]),
    )

    assert response.status_code == 303
    consent = consents_of(agency.own)[-1]
    assert consent.family_user_id == relative.id
    assert consent.scopes == frozenset({"materials"})
    assert consent.expires_at is None
    assert mail_sink.messages == []
    assert users_with_email("ray@example.net") == 1
    body = page(client.get(FAMILY))
    assert "Ray Relative can now see what you chose." in flashes(body)


@pytest.mark.parametrize("who", ["cm", "client_user", "admin", "other client"])
def test_an_email_of_a_staff_or_client_account_is_refused_and_what_was_typed_is_kept(
    client, agency, mail_sink, who
):
    account = other_client()[0] if who == "other client" else getattr(agency, who)
    email = account.email
    before = len(consents_of(agency.own))
    sign_in(client, agency.client_user)

    response = post(
        client,
        INVITE,
        invite_data(
            email=email.upper(), expires_on=(agency_today() + timedelta(days=3)).isoformat()
        ),
    )

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "email") == REFUSED_EMAIL
    invite = section(body, "invite-title")
    assert field_value(invite, "name") == "Ana Quince"
    assert field_value(invite, "email") == email.upper()
    assert field_value(invite, "relationship_label") == "Sister"
    assert field_value(invite, "expires_on") == (agency_today() + timedelta(days=3)).isoformat()
    assert checked(invite, "scopes") == ["appointments", "goals"]
    assert "There is a problem" in body
    assert len(consents_of(agency.own)) == before
    assert users_with_email(email) == 1
    db.session.expire_all()
    assert db.session.get(User, agency.cm.id).role == Role.CASE_MANAGER
    assert mail_sink.messages == []
    assert consent_events(agency.own.id) == []


@pytest.mark.parametrize(
    ("field", "changes", "message"),
    [
        ("scopes", {"scopes": []}, "Choose at least one thing to share."),
        ("scopes", {"scopes": ["notes"]}, None),
        ("expires_on", {"expires_on": "yesterday"}, "Choose a date from today on."),
        ("name", {"name": "  "}, "Write their name."),
        ("email", {"email": "ana-at-example"}, "Enter an email address like name@example.org."),
        ("email", {"email": ""}, "Write their email address."),
        ("relationship_label", {"relationship_label": ""}, "For example: mother, brother, friend."),
    ],
    ids=["no scope", "unknown scope", "past", "no name", "bad email", "no email", "no relation"],
)
def test_a_refused_invitation_shows_the_error_at_its_field_and_keeps_the_rest(
    client, agency, mail_sink, field, changes, message
):
    if changes.get("expires_on") == "yesterday":
        changes = {"expires_on": (agency_today() - timedelta(days=1)).isoformat()}
    data = invite_data(**changes)
    sign_in(client, agency.client_user)

    response = post(client, INVITE, data)

    assert response.status_code == 422
    body = page(response)
    shown = field_error(body, field)
    if message is not None:
        assert shown == message
    invite = section(body, "invite-title")
    for name in ("name", "email", "relationship_label", "expires_on"):
        if name != field:
            assert (field_value(invite, name) or "") == data[name].strip()
    if field != "scopes":
        assert checked(invite, "scopes") == data["scopes"]
    assert len(consents_of(agency.own)) == 1
    assert users_with_email("ana.quince@example.net") == 0
    assert mail_sink.messages == []


# ---- Changing and ending --------------------------------------------------------------------


def test_changing_what_someone_sees_and_until_when(client, make_client, agency):
    until = agency_today() + timedelta(days=10)
    consent_id = agency.ids["consent"]
    sign_in(client, agency.client_user)

    response = post(
        client,
        f"{FAMILY}/{consent_id}",
        {"scopes": ["goals", "safety_plan"], "expires_on": until.isoformat()},
    )

    assert response.status_code == 303 and response.headers["Location"] == FAMILY
    consent = stored(consent_id)
    assert consent.scopes == frozenset({"goals", "safety_plan"})
    assert consent.expires_at == end_of(until)
    assert consent.revoked_at is None
    [event] = consent_events(agency.own.id)
    assert (event.actor_id, event.object_id, event.detail) == (
        agency.client_user.id,
        str(consent_id),
        "scopes goals,safety_plan",
    )
    body = page(client.get(FAMILY))
    assert "Saved. Fay Family sees only what you chose." in flashes(body)
    fay = card(body, consent_id)
    assert checked(fay, "scopes") == ["goals", "safety_plan"]
    assert f"Until {babel_format_date(until, 'long', locale='en')}" in fay
    # The family member's view follows at once: appointments closed, goals open.
    fay_browser = sign_in(make_client(), agency.family)
    assert fay_browser.get("/family/goals").status_code == 200
    assert "Nobody shares their goals" not in page(fay_browser.get("/family/goals"))


def test_taking_the_end_date_away_shares_without_one(client, agency):
    consent = grant_family_access(
        agency.own,
        make_user(Role.FAMILY, display_name="Bo Brother"),
        scopes=("goals",),
        expires_at=end_of(agency_today() + timedelta(days=3)),
    )
    sign_in(client, agency.client_user)

    response = post(client, f"{FAMILY}/{consent.id}", {"scopes": ["goals"], "expires_on": ""})

    assert response.status_code == 303
    assert stored(consent.id).expires_at is None


def test_choosing_nothing_is_refused_at_the_field_and_keeps_the_date(client, agency):
    consent_id = agency.ids["consent"]
    until = (agency_today() + timedelta(days=5)).isoformat()
    sign_in(client, agency.client_user)

    response = post(client, f"{FAMILY}/{consent_id}", {"expires_on": until})

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, f"scopes-{consent_id}") == "Choose at least one thing to share."
    fay = card(body, consent_id)
    assert re.search(r"<details open", fay)
    assert checked(fay, "scopes") == []
    assert f'value="{until}"' in fay
    consent = stored(consent_id)
    assert consent.scopes == frozenset({"materials", "appointments"})
    assert consent.expires_at is None
    assert consent_events(agency.own.id) == []


def test_a_past_end_date_is_refused_at_the_field_and_keeps_the_choice(client, agency):
    consent_id = agency.ids["consent"]
    past = (agency_today() - timedelta(days=1)).isoformat()
    sign_in(client, agency.client_user)

    response = post(client, f"{FAMILY}/{consent_id}", {"scopes": ["goals"], "expires_on": past})

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, f"until-{consent_id}") == "Choose a date from today on."
    fay = card(body, consent_id)
    assert checked(fay, "scopes") == ["goals"]
    assert f'value="{past}"' in fay
    assert stored(consent_id).scopes == frozenset({"materials", "appointments"})


def test_ending_access_takes_effect_at_once(client, make_client, agency):
    consent_id = agency.ids["consent"]
    grant_family_access(agency.own, agency.family, scopes=("goals",))  # a second consent
    fay = sign_in(make_client(), agency.family)
    assert "Nobody shares their goals" not in page(fay.get("/family/goals"))
    sign_in(client, agency.client_user)

    response = post(client, f"{FAMILY}/{consent_id}/end", {"confirm": "yes"})

    assert response.status_code == 303 and response.headers["Location"] == FAMILY
    consent = stored(consent_id)
    assert consent.revoked_at is not None and consent.revoked_by_id == agency.client_user.id
    assert not consent.is_in_force()
    [event] = consent_events(agency.own.id)
    assert (event.object_id, event.detail) == (str(consent_id), "revoke")
    body = page(client.get(FAMILY))
    assert "Fay Family can no longer see anything of yours." in flashes(body)
    assert f'id="consent-{consent_id}"' not in body
    assert "Fay Family" in section(body, "ended-title")
    # The second consent still shares goals; ending it closes them too.
    [_first, second] = consents_of(agency.own)
    post(client, f"{FAMILY}/{second.id}/end", {"confirm": "yes"})
    assert "Nobody shares their goals with you at the moment." in page(fay.get("/family/goals"))


def test_ending_without_confirming_changes_nothing(client, agency):
    consent_id = agency.ids["consent"]
    sign_in(client, agency.client_user)

    response = post(client, f"{FAMILY}/{consent_id}/end", {})

    assert response.status_code == 303
    assert stored(consent_id).revoked_at is None
    assert consent_events(agency.own.id) == []


def test_an_ended_access_cannot_be_changed_back(client, agency):
    consent = grant_family_access(
        agency.own,
        make_user(Role.FAMILY, display_name="Bo Brother"),
        scopes=("goals",),
        revoked_at=utcnow(),
    )
    sign_in(client, agency.client_user)

    response = post(client, f"{FAMILY}/{consent.id}", {"scopes": ["goals", "safety_plan"]})

    assert response.status_code == 404
    assert stored(consent.id).scopes == frozenset({"goals"})
    assert consent_events(agency.own.id) == []


def test_another_clients_consent_is_not_found(client, agency):
    _account, otto, theirs = other_client()
    sign_in(client, agency.client_user)

    changed = post(client, f"{FAMILY}/{theirs.id}", {"scopes": ["materials"]})
    ended = post(client, f"{FAMILY}/{theirs.id}/end", {"confirm": "yes"})
    missing = post(client, f"{FAMILY}/999999/end", {"confirm": "yes"})

    assert (changed.status_code, ended.status_code, missing.status_code) == (404, 404, 404)
    consent = stored(theirs.id)
    assert consent.scopes == frozenset({"goals"}) and consent.revoked_at is None
    assert consent_events(otto.id) == []


def test_every_change_is_on_the_staff_timeline(client, make_client, agency):
    consent_id = agency.ids["consent"]
    sign_in(client, agency.client_user)
    post(client, INVITE, invite_data())
    post(client, f"{FAMILY}/{consent_id}", {"scopes": ["goals"]})
    post(client, f"{FAMILY}/{consent_id}/end", {"confirm": "yes"})
    assert [e.detail for e in consent_events(agency.own.id)] == [
        "grant appointments,goals",
        "scopes goals",
        "revoke",
    ]

    staff = sign_in(make_client(), agency.cm)
    body = page(staff.get(f"/staff/clients/{agency.own.id}/timeline"))

    assert "Family access changed" in body
    assert f'href="/staff/clients/{agency.own.id}/access"' in body


# ---- Who may open which page ----------------------------------------------------------------

# route:            cm   cm_o team nott  sup  osup adm  cli  fam  anon
TABLE: dict[str, tuple[int, ...]] = {
    "family": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "family_invite": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
    "family_change": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
    "family_end": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
}


def test_the_table_covers_every_family_access_route(app):
    endpoints = {e.endpoint for e in app.url_map.iter_rules() if e.endpoint.startswith("client.")}
    assert {f"client.{name}" for name in TABLE} == {
        e for e in endpoints if e.startswith("client.family")
    }


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, role):
    consent_id = agency.ids["consent"]
    sign_in_as(client, agency, role)
    column = ROLES.index(role)

    seen = {
        "family": client.get(FAMILY),
        "family_invite": post(client, INVITE, invite_data()),
        "family_change": post(client, f"{FAMILY}/{consent_id}", {"scopes": ["goals"]}),
        "family_end": post(client, f"{FAMILY}/{consent_id}/end", {"confirm": "yes"}),
    }

    assert {name: r.status_code for name, r in seen.items()} == {
        name: statuses[column] for name, statuses in TABLE.items()
    }
    for response in seen.values():
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login")
    as_client = role == "client_user"
    consent = stored(consent_id)
    assert (consent.revoked_at is not None) is as_client
    assert consent.scopes == frozenset({"goals"} if as_client else {"materials", "appointments"})
    assert len(consents_of(agency.own)) == (2 if as_client else 1)
    assert len(consent_events(agency.own.id)) == (3 if as_client else 0)


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(client, agency):
    response = client.get(FAMILY, headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]


def test_anonymous_posts_change_nothing(client, agency):
    token = csrf_token(client, "/login")
    consent_id = agency.ids["consent"]

    for url, data in [
        (INVITE, invite_data()),
        (f"{FAMILY}/{consent_id}", {"scopes": ["goals"]}),
        (f"{FAMILY}/{consent_id}/end", {"confirm": "yes"}),
    ]:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["Location"]
    consent = stored(consent_id)
    assert consent.revoked_at is None
    assert consent.scopes == frozenset({"materials", "appointments"})
    assert users_with_email("ana.quince@example.net") == 0


# ---- Spanish ------------------------------------------------------------------------------


def test_a_spanish_speaking_client_manages_access_in_spanish(client, agency):
    agency.client_user.locale = "es"
    sign_in(client, agency.client_user)

    body = page(client.get(FAMILY))
    assert "Quién puede ver qué" in body

    response = post(client, f"{FAMILY}/{agency.ids['consent']}", {"scopes": []})
    assert response.status_code == 422
    assert (
        field_error(page(response), f"scopes-{agency.ids['consent']}")
        == "Elige al menos una cosa para compartir."
    )
    refused = post(client, INVITE, invite_data(email=agency.cm.email))
    assert field_error(page(refused), "email") == (
        "Este correo electrónico no se puede usar para un familiar. Revísalo o usa otro, por favor."
    )


def test_inviting_someone_already_shared_with_is_refused_at_the_field(client, agency, mail_sink):
    sign_in(client, agency.client_user)

    response = post(client, INVITE, invite_data(email=agency.family.email, scopes=["goals"]))

    assert response.status_code == 422
    assert "You already share with this person." in field_error(page(response), "email")
    assert [c.id for c in consents_of(agency.own) if c.is_in_force()] == [agency.ids["consent"]]
    assert mail_sink.messages == []


def test_saving_a_consent_unchanged_logs_nothing(client, agency):
    consent = stored(agency.ids["consent"])
    before = len(consent_events(agency.own.id))
    sign_in(client, agency.client_user)

    post(client, f"{FAMILY}/{consent.id}", {"scopes": sorted(consent.scopes), "expires_on": ""})

    assert len(consent_events(agency.own.id)) == before
