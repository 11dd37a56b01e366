"""Adding to the care team by searching for a colleague by name: the overview never lists the
whole staff, the candidates come as you type (htmx) or from a plain "Find" (no JavaScript),
and the post still checks who may join."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, CareTeamMember, Role
from portal.services import clients as client_service

from ..factories import make_user
from .support import HTMX, page, post, section, sign_in


def record_url(agency, tail: str = "") -> str:
    return f"/staff/clients/{agency.own.id}{tail}"


def ask(browser, agency, text: str):
    """The candidates partial, as htmx asks for it while the person types."""
    return browser.get(
        record_url(agency, "/care-team/candidates"), query_string={"staff_q": text}, headers=HTMX
    )


def offered(body: str) -> list[str]:
    """The names offered as radio buttons, in order."""
    return re.findall(
        r'<input[^>]*name="user_id"[^>]*type="radio"[^>]*>\s*([^<]+?)\s*</label>', body
    )


def team_list(body: str) -> str:
    """The care team as listed (before the forms that add to it)."""
    care_team = section(body, "care-team-title")
    return care_team[: care_team.index("</ul>")]


def views(client_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "view", AuditEvent.client_id == client_id)
    )


# ---- the overview ---------------------------------------------------------------------------


def test_the_overview_offers_a_search_not_a_list_of_every_staff_member(client, agency):
    sign_in(client, agency.cm)
    body = page(client.get(record_url(agency)))
    care_team = section(body, "care-team-title")
    assert "<select" not in care_team.split('id="care-team-add-title"')[1]
    assert 'name="user_id"' not in body
    for name in ("Theo Therapist", "Nico Nurse", "Sam Supervisor", "Cleo Other", "Gil Glass"):
        assert name not in body
    assert "Dr Pat Psychiatrist" in team_list(body) and "Pia Peer" in team_list(body)
    search = re.search(r'<input[^>]*name="staff_q"[^>]*>', care_team)
    assert search
    tag = search.group(0)
    assert 'type="search"' in tag and 'autocomplete="off"' in tag and 'value=""' in tag
    assert f'hx-get="{record_url(agency, "/care-team/candidates")}"' in tag
    assert 'hx-trigger="input changed delay:300ms, search"' in tag
    assert 'hx-target="#staff-candidates"' in tag
    assert '<label class="field__label" for="staff-search">Find a staff member</label>' in care_team
    assert 'id="staff-search"' in tag
    assert '<div id="staff-candidates" aria-live="polite">' in care_team
    assert "Type part of a name." in care_team
    assert re.search(r'<form method="get" action="[^"]*/staff/clients/\d+#care-team"', care_team)
    assert ">Find</button>" in care_team


def test_who_may_not_edit_gets_no_picker(client, agency):
    sign_in(client, agency.team)
    body = page(client.get(record_url(agency)))
    assert 'name="staff_q"' not in body and "Add to care team" not in body
    # a search in the address changes nothing for them either
    body = page(client.get(record_url(agency), query_string={"staff_q": "the"}))
    assert "Theo Therapist" not in body and 'name="user_id"' not in body


def test_without_javascript_find_reloads_the_overview_with_the_matches(client, agency):
    sign_in(client, agency.cm)
    before = views(agency.own.id)
    response = client.get(record_url(agency), query_string={"staff_q": "  the "})
    assert response.status_code == 200
    body = page(response)
    assert "<html" in body
    # "Theo Therapist", "Cleo Other" and "Tess Othersup" contain "the"; all may join.
    assert offered(body) == ["Cleo Other", "Tess Othersup", "Theo Therapist"]
    search = re.search(r'<input[^>]*name="staff_q"[^>]*>', body)
    assert search and 'value="the"' in search.group(0)
    candidates = section(body, "care-team-title")
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>Staff member</legend>", candidates)
    assert 'name="role_label"' in candidates and ">Add to care team</button>" in candidates
    assert 'name="csrf_token"' in candidates
    assert views(agency.own.id) == before + 1  # the overview's one view, nothing more


def test_the_candidates_address_opened_in_a_tab_leads_to_the_overview_with_the_search(
    client, agency
):
    """The partial's address, opened without htmx (a link copied, a tab reloaded), answers
    with the page that shows the same search, not with a fragment of a page."""
    sign_in(client, agency.cm)
    url = record_url(agency, "/care-team/candidates")
    answer = client.get(url, query_string={"staff_q": "the"})
    assert answer.status_code == 303 and "HX-Request" in answer.headers["Vary"]
    assert answer.headers["Location"] == record_url(agency, "?staff_q=the#care-team")
    assert "HX-Request" in ask(client, agency, "the").headers["Vary"]
    body = page(client.get(answer.headers["Location"]))
    assert "<html" in body
    assert offered(body) == ["Cleo Other", "Tess Othersup", "Theo Therapist"]


# ---- the candidates partial -----------------------------------------------------------------


def test_candidates_match_part_of_the_name_in_any_case(client, agency):
    sign_in(client, agency.cm)
    response = ask(client, agency, "HEO tHE")
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="staff-candidate-results">')
    assert offered(body) == ["Theo Therapist"]
    assert 'action="' + record_url(agency, "/care-team") + '"' in body
    assert 'name="csrf_token"' in body


def test_candidates_leave_out_the_team_the_inactive_and_non_clinical_users(client, agency):
    make_user(Role.CARE_TEAM, display_name="Ina Quarry", active=False)
    make_user(Role.CASE_MANAGER, display_name="Quentin Quarry")
    sign_in(client, agency.cm)
    # On the team already: Pat and Pia. Not staff who may join: admin, client, family.
    for name in ("Pat", "Pia Peer", "Ada Admin", "Olive Portal", "Fay Family", "Ina"):
        body = page(ask(client, agency, name))
        assert offered(body) == [], name
        assert f"No staff member matches “{name}”." in body
    assert offered(page(ask(client, agency, "quarry"))) == ["Quentin Quarry"]
    # The primary case manager, a supervisor and other case managers are clinical staff.
    assert offered(page(ask(client, agency, "a"))) == [
        "Casey Manager",
        "Gil Glass",
        "Quentin Quarry",
        "Sam Supervisor",
        "Theo Therapist",
    ]


def test_more_than_ten_matches_show_the_first_ten_by_name(client, agency):
    for n in reversed(range(12)):
        make_user(Role.CARE_TEAM, display_name=f"Zora Helper {n:02d}")
    sign_in(client, agency.cm)
    body = page(ask(client, agency, "zora helper"))
    assert offered(body) == [f"Zora Helper {n:02d}" for n in range(10)]
    assert "Showing the first 10; type more of the name." in body
    body = page(ask(client, agency, "zora helper 1"))
    assert offered(body) == ["Zora Helper 10", "Zora Helper 11"]
    assert "Showing the first" not in body


def test_exactly_ten_matches_say_nothing_of_more(client, agency):
    for n in range(10):
        make_user(Role.CARE_TEAM, display_name=f"Yael Tenner {n}")
    sign_in(client, agency.cm)
    body = page(ask(client, agency, "tenner"))
    assert len(offered(body)) == 10 and "Showing the first" not in body


@pytest.mark.parametrize("text", ["", "   "])
def test_no_text_offers_no_one_and_a_hint(client, agency, text):
    sign_in(client, agency.cm)
    body = page(ask(client, agency, text))
    assert "Type part of a name." in body
    assert offered(body) == [] and "<form" not in body and "No staff member matches" not in body


def test_no_match_says_so_with_the_text_escaped(client, agency):
    sign_in(client, agency.cm)
    response = ask(client, agency, '<b>"Zz"</b>')
    raw = response.get_data(as_text=True)
    assert "<b>" not in raw
    assert "No staff member matches “&lt;b&gt;&#34;Zz&#34;&lt;/b&gt;”." in raw
    assert offered(page(response)) == []


def test_percent_and_underscore_are_taken_literally(client, agency):
    make_user(Role.CARE_TEAM, display_name="Perc 100% Ready")
    make_user(Role.CARE_TEAM, display_name="Una_Score")
    sign_in(client, agency.cm)
    assert offered(page(ask(client, agency, "%"))) == ["Perc 100% Ready"]
    assert offered(page(ask(client, agency, "_"))) == ["Una_Score"]
    assert offered(page(ask(client, agency, "0% r"))) == ["Perc 100% Ready"]
    assert offered(page(ask(client, agency, "a_s"))) == ["Una_Score"]  # not "Gil Glass"
    assert offered(page(ask(client, agency, "t%o"))) == []  # no wildcard: "Theo" is not it
    assert offered(page(ask(client, agency, "\\"))) == []


def test_asking_for_candidates_records_no_audit_event(client, agency):
    sign_in(client, agency.cm)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert ask(client, agency, "the").status_code == 200
    after = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert after == before


def test_the_candidates_query_is_one_statement(client, agency, count_queries):
    with count_queries() as counted:
        found, more = client_service.care_team_candidates(agency.own, "o")
    assert counted.count == 1
    assert not more and "Theo Therapist" in [s.name for s in found]
    with count_queries() as counted:
        assert client_service.care_team_candidates(agency.own, " ") == ([], False)
    assert counted.count == 0


def test_the_candidates_are_in_spanish_for_a_spanish_reader(client, agency):
    agency.cm.locale = "es"
    db.session.flush()
    sign_in(client, agency.cm)
    assert "Escribe parte de un nombre." in page(ask(client, agency, ""))
    assert "Ningún miembro del personal coincide con “Zz”." in page(ask(client, agency, "Zz"))
    for n in range(11):
        make_user(Role.CARE_TEAM, display_name=f"Zora Helper {n:02d}")
    body = page(ask(client, agency, "zora"))
    assert "Se muestran los primeros 10; escribe más del nombre." in body
    assert "Miembro del personal</legend>" in body
    overview = page(client.get(record_url(agency)))
    assert "Buscar a un miembro del personal</label>" in overview and ">Buscar</button>" in overview


# ---- adding ---------------------------------------------------------------------------------


def test_choosing_a_candidate_adds_them_to_the_team(client, agency):
    sign_in(client, agency.cm)
    assert offered(page(ask(client, agency, "theo"))) == ["Theo Therapist"]
    added = post(
        client,
        record_url(agency, "/care-team"),
        {"user_id": agency.extra.id, "role_label": "therapist"},
    )
    assert added.status_code == 303
    assert added.headers["Location"].endswith(record_url(agency) + "#care-team")
    body = page(client.get(record_url(agency)))
    assert "Theo Therapist is on the care team." in body
    assert "Theo Therapist</strong> · Therapist" in team_list(body)
    # Once on the team, no longer a candidate.
    assert offered(page(ask(client, agency, "theo"))) == []


@pytest.mark.parametrize(
    "who",
    ["on the team", "inactive", "admin", "family", "missing", "not a number", "no one"],
)
def test_a_choice_who_may_not_join_is_refused(client, agency, who):
    inactive = make_user(Role.CARE_TEAM, display_name="Ina Inactive", active=False)
    chosen = {
        "on the team": agency.team.id,
        "inactive": inactive.id,
        "admin": agency.admin.id,
        "family": agency.family.id,
        "missing": 999999,
        "not a number": "Theo",
        "no one": "",
    }[who]
    sign_in(client, agency.cm)
    before = db.session.scalar(select(func.count()).select_from(CareTeamMember))
    refused = post(
        client, record_url(agency, "/care-team"), {"user_id": chosen, "role_label": "therapist"}
    )
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(record_url(agency) + "#care-team")
    assert "Choose a staff member." in page(client.get(record_url(agency)))
    assert db.session.scalar(select(func.count()).select_from(CareTeamMember)) == before


def test_a_post_without_the_csrf_token_adds_no_one(client, agency):
    sign_in(client, agency.cm)
    refused = client.post(
        record_url(agency, "/care-team"), data={"user_id": agency.extra.id, "role_label": "nurse"}
    )
    assert refused.status_code in (303, 400)
    assert (
        db.session.scalar(select(CareTeamMember).where(CareTeamMember.user_id == agency.extra.id))
        is None
    )
