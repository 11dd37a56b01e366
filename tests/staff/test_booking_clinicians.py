"""Whom a booking is with: the "With" list of the booking, change and answer forms offers the
people one works with, and a search by name finds any other active clinician, with htmx as
one types or, without JavaScript, by reloading the page. (Who may ask is in the route table of
test_appointments.)"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appointment, Role

from ..factories import make_appointment, make_appointment_request, make_user
from .support import HTMX, field_error, page, paragraph, post, select_choices, sign_in
from .test_appointments import DAY, A, booking, local

CLINICIANS = A + "/clinicians"


def with_list(body: str) -> tuple[list[str], list[str]]:
    """The names the "With" list offers, and the one(s) selected."""
    return select_choices(body, "staff_id")


def found_line(body: str) -> str:
    """What the search says it found (the aria-live line, or its out-of-band swap)."""
    return paragraph(body, "staff-search-found")


def booked_with(appointment_id: int) -> int:
    db.session.expire_all()
    return db.session.get_one(Appointment, appointment_id).staff_id


def test_the_list_offers_the_people_one_works_with_not_the_whole_agency(client, agency):
    # Cleo and Tess (another team), Nico and Theo (on no care team of Casey's clients) and the
    # administrator are not offered; Casey is chosen.
    sign_in(client, agency.cm)
    body = page(client.get(A + "/new"))
    options, selected = with_list(body)
    assert options == ["Casey Manager", "Dr Pat Psychiatrist", "Pia Peer", "Sam Supervisor"]
    assert selected == ["Casey Manager"]
    assert found_line(body) == ""
    assert 'id="staff-search" name="staff_q" form="staff-search-form"' in body


def test_typing_a_name_adds_the_clinicians_it_matches_and_keeps_the_choice(client, agency):
    make_user(Role.CARE_TEAM, display_name="Nicola Gone", active=False)
    sign_in(client, agency.cm)
    answer = client.get(
        CLINICIANS, query_string={"staff_q": "nIc", "staff_id": agency.team.id}, headers=HTMX
    )
    assert answer.status_code == 200
    assert "HX-Request" in answer.headers["Vary"]
    body = page(answer)
    assert "<html" not in body
    options, selected = with_list(body)
    # Nico Nurse joins the list (in name order); the one chosen before stays chosen; an
    # inactive account is never found.
    assert options == [
        "Casey Manager",
        "Dr Pat Psychiatrist",
        "Nico Nurse",
        "Pia Peer",
        "Sam Supervisor",
    ]
    assert selected == ["Dr Pat Psychiatrist"]
    assert 'hx-swap-oob="innerHTML"' in body
    assert found_line(body) == "Now in the list “With”: Nico Nurse."


def test_the_search_says_when_nothing_or_too_much_matches(client, agency):
    for n in range(11):
        make_user(Role.CARE_TEAM, display_name=f"Rowan Extra {n:02d}")
    make_user(Role.ADMIN, display_name="Rowan Admin")
    db.session.commit()
    sign_in(client, agency.cm)
    nobody = page(client.get(CLINICIANS, query_string={"staff_q": "Zed"}, headers=HTMX))
    assert found_line(nobody) == "No clinician matches “Zed”."
    assert len(with_list(nobody)[0]) == 4
    many = page(client.get(CLINICIANS, query_string={"staff_q": "rowan"}, headers=HTMX))
    options, _selected = with_list(many)
    rowans = [name for name in options if name.startswith("Rowan")]
    assert rowans == [f"Rowan Extra {n:02d}" for n in range(10)]  # never the administrator
    assert found_line(many).endswith("Showing the first 10; type more of the name.")
    # Characters SQL would read as wildcards are taken literally.
    assert found_line(
        page(client.get(CLINICIANS, query_string={"staff_q": "%"}, headers=HTMX))
    ) == ("No clinician matches “%”.")


def test_a_name_is_found_with_or_without_its_accents_and_sorted_among_its_letters(client, agency):
    make_user(Role.CARE_TEAM, display_name="Álvaro Núñez")
    db.session.commit()
    sign_in(client, agency.cm)
    for typed in ("alvaro", "NUNEZ", "Núñez"):
        body = page(client.get(CLINICIANS, query_string={"staff_q": typed}, headers=HTMX))
        assert found_line(body) == "Now in the list “With”: Álvaro Núñez.", typed
        assert with_list(body)[0][0] == "Álvaro Núñez"  # before Casey, not after Sam


def test_what_was_typed_is_shown_as_text_not_markup(client, agency):
    sign_in(client, agency.cm)
    typed = '<b id="x">bold</b>'
    for answer in (
        client.get(CLINICIANS, query_string={"staff_q": typed}, headers=HTMX),
        client.get(A + "/new", query_string={"staff_q": typed}),
    ):
        raw = answer.get_data(as_text=True)
        assert '<b id="x">' not in raw
        assert "&lt;b id=&#34;x&#34;&gt;bold&lt;/b&gt;" in raw


def test_without_javascript_find_reloads_the_booking_page_with_the_search(client, agency):
    sign_in(client, agency.cm)
    # The search's own address, opened in a tab, leads to the booking page at the search.
    tab = client.get(CLINICIANS, query_string={"staff_q": "Cleo"})
    assert tab.status_code == 303
    assert tab.headers["Location"] == A + "/new?staff_q=Cleo#staff-search"
    assert "HX-Request" in tab.headers["Vary"]
    # "Find" sends the search form: the same page, with the client it was opened for.
    body = page(
        client.get(A + "/new", query_string={"client_id": agency.own.id, "staff_q": "cleo"})
    )
    options, selected = with_list(body)
    assert "Cleo Other" in options
    assert selected == ["Casey Manager"]
    assert found_line(body) == "Now in the list “With”: Cleo Other."
    assert 'value="cleo"' in body
    search_form = re.search(r'<form id="staff-search-form".*?</form>', body, re.S)
    assert search_form
    assert f'<input type="hidden" name="client_id" value="{agency.own.id}">' in search_form[0]
    assert 'name="staff_q"' not in search_form[0]  # the search box itself sits in the field


def test_anyone_active_and_clinical_can_be_booked_whether_listed_or_not(client, agency):
    sign_in(client, agency.cm)
    response = post(client, A + "/new", booking(agency.own, agency.cm_other, DAY, "10:00", "11:00"))
    assert response.status_code == 303
    appointment_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert booked_with(appointment_id) == agency.cm_other.id
    # A form sent back with a problem keeps the person it was sent with, listed and chosen.
    missing_end = booking(agency.own, agency.not_team, DAY, "12:00", "")
    response = post(client, A + "/new", missing_end)
    assert response.status_code == 422
    options, selected = with_list(page(response))
    assert selected == ["Nico Nurse"] and "Nico Nurse" in options
    # An administrator or a deactivated clinician is no one to meet.
    gone = make_user(Role.CARE_TEAM, display_name="Gina Gone", active=False)
    db.session.commit()
    before = db.session.scalar(select(func.count(Appointment.id)))
    for nobody in (agency.admin, gone):
        response = post(client, A + "/new", booking(agency.own, nobody, DAY, "14:00", "15:00"))
        assert response.status_code == 422
        assert nobody.display_name not in with_list(page(response))[0]
    assert db.session.scalar(select(func.count(Appointment.id))) == before


def test_changing_an_appointment_lists_whoever_it_is_with(client, agency):
    visit = make_appointment(agency.own, agency.not_team, starts_at=local(DAY, 9))
    db.session.commit()
    sign_in(client, agency.cm)
    body = page(client.get(f"{A}/{visit.id}/edit"))
    options, selected = with_list(body)
    assert selected == ["Nico Nurse"]
    assert "Theo Therapist" not in options
    found = page(client.get(f"{A}/{visit.id}/edit", query_string={"staff_q": "theo"}))
    options, selected = with_list(found)
    assert "Theo Therapist" in options and selected == ["Nico Nurse"]


def test_an_appointment_with_a_deactivated_clinician_is_not_quietly_handed_to_another(
    client, agency
):
    visit = make_appointment(agency.own, agency.not_team, starts_at=local(DAY, 9))
    agency.not_team.active = False
    db.session.commit()
    sign_in(client, agency.cm)
    away = "Nico Nurse's account is deactivated. Choose who meets the client instead."
    body = page(client.get(f"{A}/{visit.id}/edit"))
    options, selected = with_list(body)
    # Still listed and chosen, marked, so the list does not fall to its first name.
    assert selected == ["Nico Nurse (deactivated)"] and len(options) == 5
    assert paragraph(body, "staff_id-hint") == away
    # A search keeps them in the list while the user looks for someone else.
    swap = page(
        client.get(
            CLINICIANS, query_string={"staff_q": "theo", "staff_id": visit.staff_id}, headers=HTMX
        )
    )
    options, selected = with_list(swap)
    assert selected == ["Nico Nurse (deactivated)"] and "Theo Therapist" in options
    # Saving with them is refused at the field, with the new time kept in the form.
    keep = booking(agency.own, agency.not_team, DAY, "10:00", "11:00", version=visit.version)
    response = post(client, f"{A}/{visit.id}/edit", keep)
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "staff_id") == away
    assert re.search(r'name="start"[^>]*value="10:00"', body)
    assert booked_with(visit.id) == agency.not_team.id
    assert db.session.get_one(Appointment, visit.id).starts_at == local(DAY, 9)
    # Choosing someone active moves it.
    moved = booking(agency.own, agency.cm, DAY, "10:00", "11:00", version=visit.version)
    assert post(client, f"{A}/{visit.id}/edit", moved).status_code == 303
    assert booked_with(visit.id) == agency.cm.id


def test_a_reschedule_request_names_the_deactivated_clinician_it_was_with(client, agency):
    visit = make_appointment(agency.own, agency.not_team, starts_at=local(DAY, 9))
    req = make_appointment_request(
        agency.own, purpose="reschedule", appointment_id=visit.id, preferred_1=local(DAY, 15)
    )
    agency.not_team.active = False
    db.session.commit()
    sign_in(client, agency.cm)
    body = page(client.get(f"{A}/requests/{req.id}"))
    assert with_list(body)[1] == ["Nico Nurse (deactivated)"]
    assert paragraph(body, "staff_id-hint").startswith("Nico Nurse's account is deactivated.")


def test_answering_a_request_offers_the_search_and_keeps_the_chosen_time(client, agency):
    req = make_appointment_request(
        agency.own,
        preferred_1=local(DAY, 14),
        preferred_2=local(DAY + timedelta(days=1), 9),
    )
    db.session.commit()
    sign_in(client, agency.cm)
    url = f"{A}/requests/{req.id}"
    body = page(client.get(url, query_string={"choice": 2, "staff_q": "theo"}))
    options, selected = with_list(body)
    assert "Theo Therapist" in options
    assert selected == ["Casey Manager"]  # the client's case manager, as before
    assert found_line(body) == "Now in the list “With”: Theo Therapist."
    search_form = re.search(r'<form id="staff-search-form".*?</form>', body, re.S)
    assert search_form and '<input type="hidden" name="choice" value="2">' in search_form[0]
    assert re.search(r'name="start"[^>]*value="09:00"', body)


def test_the_search_is_in_spanish_for_a_spanish_speaker(client, agency):
    agency.cm.locale = "es"
    db.session.commit()
    sign_in(client, agency.cm)
    body = page(client.get(CLINICIANS, query_string={"staff_q": "Cleo"}, headers=HTMX))
    assert found_line(body) == "Ahora en la lista “Con”: Cleo Other."
    assert "Las personas con las que trabajas, y quien encuentres más abajo." in body
    nobody = page(client.get(CLINICIANS, query_string={"staff_q": "Zed"}, headers=HTMX))
    assert found_line(nobody) == "Ningún profesional coincide con “Zed”."
