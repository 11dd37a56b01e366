"""What every template can use: the language, the text direction, the agency's lines."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, url_for
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    get_locale,
    get_translations,
)
from flask_babel import gettext as _
from flask_login import current_user

from . import i18n, labels, policy
from .models import FAMILY_SCOPES, utcnow
from .services import sessions


def _home_url() -> str:
    if current_user.is_authenticated:
        return url_for(policy.home_endpoint(current_user))
    return url_for("auth.login")


def _session_timeout() -> dict[str, int] | None:
    """What the timeout warning script needs, for signed-in pages only."""
    if not current_user.is_authenticated:
        return None
    return {
        "idle": int(sessions.idle_limit(current_user).total_seconds()),
        "warning": int(current_app.config["SESSION_WARNING_SECONDS"]),
    }


def template_context() -> dict[str, Any]:
    locale = str(get_locale() or "en")
    return {
        "session_timeout": _session_timeout(),
        "password_hint": _(
            "At least %(minimum)s characters. A few words together are easy to remember "
            "and hard to guess.",
            minimum=current_app.config["PASSWORD_MIN_LENGTH"],
        ),
        "current_locale": locale,
        "text_direction": i18n.text_direction(locale),
        "language_choices": i18n.language_choices(),
        "agency_name": current_app.config["AGENCY_NAME"],
        "agency_crisis_line": current_app.config["CRISIS_LINE_PHONE"],
        "agency_crisis_line_name": current_app.config["CRISIS_LINE_NAME"],
        "home_url": _home_url,
        "may_enter": policy.may_enter,
        "today_label": format_date(utcnow(), "full"),
        "role_labels": list(labels.ROLE_LABELS.items()),
        "status_labels": labels.CLIENT_STATUS_LABELS,
        "scope_labels": labels.FAMILY_SCOPE_LABELS,
        "scope_order": FAMILY_SCOPES,
        "risk_labels": labels.RISK_LABELS,
        "goal_status_labels": labels.GOAL_STATUS_LABELS,
        "life_domain_labels": labels.LIFE_DOMAIN_LABELS,
        "plan_status_labels": labels.PLAN_STATUS_LABELS,
        "contact_type_labels": labels.CONTACT_TYPE_LABELS,
        "note_format_labels": labels.NOTE_FORMAT_LABELS,
        "section_labels": labels.SECTION_LABELS,
        "task_kind_labels": labels.TASK_KIND_LABELS,
        "document_kind_labels": labels.DOCUMENT_KIND_LABELS,
        "crisis_action_labels": labels.CRISIS_ACTION_LABELS,
        "crisis_outcome_labels": labels.CRISIS_OUTCOME_LABELS,
        "safety_section_labels": labels.SAFETY_SECTION_LABELS,
        "resource_category_labels": labels.RESOURCE_CATEGORY_LABELS,
        "referral_status_labels": labels.REFERRAL_STATUS_LABELS,
        "referral_status_for_client": labels.REFERRAL_STATUS_FOR_CLIENT,
        "appointment_kind_labels": labels.APPOINTMENT_KIND_LABELS,
        "appointment_status_labels": labels.APPOINTMENT_STATUS_LABELS,
        "cancelled_by_labels": labels.CANCELLED_BY_LABELS,
        "request_status_labels": labels.REQUEST_STATUS_LABELS,
        "request_status_for_client": labels.REQUEST_STATUS_FOR_CLIENT,
        "care_team_role": labels.care_team_role,
        "activity_label": labels.activity_label,
    }


def _language_name(code: str) -> str:
    """A language code named in the reader's language ("es" is "Spanish" or "español")."""
    return i18n.language_name(code, str(get_locale() or "en"))


def _translations() -> Any:
    """This request's catalog, looked up once per locale rather than once per string.

    Keyed by the locale object, so ``force_locale`` (an email in the reader's language in
    the middle of a request) still gets its own catalog.
    """
    locale = get_locale()
    cached = g.get("_catalog")
    if cached is None or cached[0] is not locale:
        cached = g._catalog = (locale, get_translations())
    return cached[1]


def init_app(app: Flask) -> None:
    """Register the context processor and Jinja's i18n policy."""
    app.context_processor(template_context)
    # Flask-Babel's callables find the catalog anew for every string of every template;
    # a page has a hundred of them. Same catalogs, same newstyle formatting.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # Dates, times and numbers in the user's locale and the agency's time zone.
    app.add_template_filter(format_date, "format_date")
    app.add_template_filter(format_datetime, "format_datetime")
    app.add_template_filter(format_time, "format_time")
    app.add_template_filter(format_percent, "format_percent")
    app.add_template_filter(format_decimal, "format_number")
    app.add_template_filter(_language_name, "language_name")
    # Whitespace inside {% trans %} is collapsed, as babel.cfg does when extracting.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
