"""Reassigning a client's primary case manager: the supervisor's list holds the case managers
they supervise and the client's primary, and a search by name finds any other active case
manager, with htmx as one types or, without JavaScript, by reloading the record page. (Who may
ask is in the route table of test_access_rules.)"""

from __future__ import annotations

import re

from portal.extensions import db
from portal.models import Client, Role

from ..factories import add_to_care_team, make_client, make_user
from .support import HTMX, page, paragraph, post, select_choices, sign_in


def record(agency) -> str:
    return f"/staff/clients/{agency.own.id}"


def primary_list(body: str) -> tuple[list[str], list[str]]:
    """The names the primary case manager's list offers, and the one(s) selected."""
    return select_choices(body, "case_manager_id")


def found_line(body: str) -> str:
    return paragraph(body, "primary-search-found")


def primary_of(client_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get_one(Client, client_id).primary_case_manager_id


def test_the_list_holds_the_supervisors_case_managers_not_the_agencys(client, agency):
    make_user(Role.CASE_MANAGER, display_name="Rae Successor", supervisor=agency.supervisor)
    make_user(Role.CASE_MANAGER, display_name="Una Unsupervised")
    make_user(
        Role.CASE_MANAGER, display_name="Ray Retired", supervisor=agency.supervisor, active=False
    )
    db.session.commit()
    sign_in(client, agency.supervisor)
    body = page(client.get(record(agency)))
    options, selected = primary_list(body)
    # Cleo (another team) and Una (no team) are found by name; a deactivated account never.
    assert options == ["Casey Manager", "Rae Successor"]
    assert selected == ["Casey Manager"]
    assert found_line(body) == ""
    assert 'name="cm_q" form="primary-search-form"' in body


def test_a_client_of_another_case_manager_lists_them_too(client, agency):
    # The supervisor sees Wren, of another team, from Wren's care team.
    person = make_client(legal_name="Wren Elsewhere", primary_case_manager=agency.cm_other)
    add_to_care_team(person, agency.supervisor, "other")
    db.session.commit()
    sign_in(client, agency.supervisor)
    options, selected = primary_list(page(client.get(f"/staff/clients/{person.id}")))
    assert options == ["Casey Manager", "Cleo Other"]
    assert selected == ["Cleo Other"]


def test_typing_a_name_adds_the_case_managers_it_matches(client, agency):
    make_user(Role.CASE_MANAGER, display_name="Cleopatra Gone", active=False)
    make_user(Role.CARE_TEAM, display_name="Cleon Nurse")
    db.session.commit()
    sign_in(client, agency.supervisor)
    answer = client.get(
        record(agency) + "/primary/candidates",
        query_string={"cm_q": "CLEO", "case_manager_id": agency.cm.id},
        headers=HTMX,
    )
    assert answer.status_code == 200
    assert "HX-Request" in answer.headers["Vary"]
    body = page(answer)
    assert "<html" not in body
    options, selected = primary_list(body)
    assert options == ["Casey Manager", "Cleo Other"]  # not a nurse, not a closed account
    assert selected == ["Casey Manager"]
    assert found_line(body) == "Now in the list “Primary case manager”: Cleo Other."
    nobody = page(
        client.get(
            record(agency) + "/primary/candidates", query_string={"cm_q": "Zed"}, headers=HTMX
        )
    )
    assert found_line(nobody) == "No case manager matches “Zed”."


def test_without_javascript_find_reloads_the_record_with_the_search(client, agency):
    sign_in(client, agency.supervisor)
    tab = client.get(record(agency) + "/primary/candidates", query_string={"cm_q": "cleo"})
    assert tab.status_code == 303
    assert tab.headers["Location"] == record(agency) + "?cm_q=cleo#primary-search"
    body = page(client.get(record(agency), query_string={"cm_q": "cleo"}))
    options, selected = primary_list(body)
    assert options == ["Casey Manager", "Cleo Other"] and selected == ["Casey Manager"]
    assert found_line(body) == "Now in the list “Primary case manager”: Cleo Other."
    assert re.search(r'id="primary-search" name="cm_q"[^>]*value="cleo"', body)


def test_moving_a_client_to_another_team_leaves_the_supervisor_on_the_caseload(client, agency):
    sign_in(client, agency.supervisor)
    moved = post(client, record(agency) + "/primary", {"case_manager_id": agency.cm_other.id})
    assert moved.status_code == 303
    assert moved.headers["Location"] == "/staff/clients"
    assert primary_of(agency.own.id) == agency.cm_other.id
    shown = page(client.get("/staff/clients"))
    assert "The primary case manager is now Cleo Other." in shown
    assert "Olive is now on another team's caseload: the record is no longer open to you." in shown
    assert client.get(record(agency)).status_code == 404


def test_only_an_active_case_manager_can_become_the_primary(client, agency):
    gone = make_user(Role.CASE_MANAGER, display_name="Gus Gone", active=False)
    db.session.commit()
    sign_in(client, agency.supervisor)
    for nobody in (gone.id, agency.team.id, agency.admin.id, 999999, ""):
        answer = post(client, record(agency) + "/primary", {"case_manager_id": nobody})
        assert answer.status_code == 303
        assert answer.headers["Location"] == record(agency) + "#care-team"
        assert "Choose an active case manager." in page(client.get(record(agency)))
        assert primary_of(agency.own.id) == agency.cm.id
