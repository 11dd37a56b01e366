"""The audit log viewer and each client's accounting of disclosures."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.services import audit

from ..conftest import ON_POSTGRES
from .support import HTMX, ROLES, events, page, post, sign_in, sign_in_as

# The CSV answers stream: ``buffered=True`` reads them inside the request's own context, as
# a server does (the isolated test client runs each request in a context of its own).
URL = "/staff/admin/audit"
VERIFY = "/staff/admin/audit/verify"
EXPORT = "/staff/admin/audit/export.csv"

AUDIT_EXPECTED = {
    "cm": 403,
    "cm_other": 403,
    "team": 403,
    "not_team": 403,
    "supervisor": 200,
    "other_supervisor": 200,
    "admin": 200,
    "client_user": 403,
    "family": 403,
    "anonymous": 302,
}

# The primary case manager and the supervisors who see the client; nobody else.
DISCLOSURES_EXPECTED = {
    "cm": 200,
    "cm_other": 404,
    "team": 404,
    "not_team": 404,
    "supervisor": 200,
    "other_supervisor": 404,
    "admin": 404,
    "client_user": 403,
    "family": 403,
    "anonymous": 302,
}


def disclosures_url(client_id: int, suffix: str = "") -> str:
    return f"/staff/clients/{client_id}/disclosures{suffix}"


def add(
    action: str,
    actor: User | None,
    *,
    object_type: str | None = None,
    client_id: int | None = None,
    ip: str = "10.0.0.1",
) -> AuditEvent:
    event = audit.record(
        action, actor=actor, ip=ip, object_type=object_type, object_id=1, client_id=client_id
    )
    db.session.commit()
    return event


def shown_ids(response, prefix: str = "event") -> list[int]:
    return [int(n) for n in re.findall(rf'id="{prefix}-(\d+)"', response.get_data(as_text=True))]


def all_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())))


def matching(predicate: Callable[[AuditEvent], bool]) -> list[int]:
    return [e.id for e in all_events() if predicate(e)]


@pytest.fixture
def mixed(agency):
    """Hand-made events: two actors, two clients, several actions and object types."""
    own, theirs = agency.ids["client"], agency.ids["theirs"]
    for _ in range(2):
        add("view", agency.cm, object_type="client", client_id=own)
        add("print", agency.cm, object_type="safety_plan", client_id=own)
        add("view", agency.cm_other, object_type="client", client_id=theirs)
        add("export", agency.team, object_type="document", client_id=own)
        add("update", agency.cm_other, object_type="progress_note", client_id=theirs)
    return agency


# --- who may read the log -----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_audit_log_is_for_administrators_and_supervisors(client, agency, role):
    sign_in_as(client, agency, role)
    response = client.get(URL)
    assert response.status_code == AUDIT_EXPECTED[role]
    if role == "anonymous":
        assert "/login" in response.headers["Location"]
    assert post(client, VERIFY).status_code == AUDIT_EXPECTED[role]
    assert client.get(EXPORT, buffered=True).status_code == AUDIT_EXPECTED[role]
    if role in ("cm", "cm_other", "team", "not_team"):
        denied = [e.object_type for e in events("access_denied")]
        assert denied == ["audit_log"] * 3


@pytest.mark.parametrize("role", ROLES)
def test_disclosures_are_for_the_case_manager_and_supervisors(client, agency, role):
    sign_in_as(client, agency, role)
    for suffix in ("", ".csv"):
        response = client.get(disclosures_url(agency.ids["client"], suffix), buffered=True)
        assert response.status_code == DISCLOSURES_EXPECTED[role], suffix


def test_disclosures_refused_to_the_care_team_is_logged_as_missing(client, agency):
    sign_in(client, agency.team)
    assert client.get(f"/staff/clients/{agency.ids['client']}").status_code == 200
    assert client.get(disclosures_url(agency.ids["client"])).status_code == 404
    denied = events("access_denied", agency.ids["client"])
    assert [(e.actor_id, e.object_type) for e in denied] == [(agency.team.id, "disclosures")]


def test_the_access_tab_links_the_disclosures_for_those_who_may_see_them(make_client, agency):
    path = f"/staff/clients/{agency.ids['client']}/access"
    link = disclosures_url(agency.ids["client"])
    assert link in page(sign_in(make_client(), agency.cm).get(path))
    assert link not in page(sign_in(make_client(), agency.team).get(path))


# --- filters --------------------------------------------------------------------------------


def test_the_log_shows_every_event_newest_first(client, mixed):
    sign_in(client, mixed.admin)
    expected = matching(lambda e: True)
    response = client.get(URL)
    assert response.status_code == 200
    assert shown_ids(response) == expected[:50]


@pytest.mark.parametrize(
    ("args", "predicate"),
    [
        ({"action": "print"}, lambda e, a: e.action == "print"),
        ({"object": "document"}, lambda e, a: e.object_type == "document"),
        ({"actor": "CM_OTHER"}, lambda e, a: e.actor_id == a.cm_other.id),
        ({"actor": "ID_TEAM"}, lambda e, a: e.actor_id == a.team.id),
        ({"client": "WP-000502"}, lambda e, a: e.client_id == a.ids["theirs"]),
        ({"client": "wp-000501"}, lambda e, a: e.client_id == a.ids["client"]),
        ({"client": "ID_OWN"}, lambda e, a: e.client_id == a.ids["client"]),
        (
            {"action": "view", "client": "ID_OWN"},
            lambda e, a: e.action == "view" and e.client_id == a.ids["client"],
        ),
    ],
)
def test_each_filter_narrows_the_log(client, mixed, args, predicate):
    substitutes = {
        "CM_OTHER": mixed.cm_other.email,
        "ID_TEAM": str(mixed.team.id),
        "ID_OWN": str(mixed.ids["client"]),
    }
    args = {key: substitutes.get(value, value) for key, value in args.items()}
    sign_in(client, mixed.supervisor)
    expected = matching(lambda e: predicate(e, mixed))
    assert expected
    response = client.get(URL, query_string=args)
    assert response.status_code == 200
    assert shown_ids(response) == expected


def test_someone_unknown_matches_nothing_and_says_so(client, mixed):
    sign_in(client, mixed.admin)
    response = client.get(URL, query_string={"actor": "nobody@example.org"})
    assert response.status_code == 422
    assert shown_ids(response) == []
    assert "No one has this email address or user number." in page(response)
    response = client.get(URL, query_string={"client": "WP-999999"})
    assert (response.status_code, shown_ids(response)) == (422, [])
    response = client.get(URL, query_string={"from": "2026-02-31"})
    assert response.status_code == 422
    assert "Enter a date like 2024-03-31." in page(response)


def test_dates_are_days_in_the_agency_time_zone(client, agency, monkeypatch):
    """America/Chicago in January is UTC-6: 05:59 UTC is still the evening before."""
    times = iter(
        [datetime(2026, 1, 15, 5, 59, 59, tzinfo=UTC), datetime(2026, 1, 15, 6, 0, tzinfo=UTC)]
    )
    monkeypatch.setattr(audit, "utcnow", lambda: next(times))
    late = add("print", agency.cm, object_type="care_plan")
    early = add("print", agency.cm, object_type="care_plan")
    monkeypatch.undo()
    sign_in(client, agency.admin)
    day = {"action": "print"}
    assert shown_ids(client.get(URL, query_string={**day, "from": "2026-01-15"})) == [early.id]
    assert shown_ids(client.get(URL, query_string={**day, "to": "2026-01-14"})) == [late.id]
    both = {**day, "from": "2026-01-14", "to": "2026-01-15"}
    assert shown_ids(client.get(URL, query_string=both)) == [early.id, late.id]
    one_day = {**day, "from": "2026-01-15", "to": "2026-01-15"}
    assert shown_ids(client.get(URL, query_string=one_day)) == [early.id]


def test_a_day_among_many_is_exactly_that_day(client, agency, monkeypatch):
    """Events on either side, far and near: the primary-key bounds keep exactly the day."""
    chicago = ZoneInfo("America/Chicago")
    moments = [
        datetime(2026, 3, 2, 9, 0, tzinfo=chicago),
        datetime(2026, 3, 9, 23, 59, 59, tzinfo=chicago),
        datetime(2026, 3, 10, 0, 0, tzinfo=chicago),
        datetime(2026, 3, 10, 23, 59, 59, tzinfo=chicago),
        datetime(2026, 3, 11, 0, 0, tzinfo=chicago),
        datetime(2026, 3, 20, 12, 0, tzinfo=chicago),
    ]
    times = iter(moment.astimezone(UTC) for moment in moments)
    monkeypatch.setattr(audit, "utcnow", lambda: next(times))
    made = [add("sign", agency.cm, object_type="care_plan").id for _ in moments]
    monkeypatch.undo()
    sign_in(client, agency.supervisor)
    day = {"action": "sign", "from": "2026-03-10", "to": "2026-03-10"}
    assert shown_ids(client.get(URL, query_string=day)) == [made[3], made[2]]
    week = {"action": "sign", "from": "2026-03-09", "to": "2026-03-11"}
    assert shown_ids(client.get(URL, query_string=week)) == made[4:0:-1]
    since = {"action": "sign", "from": "2026-03-11"}
    assert shown_ids(client.get(URL, query_string=since)) == [made[5], made[4]]


def test_htmx_gets_the_events_alone(client, mixed):
    sign_in(client, mixed.admin)
    response = client.get(URL, query_string={"action": "print"}, headers=HTMX)
    body = page(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="audit-events"' in body
    assert "HX-Request" in response.headers["Vary"]
    assert shown_ids(response) == matching(lambda e: e.action == "print")
    assert "HX-Request" in client.get(URL).headers["Vary"]


# --- paging ---------------------------------------------------------------------------------


def test_pages_follow_the_event_id_without_gaps_or_repeats(client, agency):
    for i in range(120):
        audit.record("view", actor=agency.cm, ip="10.0.0.2", object_type="client", object_id=i)
    db.session.commit()
    sign_in(client, agency.admin)
    expected = matching(lambda e: e.action == "view")
    seen: list[int] = []
    url = f"{URL}?action=view&from=2000-01-01"
    pages = 0
    while url:
        response = client.get(url)
        ids = shown_ids(response)
        assert len(ids) <= 50
        seen.extend(ids)
        pages += 1
        older = re.search(r'rel="next" href="([^"]+)"', response.get_data(as_text=True))
        url = older.group(1).replace("&amp;", "&") if older else ""
    assert pages == 3
    assert seen == expected
    assert len(set(seen)) == len(seen)


def test_the_page_makes_as_many_queries_for_200_events_as_for_5(client, agency, count_queries):
    sign_in(client, agency.admin)

    def queries_for(n: int) -> int:
        for i in range(n):
            audit.record(
                "print", actor=agency.cm, ip="10.0.0.3", object_type="care_plan", object_id=i
            )
        db.session.commit()
        with count_queries() as counted:
            response = client.get(URL, query_string={"action": "print"})
        assert response.status_code == 200
        return counted.count

    assert queries_for(5) == queries_for(195)


# --- export ---------------------------------------------------------------------------------


def test_the_export_is_the_filtered_events_as_csv(client, mixed):
    sign_in(client, mixed.supervisor)
    expected = matching(lambda e: e.client_id == mixed.ids["client"])
    response = client.get(EXPORT, buffered=True, query_string={"client": "WP-000501"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == expected
    by_id = {e.id: e for e in all_events()}
    for row in rows:
        event = by_id[int(row["id"])]
        assert row["action"] == event.action
        assert row["object_type"] == (event.object_type or "")
        assert row["hash"] == event.hash
        actor = db.session.get(User, event.actor_id)
        assert actor is not None
        assert row["actor_email"] == actor.email
    exported = events("export")
    assert (exported[-1].actor_id, exported[-1].object_type) == (
        mixed.supervisor.id,
        "audit_log",
    )
    assert exported[-1].detail == f"client={mixed.ids['client']}"


def test_the_export_has_a_header_when_nothing_matches(client, agency):
    sign_in(client, agency.admin)
    response = client.get(EXPORT, buffered=True, query_string={"action": "sign"})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["id", "occurred_at_utc", "actor_id"]
    assert rows[1:] == []


def test_text_a_spreadsheet_would_run_is_defused(client, agency):
    audit.record("login_failed", actor=None, ip="10.0.0.4", detail="=HYPERLINK(1)")
    db.session.commit()
    sign_in(client, agency.admin)
    response = client.get(EXPORT, buffered=True, query_string={"action": "login_failed"})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [row["detail"] for row in rows] == ["'=HYPERLINK(1)"]


# --- reading the log is audited -------------------------------------------------------------


def test_reading_the_log_is_itself_logged(client, agency):
    sign_in(client, agency.supervisor)
    client.get(URL, query_string={"action": "print", "from": "2026-01-01"})
    viewed = [e for e in events("view") if e.object_type == "audit_log"]
    assert [(e.actor_id, e.detail) for e in viewed] == [
        (agency.supervisor.id, "action=print from=2026-01-01")
    ]
    assert viewed[0].ip == "127.0.0.1"


# --- the chain ------------------------------------------------------------------------------


def _tamper(event_id: int) -> None:
    """What an attacker with database access would do: switch the guard off, then edit."""
    conn = db.session.connection()
    if ON_POSTGRES:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(f"UPDATE audit_event SET ip = '203.0.113.9' WHERE id = {event_id}"))
        conn.execute(sa.text("SET LOCAL session_replication_role = origin"))
    else:
        conn.execute(sa.text("DROP TRIGGER audit_event_no_update"))
        conn.execute(sa.text(f"UPDATE audit_event SET ip = '203.0.113.9' WHERE id = {event_id}"))
    db.session.commit()


def test_the_chain_check_runs_on_demand_and_shows_a_broken_link(client, mixed):
    sign_in(client, mixed.admin)
    before = page(client.get(URL))
    assert "Check the chain now" in before
    assert "The chain is intact." not in before
    intact = post(client, VERIFY)
    assert intact.status_code == 200
    assert "The chain is intact." in page(intact)
    assert 'id="audit-events"' in page(intact)
    target = all_events()[-3].id
    _tamper(target)
    broken = post(client, VERIFY)
    body = page(broken)
    assert f"The chain is broken at event {target}." in body
    assert "the event was changed after it was written" in body
    checks = [e.detail for e in events("view") if e.object_type == "audit_log"]
    assert checks[-2:] == [
        "chain check: intact",
        f"chain check: broken at {target}: row content changed",
    ]


def test_the_chain_check_answers_htmx_with_its_panel(client, agency):
    sign_in(client, agency.admin)
    response = post(client, VERIFY, htmx=True)
    body = page(response)
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="audit-chain"' in body
    assert "The chain is intact." in body


# --- accounting of disclosures --------------------------------------------------------------


def test_disclosures_list_staff_who_saw_this_client_and_no_one_else(client, make_client, agency):
    own, theirs = agency.ids["client"], agency.ids["theirs"]
    pat = sign_in(make_client(), agency.team)
    assert pat.get(f"/staff/clients/{own}").status_code == 200
    cleo = sign_in(make_client(), agency.cm_other)
    assert cleo.get(f"/staff/clients/{theirs}").status_code == 200
    assert cleo.get(f"/staff/clients/{own}").status_code == 404
    add("view", agency.client_user, object_type="care_plan", client_id=own)
    add("update", agency.cm, object_type="client", client_id=own)
    expected = matching(
        lambda e: (
            e.client_id == own
            and e.action in ("view", "print", "export", "access_denied")
            and e.actor_role in ("admin", "supervisor", "case_manager", "care_team")
        )
    )
    sign_in(client, agency.supervisor)
    response = client.get(disclosures_url(own))
    body = page(response)
    assert response.status_code == 200
    assert shown_ids(response, "disclosure") == expected
    assert "Dr Pat Psychiatrist" in body
    assert "Cleo Other" in body  # the refused attempt
    assert "Access refused" in body
    assert "Olive Portal" not in body.split("disclosures-title")[1]
    theirs_views = {e.id for e in all_events() if e.client_id == theirs}
    assert not theirs_views & set(shown_ids(response, "disclosure"))
    logged = [e for e in events("view", own) if e.object_type == "disclosures"]
    assert [e.actor_id for e in logged] == [agency.supervisor.id]


def test_disclosures_export_is_a_csv_for_the_client(client, make_client, agency):
    own = agency.ids["client"]
    pat = sign_in(make_client(), agency.team)
    pat.get(f"/staff/clients/{own}")
    sign_in(client, agency.cm)
    response = client.get(disclosures_url(own, ".csv"), buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["When", "Who", "Role", "Action", "What", "From (IP address)"]
    assert ["Dr Pat Psychiatrist", "Care team", "Viewed", "Client record", "127.0.0.1"] in [
        row[1:] for row in rows
    ]
    assert rows[1][0].endswith(("-06:00", "-05:00"))
    exported = events("export", own)
    assert [(e.actor_id, e.object_type) for e in exported] == [(agency.cm.id, "disclosures")]


def test_disclosures_page_by_event_id(client, agency):
    own = agency.ids["client"]
    for _ in range(60):
        audit.record("view", actor=agency.team, ip="10.0.0.5", object_type="client", client_id=own)
    db.session.commit()
    sign_in(client, agency.supervisor)
    first = client.get(disclosures_url(own))
    older = re.search(r'rel="next" href="([^"]+)"', first.get_data(as_text=True))
    assert older
    second = client.get(older.group(1).replace("&amp;", "&"))
    one, two = shown_ids(first, "disclosure"), shown_ids(second, "disclosure")
    assert len(one) == 50
    assert len(two) == 10
    assert min(one) > max(two)
