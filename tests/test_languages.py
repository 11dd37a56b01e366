"""What people see in English and in Spanish: choosing the language, and pages in it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role, User, utcnow

from .factories import grant_family_access, make_client, make_user
from .helpers import csrf_token, login, text

SPANISH = {"Accept-Language": "es"}
ENGLISH = {"Accept-Language": "en"}

HOMES = {
    Role.ADMIN: "/staff/",
    Role.SUPERVISOR: "/staff/",
    Role.CASE_MANAGER: "/staff/",
    Role.CARE_TEAM: "/staff/",
    Role.CLIENT: "/client/",
    Role.FAMILY: "/family/",
}
# One line of each home, in Spanish, that only that home shows.
HOME_LINES = {
    Role.ADMIN: "Cuentas activas por rol",
    Role.SUPERVISOR: "Mi lista de casos",
    Role.CASE_MANAGER: "Mi lista de casos",
    Role.CARE_TEAM: "Mi lista de casos",
    Role.CLIENT: "Tu equipo de atención",
    Role.FAMILY: "Compartido contigo",
}


def switch_language(client, locale, next_path="/login", page="/login"):
    """Use the switcher in the header of ``page``, as a visitor would."""
    data = {"csrf_token": csrf_token(client, page), "locale": locale, "next": next_path}
    return client.post("/language", data=data)


def agency_today(app, locale):
    """Today's date, written out in full for this locale, in the agency's time zone."""
    today = datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()
    return format_date(today, "full", locale=locale)


# Choosing the language from the browser


def test_sign_in_page_is_in_spanish_when_the_browser_asks_for_it(client):
    page = text(client.get("/login", headers=SPANISH))
    assert '<html lang="es"' in page
    assert "<h1>Iniciar sesión en Waypoint</h1>" in page
    assert "Correo electrónico" in page
    assert "Contraseña" in page
    assert "No necesitas iniciar sesión para pedir ayuda." in page
    assert "Sign in to Waypoint" not in page


def test_a_regional_spanish_browser_gets_spanish(client):
    page = text(client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.6"}))
    assert '<html lang="es"' in page
    assert "Iniciar sesión en Waypoint" in page


@pytest.mark.parametrize(
    "headers", [{}, ENGLISH, {"Accept-Language": "fr"}], ids=["none", "en", "fr"]
)
def test_sign_in_page_is_in_english_otherwise(client, headers):
    page = text(client.get("/login", headers=headers))
    assert '<html lang="en"' in page
    assert "<h1>Sign in to Waypoint</h1>" in page
    assert "Iniciar sesión" not in page


def test_the_footer_crisis_line_keeps_its_links_in_spanish(client, app):
    page = text(client.get("/login", headers=SPANISH))
    line = app.config["CRISIS_LINE_PHONE"]
    assert (
        '¿Estás en crisis? Llama o envía un mensaje de texto al <a href="tel:988">988</a>, '
        f'o llama a nuestra línea de crisis al <a href="tel:{line}">{line}</a>.'
    ) in page


def test_get_help_page_in_spanish(client):
    page = text(client.get("/help", headers=SPANISH))
    assert "<h2>Línea de Prevención del Suicidio y Crisis 988</h2>" in page
    assert 'href="tel:988">Llamar al 988</a>' in page
    assert 'href="sms:988">Enviar mensaje de texto al 988</a>' in page


def test_sign_in_errors_are_in_spanish(client):
    empty = client.post(
        "/login",
        data={"email": "", "password": "", "csrf_token": csrf_token(client)},
        headers=SPANISH,
    )
    assert empty.status_code == 422
    assert "Escribe tu correo electrónico." in text(empty)
    assert "Escribe tu contraseña." in text(empty)
    wrong = login(client, "nobody@example.org", "not the password at all")
    # The form posts without a header: the browser's language is asked for each request.
    assert "The email or password is not right." in text(wrong)
    wrong = client.post(
        "/login",
        data={
            "email": "nobody@example.org",
            "password": "not the password at all",
            "csrf_token": csrf_token(client),
        },
        headers=SPANISH,
    )
    assert "El correo electrónico o la contraseña no son correctos." in text(wrong)


# The language switcher


def options(page):
    """(code, name, selected) for each language the switcher offers."""
    found = re.findall(r'<option value="(\w+)" lang="\w+"\s*(selected)?\s*>([^<]+)</option>', page)
    return [(code, name, bool(selected)) for code, selected, name in found]


def test_switcher_offers_each_language_in_its_own_name(client):
    english = text(client.get("/login"))
    assert '<label for="language-select">Language</label>' in english
    assert options(english) == [("en", "English", True), ("es", "Español", False)]
    spanish = text(client.get("/login", headers=SPANISH))
    assert '<label for="language-select">Idioma</label>' in spanish
    assert options(spanish) == [("en", "English", False), ("es", "Español", True)]


def test_switcher_turns_an_anonymous_visitor_to_spanish(client):
    response = switch_language(client, "es", "/login")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    # The choice beats what the browser says, on every page after it.
    for path in ("/login", "/help"):
        page = text(client.get(path, headers=ENGLISH))
        assert '<html lang="es"' in page, path
    assert "Iniciar sesión en Waypoint" in text(client.get("/login"))


def test_switcher_back_to_english(client):
    switch_language(client, "es")
    switch_language(client, "en")
    page = text(client.get("/login", headers=SPANISH))
    assert '<html lang="en"' in page
    assert "Sign in to Waypoint" in page


def test_switcher_ignores_a_language_the_portal_does_not_carry(client):
    response = switch_language(client, "fr")
    assert response.status_code == 303
    assert '<html lang="en"' in text(client.get("/login"))


def test_switcher_without_its_token_is_refused_in_the_visitors_language(client):
    response = client.post("/language", data={"locale": "es", "next": "/login"}, headers=SPANISH)
    assert response.status_code == 400
    page = text(response)
    assert "Este formulario expiró." in page
    assert '<html lang="es"' in text(client.get("/login", headers=SPANISH))
    assert '<html lang="en"' in text(client.get("/login"))


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com",
        "//evil.example.com",
        "/\\evil.example.com",
        "javascript:alert(1)",
    ],
)
def test_switcher_only_sends_back_to_a_local_page(client, target):
    response = switch_language(client, "es", target)
    assert response.status_code == 303
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme
    assert not parts.netloc
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "evil.example.com" not in location
    # The language still changed.
    assert '<html lang="es"' in text(client.get("/login"))


def test_signed_in_choice_is_saved_on_the_account_and_audited(client, make_client):
    user = make_user(Role.CASE_MANAGER, display_name="Dana Ortiz")
    login(client, user.email)
    response = switch_language(client, "es", "/staff/", page="/staff/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"
    assert "Hola, Dana Ortiz" in text(client.get("/staff/", headers=ENGLISH))

    assert db.session.get(User, user.id).locale == "es"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "locale_change")
    ).all()
    assert [(e.actor_id, e.object_type, e.object_id, e.detail) for e in events] == [
        (user.id, "user", str(user.id), "es")
    ]

    # Another browser, asking for English, still gets the saved language once signed in.
    other = make_client()
    assert '<html lang="en"' in text(other.get("/login", headers=ENGLISH))
    login(other, user.email)
    page = text(other.get("/staff/", headers=ENGLISH))
    assert '<html lang="es"' in page
    assert "Hola, Dana Ortiz" in page


def test_choosing_the_same_language_again_is_not_audited_twice(client):
    user = make_user(Role.CLIENT)
    login(client, user.email)
    switch_language(client, "es", "/client/", page="/client/")
    switch_language(client, "es", "/client/", page="/client/")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "locale_change")
    ).all()
    assert len(events) == 1


def test_anonymous_choice_is_not_saved_on_any_account(client):
    user = make_user(Role.CLIENT)
    switch_language(client, "es")
    assert db.session.get(User, user.id).locale is None
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "locale_change")
    ).all()


def test_choice_made_before_signing_in_carries_into_the_session(client):
    user = make_user(Role.CLIENT, display_name="Sam Rivera")
    switch_language(client, "es")
    login(client, user.email)
    assert "Hola, Sam Rivera" in text(client.get("/client/", headers=ENGLISH))


# Homes for a user whose saved language is Spanish


@pytest.mark.parametrize("role", list(Role))
def test_each_home_is_in_the_saved_language(client, role):
    user = make_user(role, display_name="Ana Pérez", locale="es")
    login(client, user.email)
    page = text(client.get(HOMES[role], headers=ENGLISH))
    assert '<html lang="es"' in page
    assert "<h1>Hola, Ana Pérez</h1>" in page
    assert HOME_LINES[role] in page
    assert "Cerrar sesión" in page
    assert "Obtener ayuda ahora" in page
    assert "Hello," not in page
    assert "Sign out" not in page


def test_client_home_in_spanish_names_the_care_team(client):
    manager = make_user(Role.CASE_MANAGER, display_name="Lucía Gómez")
    user = make_user(Role.CLIENT, locale="es")
    make_client(preferred_name="Mateo", portal_user_id=user.id, primary_case_manager_id=manager.id)
    login(client, user.email)
    page = text(client.get("/client/", headers=ENGLISH))
    assert "<h1>Hola, Mateo</h1>" in page
    assert "<strong>Lucía Gómez</strong> · Gestor de casos" in page
    assert "Llama o envía un mensaje de texto al 988 a cualquier hora, de día o de noche." in page


def test_family_home_in_spanish_shows_scopes_and_the_end_date(client, app):
    family = make_user(Role.FAMILY, locale="es")
    person = make_client(preferred_name="Mateo")
    expires = utcnow() + timedelta(days=40)
    grant_family_access(person, family, scopes=("materials", "appointments"), expires_at=expires)
    login(client, family.email)
    page = text(client.get("/family/", headers=ENGLISH))
    assert "Puedes ver:" in page
    assert '<span class="badge">Materiales educativos</span>' in page
    assert '<span class="badge">Citas</span>' in page
    until = expires.astimezone(ZoneInfo(app.config["TIMEZONE"])).date()
    assert f"Hasta el {format_date(until, 'medium', locale='es')}" in page


@pytest.mark.parametrize(("count", "line"), [(1, "1 cliente"), (2, "2 clientes")])
def test_caseload_list_counts_clients_in_spanish(client, count, line):
    manager = make_user(Role.CASE_MANAGER, locale="es")
    for _ in range(count):
        make_client(primary_case_manager_id=manager.id, status="on_hold")
    login(client, manager.email)
    page = text(client.get("/staff/clients"))
    shown = re.search(
        r'<p id="results-count" role="status"[^>]*class="results-count">\s*([^<]*?)\s*</p>', page
    )
    assert shown, "no count of results"
    assert shown.group(1) == line
    assert page.count('<span class="badge badge--on_hold">En pausa</span>') == count
    assert '<th scope="col">Estado</th>' in page


# Dates


def test_staff_home_shows_today_in_spanish(client, app):
    user = make_user(Role.CASE_MANAGER, locale="es")
    login(client, user.email)
    before = agency_today(app, "es")
    page = text(client.get("/staff/", headers=ENGLISH))
    after = agency_today(app, "es")
    assert before in page or after in page


def test_staff_home_shows_today_in_english(client, app):
    user = make_user(Role.CASE_MANAGER)
    login(client, user.email)
    before = agency_today(app, "en")
    page = text(client.get("/staff/"))
    assert before in page or agency_today(app, "en") in page


# Kiribati's Line Islands and American Samoa are 25 hours apart: never the same date.
@pytest.mark.parametrize(
    "app_config",
    [{"TIMEZONE": "Pacific/Kiritimati"}, {"TIMEZONE": "Pacific/Pago_Pago"}],
    ids=["utc+14", "utc-11"],
)
def test_today_is_the_agencys_date_not_the_servers(client, app, app_config):
    user = make_user(Role.CLIENT, locale="es")
    login(client, user.email)
    before = agency_today(app, "es")
    page = text(client.get("/client/"))
    assert before in page or agency_today(app, "es") in page
    other = (
        "Pacific/Pago_Pago"
        if app_config["TIMEZONE"] == "Pacific/Kiritimati"
        else "Pacific/Kiritimati"
    )
    elsewhere = format_date(datetime.now(ZoneInfo(other)).date(), "full", locale="es")
    assert f'<p class="lede">{elsewhere}</p>' not in page


# Error pages


def test_page_not_found_in_spanish(client):
    response = client.get("/no-such-page", headers=SPANISH)
    assert response.status_code == 404
    page = text(response)
    assert '<html lang="es"' in page
    assert "<title>No encontramos la página · Waypoint</title>" in page
    assert "<h1>No encontramos la página</h1>" in page
    assert "No pudimos encontrar esa página." in page
    assert "Ir a tu página de inicio" in page
    assert "Page not found" not in page


def test_page_not_found_in_english(client):
    page = text(client.get("/no-such-page"))
    assert "<h1>Page not found</h1>" in page


def test_page_not_found_follows_the_saved_language(client):
    user = make_user(Role.CLIENT, locale="es")
    login(client, user.email)
    response = client.get("/client/nothing-here", headers=ENGLISH)
    assert response.status_code == 404
    assert "<h1>No encontramos la página</h1>" in text(response)


def test_closed_area_answers_in_spanish(client):
    user = make_user(Role.CLIENT, locale="es")
    login(client, user.email)
    response = client.get("/staff/", headers=ENGLISH)
    assert response.status_code == 403
    page = text(response)
    assert "<h1>No disponible para ti</h1>" in page
    assert "Esta parte de Waypoint no está disponible para tu cuenta." in page
