"""User administration: who may use it, creating staff by invitation, roles and teams,
deactivation that ends sessions at once, help for locked-out people, and the audit trail."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuthToken, Role, SignInThrottle, User, UserSession, utcnow
from portal.services import admin_users, users

from ..factories import PASSWORD, make_user
from ..helpers import csrf_token, login
from .support import HTMX, ROLES, events, field_error, field_value, page, post, sign_in, sign_in_as

U = "/staff/admin/users"


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


def body_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def link_path(message: Message) -> str:
    match = re.search(r"https?://\S+", body_of(message))
    assert match, "no link in the email"
    return urlsplit(match.group(0)).path


def new_account(**overrides: Any) -> dict[str, Any]:
    data = {
        "display_name": "Robin Newhire",
        "email": "Robin.Newhire@Example.org",
        "role": "case_manager",
        "supervisor_id": "",
        "locale": "",
    }
    data.update(overrides)
    return data


def lock_out(user: User) -> None:
    db.session.add(
        SignInThrottle(
            email_hash=users._email_key(user.email),
            failures=0,
            locked_until=utcnow() + timedelta(minutes=15),
        )
    )
    db.session.flush()


def turn_on_mfa(user: User) -> None:
    user.totp_secret = "JBSWY3DPEHPK3PXP"
    user.mfa_enabled_at = utcnow()
    db.session.flush()


def open_sessions(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        )
        or 0
    )


def still_signed_in(browser: Any) -> bool:
    response = browser.get("/staff/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
        return False
    assert response.status_code == 200
    return True


# ---- Who may do what: a truth table over every route -------------------------------------

Route = tuple[str, str, Callable[[Any], str], Callable[[Any], dict[str, Any]] | None, int]

ROUTES: list[Route] = [
    ("user_index", "GET", lambda a: U, None, 200),
    ("user_new", "GET", lambda a: f"{U}/new", None, 200),
    ("user_new (save)", "POST", lambda a: f"{U}/new", lambda a: new_account(), 303),
    ("user_detail", "GET", lambda a: f"{U}/{a.cm.id}", None, 200),
    ("user_edit", "GET", lambda a: f"{U}/{a.cm.id}/edit", None, 200),
    (
        "user_edit (save)",
        "POST",
        lambda a: f"{U}/{a.cm.id}/edit",
        lambda a: {
            "display_name": "Casey Manager",
            "role": "case_manager",
            "supervisor_id": str(a.other_supervisor.id),
        },
        303,
    ),
    ("user_deactivate", "POST", lambda a: f"{U}/{a.extra.id}/deactivate", lambda a: {}, 303),
    ("user_reactivate", "POST", lambda a: f"{U}/{a.extra.id}/reactivate", lambda a: {}, 303),
    ("user_reset_mfa", "POST", lambda a: f"{U}/{a.extra.id}/reset-mfa", lambda a: {}, 303),
    (
        "user_reset_password",
        "POST",
        lambda a: f"{U}/{a.extra.id}/reset-password",
        lambda a: {},
        303,
    ),
    ("user_unlock", "POST", lambda a: f"{U}/{a.extra.id}/unlock", lambda a: {}, 303),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[r[0] for r in ROUTES])
def test_only_administrators_reach_user_administration(client, agency, role, route):
    _name, method, path_of, data_of, allowed = route
    sign_in_as(client, agency, role)
    path = path_of(agency)
    if method == "GET":
        response = client.get(path)
    else:
        response = post(client, path, data_of(agency) if data_of else {})
    if role == "admin":
        assert response.status_code == allowed, page(response)[:500]
    elif role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    else:
        assert response.status_code == 403


def test_a_refused_staff_member_is_audited_and_changes_nothing(client, agency):
    sign_in(client, agency.supervisor)
    assert post(client, f"{U}/{agency.cm.id}/deactivate").status_code == 403
    assert db.session.get(User, agency.cm.id).active
    [denied] = [e for e in events("access_denied") if e.object_id == "admin_users"]
    assert denied.actor_id == agency.supervisor.id


def test_an_htmx_request_without_a_session_gets_401_and_a_redirect(client, agency):
    response = client.get(U, headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_the_admin_dashboard_links_to_the_account_list(client, agency):
    sign_in(client, agency.admin)
    assert f'href="{U}"' in page(client.get("/staff/"))


# ---- The list --------------------------------------------------------------------------------


def row_of(body: str, user: User) -> str:
    start = body.index(f'id="user-{user.id}"')
    return body[start : body.index("</tr>", start)]


def listed(body: str) -> list[str]:
    return re.findall(r'<tr id="user-\d+">\s*<td><a href="[^"]+">([^<]+)</a>', body)


def test_the_list_shows_each_accounts_facts(client, agency):
    agency.cm.last_login_at = utcnow() - timedelta(days=2)
    turn_on_mfa(agency.team)
    lock_out(agency.not_team)
    agency.extra.active = False
    sign_in(client, agency.admin)
    body = page(client.get(U))

    cm = row_of(body, agency.cm)
    assert agency.cm.email in cm and "Case manager" in cm and "Sam Supervisor" in cm
    assert "<time datetime=" in cm and "Never" not in cm and "Active" in cm
    assert "Off" in cm and "Locked" not in cm
    assert "Never" in row_of(body, agency.other_supervisor)  # never signed in
    assert "On" in row_of(body, agency.team)
    assert "Locked" in row_of(body, agency.not_team)
    assert "Deactivated" in row_of(body, agency.extra)


def test_the_list_shows_the_last_sign_in_after_a_real_sign_in(client, make_client, agency):
    login(make_client(), agency.cm.email)
    sign_in(client, agency.admin)
    stamp = db.session.get(User, agency.cm.id).last_login_at
    assert stamp is not None
    assert f'datetime="{stamp.isoformat()}"' in row_of(page(client.get(U)), agency.cm)


def test_search_by_name_or_email_and_filter_by_role_and_state(client, agency):
    make_user(Role.CASE_MANAGER, display_name="Quinn Zebra", email="q.zebra@example.org")
    make_user(Role.CARE_TEAM, display_name="Ola Other", email="zebra-two@example.org", active=False)
    sign_in(client, agency.admin)

    assert listed(page(client.get(U, query_string={"q": "zebra"}))) == ["Ola Other", "Quinn Zebra"]
    assert listed(page(client.get(U, query_string={"q": "ZEBRA-two"}))) == ["Ola Other"]
    by_role = listed(page(client.get(U, query_string={"role": "supervisor"})))
    assert by_role == ["Sam Supervisor", "Tess Othersup"]
    inactive = listed(page(client.get(U, query_string={"q": "zebra", "active": "0"})))
    assert inactive == ["Ola Other"]
    active = listed(page(client.get(U, query_string={"q": "zebra", "active": "1"})))
    assert active == ["Quinn Zebra"]
    assert listed(page(client.get(U, query_string={"q": "100%"}))) == []  # no wildcard


def test_accented_names_are_found_without_accents_and_sorted_among_their_letters(client, agency):
    make_user(Role.CARE_TEAM, display_name="Álvaro Núñez", email="a.nunez@example.org")
    make_user(Role.CARE_TEAM, display_name="élise Brun", email="e.brun@example.org")
    make_user(Role.CARE_TEAM, display_name="Zoe Zamora", email="z.zamora@example.org")
    sign_in(client, agency.admin)
    assert listed(page(client.get(U, query_string={"q": "NUNEZ"}))) == ["Álvaro Núñez"]
    assert listed(page(client.get(U, query_string={"q": "núñez"}))) == ["Álvaro Núñez"]
    everyone = listed(page(client.get(U, query_string={"role": "care_team"})))
    assert everyone.index("Álvaro Núñez") == 0
    assert everyone.index("élise Brun") < everyone.index("Gil Glass") < everyone.index("Zoe Zamora")
    # A renamed account sorts and is found by its new name.
    renamed = db.session.scalar(select(User).where(User.email == "z.zamora@example.org"))
    renamed.display_name = "Ábaco Zamora"
    db.session.commit()
    assert listed(page(client.get(U, query_string={"q": "abaco"}))) == ["Ábaco Zamora"]


def test_search_as_you_type_answers_with_the_rows_alone(client, agency):
    sign_in(client, agency.admin)
    response = client.get(U, query_string={"q": "casey"}, headers=HTMX)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    body = page(response)
    assert "<html" not in body and 'id="user-list"' in body
    assert listed(body) == ["Casey Manager"]


def test_the_list_is_paged(client, agency):
    for n in range(30):
        make_user(Role.CARE_TEAM, display_name=f"Zz Person {n:02d}")
    sign_in(client, agency.admin)
    first = page(client.get(U))
    assert len(listed(first)) == 25 and 'rel="next"' in first
    second = page(client.get(U, query_string={"page": 2}))
    assert "Zz Person 29" in listed(second)


def test_the_lists_queries_do_not_grow_with_the_accounts(client, agency, count_queries):
    sign_in(client, agency.admin)
    query = {"q": "zz person"}
    make_user(Role.CARE_TEAM, display_name="Zz Person 00")
    client.get(U, query_string=query)
    with count_queries() as one:
        assert len(listed(page(client.get(U, query_string=query)))) == 1
    supervisor = make_user(Role.SUPERVISOR, display_name="Zz Boss")
    for n in range(1, 30):
        person = make_user(
            Role.CASE_MANAGER, display_name=f"Zz Person {n:02d}", supervisor=supervisor
        )
        lock_out(person)
    with count_queries() as many:
        assert len(listed(page(client.get(U, query_string=query)))) == 25
    assert many.count == one.count, many.statements


# ---- Creating an account by invitation -------------------------------------------------------


def test_a_new_staff_account_gets_an_invitation_and_no_typed_password(
    client, make_client, agency, mail_sink
):
    sign_in(client, agency.admin)
    form = page(client.get(f"{U}/new"))
    assert 'type="password"' not in form
    response = post(
        client, f"{U}/new", new_account(supervisor_id=str(agency.supervisor.id), locale="es")
    )
    assert response.status_code == 303
    user = users.find_by_email("robin.newhire@example.org")
    assert user is not None
    assert response.headers["Location"] == f"{U}/{user.id}"
    assert (user.role, user.supervisor_id, user.locale, user.display_name) == (
        "case_manager",
        agency.supervisor.id,
        "es",
        "Robin Newhire",
    )
    assert not users.verify_password(user, PASSWORD) and not users.verify_password(user, "")
    [event] = events("user_create")
    assert event.actor_id == agency.admin.id and event.object_id == str(user.id)

    [message] = mail_sink.messages
    assert message["To"] == "robin.newhire@example.org"
    path = link_path(message)
    assert path.startswith("/welcome/")

    # The person follows the link, chooses a password and lands on the staff dashboard.
    newcomer = make_client()
    token = csrf_token(newcomer, path)
    chosen = "a passphrase of my own choosing"
    answer = newcomer.post(path, data={"password": chosen, "confirm": chosen, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == "/staff/"
    assert users.verify_password(db.session.get(User, user.id), chosen)


def test_the_invitation_is_for_staff_and_announced_to_the_admin(client, agency, mail_sink):
    sign_in(client, agency.admin)
    response = post(client, f"{U}/new", new_account(role="care_team"))
    [message] = mail_sink.messages
    assert "opened a Waypoint staff account for you" in body_of(message)
    assert "within 7 days" in body_of(message)
    body = page(client.get(response.headers["Location"]))
    assert "Account created for Robin Newhire." in body
    assert "An invitation to choose a password went to robin.newhire@example.org." in body


@pytest.mark.parametrize(
    "email", ["cm-dup@example.org", "CM-DUP@EXAMPLE.ORG", " Cm-Dup@example.org "]
)
def test_an_email_already_used_in_any_case_is_refused_at_the_field(
    client, agency, email, mail_sink
):
    make_user(Role.CLIENT, email="cm-dup@example.org")
    sign_in(client, agency.admin)
    before = db.session.scalar(select(func.count()).select_from(User))
    response = post(client, f"{U}/new", new_account(email=email, display_name="Kept Name"))
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "email") == "Another account uses this email."
    assert field_value(body, "display_name") == "Kept Name"
    assert field_value(body, "email") == email.strip()
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert mail_sink.messages == [] and events("user_create") == []


def test_bad_input_is_refused_at_the_field_keeping_what_was_typed(client, agency):
    sign_in(client, agency.admin)
    response = post(client, f"{U}/new", new_account(display_name="", email="not-an-email"))
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "display_name") == "Enter the person's name."
    assert field_error(body, "email") == "Enter an email address like name@example.org."
    assert field_value(body, "email") == "not-an-email"


@pytest.mark.parametrize("role", ["client", "family", "root"])
def test_only_staff_roles_can_be_created_here(client, agency, role):
    sign_in(client, agency.admin)
    response = post(client, f"{U}/new", new_account(role=role))
    assert response.status_code == 422
    assert users.find_by_email("robin.newhire@example.org") is None


def test_a_supervisor_must_be_an_active_supervisor(client, agency):
    sign_in(client, agency.admin)
    response = post(client, f"{U}/new", new_account(supervisor_id=str(agency.cm_other.id)))
    assert response.status_code == 422
    assert field_error(page(response), "supervisor_id")


@pytest.mark.parametrize(
    "app_config", [{"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9, "MAIL_BACKEND": "smtp"}]
)
def test_a_failed_invitation_email_is_told_to_the_admin(client, agency):
    # Nothing listens on port 9 (discard): the mail server cannot be reached.
    sign_in(client, agency.admin)
    response = post(client, f"{U}/new", new_account())
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "could not be sent" in body
    assert users.find_by_email("robin.newhire@example.org") is not None


# ---- Role and supervisor ---------------------------------------------------------------------


def edit(browser: Any, user: User, **data: Any) -> Any:
    fields = {
        "display_name": user.display_name,
        "role": user.role,
        "supervisor_id": str(user.supervisor_id or ""),
    }
    fields.update(data)
    return post(browser, f"{U}/{user.id}/edit", fields)


def test_moving_a_case_manager_to_another_team_changes_both_team_pages(client, agency):
    sign_in(client, agency.admin)
    sam = page(client.get(f"{U}/{agency.supervisor.id}"))
    assert 'id="team-title"' in sam and f'id="team-{agency.cm.id}"' in sam

    response = edit(client, agency.cm, supervisor_id=str(agency.other_supervisor.id))
    assert response.status_code == 303
    assert db.session.get(User, agency.cm.id).supervisor_id == agency.other_supervisor.id
    assert f'id="team-{agency.cm.id}"' not in page(client.get(f"{U}/{agency.supervisor.id}"))
    tess = page(client.get(f"{U}/{agency.other_supervisor.id}"))
    assert f'id="team-{agency.cm.id}"' in tess and f'id="team-{agency.cm_other.id}"' in tess
    [event] = events("supervisor_change")
    assert event.detail == f"{agency.supervisor.id} -> {agency.other_supervisor.id}"
    assert event.actor_id == agency.admin.id and event.object_id == str(agency.cm.id)


def test_the_edit_form_shows_the_current_values(client, agency):
    sign_in(client, agency.admin)
    body = page(client.get(f"{U}/{agency.cm.id}/edit"))
    assert field_value(body, "display_name") == "Casey Manager"
    assert f'<option selected value="{agency.supervisor.id}">' in body or re.search(
        rf'<option[^>]*value="{agency.supervisor.id}"[^>]*selected', body
    )


def test_a_role_change_takes_effect_at_the_next_request(client, make_client, agency):
    casey = sign_in(make_client(), agency.cm)
    assert casey.get(f"/staff/clients/{agency.own.id}").status_code == 200
    sign_in(client, agency.admin)
    response = edit(client, agency.cm, role="care_team")
    assert response.status_code == 303
    changed = db.session.get(User, agency.cm.id)
    assert changed.role == "care_team" and changed.supervisor_id is None
    [event] = events("role_change")
    assert event.detail == "case_manager -> care_team" and event.actor_id == agency.admin.id
    assert events("supervisor_change")[-1].detail == f"{agency.supervisor.id} -> -"
    # A care-team member sees only the clients whose care team they are on.
    assert casey.get(f"/staff/clients/{agency.own.id}").status_code == 404


def test_renaming_is_audited(client, agency):
    sign_in(client, agency.admin)
    assert edit(client, agency.team, display_name="Dr Pat Prescriber").status_code == 303
    assert db.session.get(User, agency.team.id).display_name == "Dr Pat Prescriber"
    [event] = [e for e in events("update") if e.object_type == "user"]
    assert event.detail == "display_name" and event.object_id == str(agency.team.id)


def test_a_supervisor_with_a_team_keeps_the_role_until_the_team_moves(client, agency):
    sign_in(client, agency.admin)
    response = edit(client, agency.supervisor, role="case_manager", display_name="Sam S.")
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "role") == (
        "Sam Supervisor still supervises case managers. Give them another supervisor first."
    )
    assert field_value(body, "display_name") == "Sam S."  # what was typed stays
    again = db.session.get(User, agency.supervisor.id)
    assert (again.role, again.display_name) == ("supervisor", "Sam Supervisor")
    assert events("role_change") == [] and [e for e in events("update")] == []

    edit(client, agency.cm, supervisor_id="")
    assert edit(client, agency.supervisor, role="case_manager").status_code == 303
    assert db.session.get(User, agency.supervisor.id).role == "case_manager"


def test_a_deactivated_supervisor_is_kept_until_changed_but_not_offered(client, agency):
    sign_in(client, agency.admin)
    post(client, f"{U}/{agency.supervisor.id}/deactivate")
    form = page(client.get(f"{U}/{agency.cm.id}/edit"))
    assert "Sam Supervisor (deactivated)" in form
    assert "Sam Supervisor (deactivated)" not in page(client.get(f"{U}/{agency.cm_other.id}/edit"))
    assert edit(client, agency.cm, display_name="Casey M.").status_code == 303
    assert db.session.get(User, agency.cm.id).supervisor_id == agency.supervisor.id
    assert events("supervisor_change") == []
    refused = edit(client, agency.cm_other, supervisor_id=str(agency.supervisor.id))
    assert refused.status_code == 422
    assert db.session.get(User, agency.cm_other.id).supervisor_id == agency.other_supervisor.id


def test_only_a_case_manager_has_a_supervisor(client, agency):
    sign_in(client, agency.admin)
    response = edit(client, agency.team, supervisor_id=str(agency.supervisor.id))
    assert response.status_code == 303
    assert db.session.get(User, agency.team.id).supervisor_id is None


def test_client_and_family_accounts_keep_their_role(client, agency):
    sign_in(client, agency.admin)
    response = edit(client, agency.client_user, role="admin")
    assert response.status_code == 422
    assert db.session.get(User, agency.client_user.id).role == "client"
    with pytest.raises(admin_users.AdminRefused):
        admin_users.change_role(agency.family, "case_manager", actor=agency.admin, ip=None)


# ---- Self-protection -------------------------------------------------------------------------


def test_an_admin_cannot_demote_themselves(client, agency):
    sign_in(client, agency.admin)
    response = edit(client, agency.admin, role="supervisor")
    assert response.status_code == 422
    assert field_error(page(response), "role") == (
        "You cannot change your own role. Ask another administrator to do it."
    )
    assert db.session.get(User, agency.admin.id).role == "admin"
    assert edit(client, agency.admin, display_name="Ada A.").status_code == 303  # a name is fine


def test_an_admin_cannot_deactivate_themselves(client, agency):
    sign_in(client, agency.admin)
    assert "Deactivate the account" not in page(client.get(f"{U}/{agency.admin.id}"))
    response = post(client, f"{U}/{agency.admin.id}/deactivate")
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "You cannot deactivate your own account. Ask another administrator." in body
    assert db.session.get(User, agency.admin.id).active
    assert events("deactivate") == []
    assert still_signed_in(client)


@pytest.mark.parametrize("action", ["reset-password", "reset-mfa"])
def test_an_admin_uses_their_account_page_for_their_own_password_and_mfa(client, agency, action):
    sign_in(client, agency.admin)
    response = post(client, f"{U}/{agency.admin.id}/{action}")
    body = page(client.get(response.headers["Location"]))
    assert "on your account page" in body
    assert users.verify_password(db.session.get(User, agency.admin.id), PASSWORD)


def test_another_admin_may_be_deactivated(client, agency):
    other = make_user(Role.ADMIN, display_name="Abe Admin")
    sign_in(client, agency.admin)
    assert post(client, f"{U}/{other.id}/deactivate").status_code == 303
    assert not db.session.get(User, other.id).active


# ---- Deactivate and reactivate ---------------------------------------------------------------


def test_deactivation_ends_the_session_at_the_next_request(client, make_client, agency):
    casey = sign_in(make_client(), agency.cm)
    assert still_signed_in(casey)
    sign_in(client, agency.admin)
    assert "Deactivate the account and sign them out everywhere" in page(
        client.get(f"{U}/{agency.cm.id}")
    )

    response = post(client, f"{U}/{agency.cm.id}/deactivate")
    assert response.status_code == 303 and response.headers["Location"] == f"{U}/{agency.cm.id}"

    assert not still_signed_in(casey)
    assert open_sessions(agency.cm) == 0
    assert not db.session.get(User, agency.cm.id).active
    [event] = events("deactivate")
    assert event.actor_id == agency.admin.id and event.object_id == str(agency.cm.id)
    ended = [e for e in events("session_end") if e.object_id == str(agency.cm.id)]
    assert (
        ended
        and ended[-1].detail.startswith("deactivated")
        and ended[-1].actor_id == agency.admin.id
    )
    # And the password no longer signs in.
    assert login(make_client(), agency.cm.email).status_code == 422
    assert "deactivated and every session has ended" in page(client.get(f"{U}/{agency.cm.id}"))


def test_reactivation_lets_the_person_sign_in_again(client, make_client, agency):
    sign_in(client, agency.admin)
    post(client, f"{U}/{agency.cm.id}/deactivate")
    assert "Reactivate the account" in page(client.get(f"{U}/{agency.cm.id}"))

    assert post(client, f"{U}/{agency.cm.id}/reactivate").status_code == 303
    assert db.session.get(User, agency.cm.id).active
    [event] = events("reactivate")
    assert event.actor_id == agency.admin.id and event.object_id == str(agency.cm.id)
    assert login(make_client(), agency.cm.email).status_code == 303


# ---- Help for people who cannot sign in ------------------------------------------------------


def test_resetting_two_step_sign_in_turns_it_off_and_ends_sessions(client, make_client, agency):
    casey = sign_in(make_client(), agency.cm)
    turn_on_mfa(agency.cm)
    sign_in(client, agency.admin)
    assert "Reset two-step sign-in" in page(client.get(f"{U}/{agency.cm.id}"))

    assert post(client, f"{U}/{agency.cm.id}/reset-mfa").status_code == 303
    user = db.session.get(User, agency.cm.id)
    assert not user.has_mfa and user.totp_secret is None
    assert not still_signed_in(casey)
    [event] = events("mfa_reset")
    assert event.actor_id == agency.admin.id and event.object_id == str(agency.cm.id)
    assert [e for e in events("session_end") if e.detail.startswith("mfa_reset")]


def test_a_forced_password_reset(client, make_client, agency, mail_sink):
    casey = sign_in(make_client(), agency.cm)
    old_invite = admin_users.tokens.issue(agency.cm, "invite", minutes=60)
    sign_in(client, agency.admin)
    response = post(client, f"{U}/{agency.cm.id}/reset-password")
    assert response.status_code == 303

    assert not still_signed_in(casey)  # every session ended
    assert open_sessions(agency.cm) == 0
    assert login(make_client(), agency.cm.email).status_code == 422  # old password refused
    [event] = events("password_reset_forced")
    assert event.actor_id == agency.admin.id and event.object_id == str(agency.cm.id)
    assert admin_users.tokens.peek(old_invite, "invite") is None  # older links stop working

    [message] = mail_sink.messages
    assert message["To"] == agency.cm.email
    body = body_of(message)
    assert "Your old password no longer works" in body
    path = link_path(message)
    assert path.startswith("/reset/")
    flashed = page(client.get(f"{U}/{agency.cm.id}"))
    assert f"A reset link went to {agency.cm.email}." in flashed

    newcomer = make_client()
    chosen = "a fresh passphrase after the reset"
    token = csrf_token(newcomer, path)
    answer = newcomer.post(path, data={"password": chosen, "confirm": chosen, "csrf_token": token})
    assert answer.status_code == 303
    assert login(make_client(), agency.cm.email, chosen).status_code == 303


def test_only_the_newest_reset_link_works(client, agency, mail_sink):
    sign_in(client, agency.admin)
    post(client, f"{U}/{agency.cm.id}/reset-password")
    post(client, f"{U}/{agency.cm.id}/reset-password")
    usable = db.session.scalar(
        select(func.count())
        .select_from(AuthToken)
        .where(AuthToken.user_id == agency.cm.id, AuthToken.used_at.is_(None))
    )
    assert usable == 1 and len(mail_sink.messages) == 2


def test_unlocking_a_locked_out_account(client, make_client, agency):
    lock_out(agency.cm)
    assert login(make_client(), agency.cm.email).status_code == 422  # locked: refused
    sign_in(client, agency.admin)
    detail = page(client.get(f"{U}/{agency.cm.id}"))
    assert "Unlock the account now" in detail and "Locked" in detail

    assert post(client, f"{U}/{agency.cm.id}/unlock").status_code == 303
    assert not users.is_locked(agency.cm.email)
    assert "Casey Manager can sign in again." in page(client.get(f"{U}/{agency.cm.id}"))
    [event] = events("account_unlocked")
    assert event.actor_id == agency.admin.id and event.detail == "was locked"
    assert login(make_client(), agency.cm.email).status_code == 303


def test_a_button_without_its_csrf_token_is_refused(client, agency):
    sign_in(client, agency.admin)
    response = client.post(f"{U}/{agency.cm.id}/deactivate", data={})
    assert response.status_code == 400
    assert db.session.get(User, agency.cm.id).active


def test_actions_on_a_missing_account_are_404(client, agency):
    sign_in(client, agency.admin)
    assert client.get(f"{U}/99999").status_code == 404
    assert post(client, f"{U}/99999/deactivate").status_code == 404


def test_no_state_changes_on_get(client, agency):
    sign_in(client, agency.admin)
    for action in ("deactivate", "reactivate", "reset-mfa", "reset-password", "unlock"):
        assert client.get(f"{U}/{agency.cm.id}/{action}").status_code == 405


# ---- Languages -------------------------------------------------------------------------------


def test_pages_render_for_an_administrator_who_reads_spanish(client, agency):
    agency.admin.locale = "es"
    sign_in(client, agency.admin)
    for path in (U, f"{U}/new", f"{U}/{agency.supervisor.id}", f"{U}/{agency.cm.id}/edit"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="es"' in page(response), path
    rejected = post(client, f"{U}/new", new_account(display_name=""))
    assert rejected.status_code == 422 and '<html lang="es"' in page(rejected)
