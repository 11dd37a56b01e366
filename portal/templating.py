"""What every template can use: the language, the text direction, the agency's lines."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import (
    format_date,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from . import addresses, i18n, labels, menu, policy
from .models import FAMILY_SCOPES, utcnow
from .services import sessions


def _home_url() -> str:
    if current_user.is_authenticated:
        return addresses.url_for(policy.home_endpoint(current_user))
    return addresses.url_for("auth.login")


def _session_timeout() -> dict[str, int] | None:
    """What the timeout warning script needs, for signed-in pages only."""
    if not current_user.is_authenticated:
        return None
    return {
        "idle": int(sessions.idle_limit(current_user).total_seconds()),
        "warning": int(current_app.config["SESSION_WARNING_SECONDS"]),
    }


def _gettext_callables(catalog: Any) -> dict[str, Any]:
    """Jinja's newstyle ``gettext`` and ``ngettext`` bound to one catalog.

    Handed to each render in its context, where Jinja looks them up before the environment's:
    a string then costs a dictionary lookup, not a search for this request's catalog."""
    ugettext, ungettext = catalog.ugettext, catalog.ungettext

    # As Jinja's own: the catalog's text is markup (translators are trusted), and the
    # variables are escaped as they are put in.
    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> Any:
        text = ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704
        if not variables and "%" not in text:
            return text  # what ``text % {}`` gives, without escaping an empty dict's values
        return text % variables

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int, **variables: Any) -> Any:
        variables.setdefault("num", n)
        text = ungettext(singular, plural, n)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704
        return text % variables

    return {"gettext": gettext, "ngettext": ngettext}


def template_context() -> dict[str, Any]:
    locale = i18n.current_language()
    return {
        **_gettext_callables(i18n.catalog()),
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


def risk_badge(level: str) -> Markup:
    """The risk level as a badge; high risk is marked by a shape as well as a colour.

    Python rather than a Jinja macro: lists show one per row, and a macro call costs
    several times as much as this function."""
    label = i18n.gettext("Risk: %(label)s", label=labels.RISK_LABELS.get(level, level))
    mark = '<span aria-hidden="true">▲ </span>' if level == "high" else ""
    # Each value is escaped as it is put in (an f-string costs half of Markup.format).
    return Markup(f'<span class="badge badge--risk-{escape(level)}">{mark}{escape(label)}</span>')  # noqa: S704


def csrf_field() -> Markup:
    """The CSRF field of a form that is only a button (``ButtonForm().csrf_token(id=False)``
    writes the same), for lists with such a form on every row: WTForms takes several times as
    long to write it as the rest of a row."""
    return Markup(f'<input name="csrf_token" type="hidden" value="{escape(generate_csrf())}">')  # noqa: S704


def status_badge(status: str) -> Markup:
    """The client's status as a badge (see ``risk_badge``)."""
    label = labels.CLIENT_STATUS_LABELS.get(status, status)
    return Markup(f'<span class="badge badge--{escape(status)}">{escape(label)}</span>')  # noqa: S704


def _language_name(code: str) -> str:
    """A language code named in the reader's language ("es" is "Spanish" or "español")."""
    return i18n.language_name(code, i18n.current_language())


def init_app(app: Flask) -> None:
    """Register the context processor and Jinja's i18n policy."""
    app.context_processor(template_context)
    addresses.init_app(app)
    app.jinja_env.globals.update(
        risk_badge=risk_badge,
        csrf_field=csrf_field,
        status_badge=status_badge,
        main_menu=menu.main_menu,
        record_tabs=menu.record_tabs,
        url_for=addresses.url_for,
    )
    # Flask-Babel's callables find the catalog anew for every string of every template;
    # a page has a hundred of them. Same catalogs, same newstyle formatting.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: i18n.catalog().ugettext(s),
        ngettext=lambda s, p, n: i18n.catalog().ungettext(s, p, n),
        pgettext=lambda c, s: i18n.catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: i18n.catalog().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # Dates, times and numbers in the user's locale and the agency's time zone.
    app.add_template_filter(i18n.format_date, "format_date")
    app.add_template_filter(i18n.format_datetime, "format_datetime")
    app.add_template_filter(i18n.format_time, "format_time")
    app.add_template_filter(i18n.format_percent, "format_percent")
    app.add_template_filter(i18n.format_number, "format_number")
    app.add_template_filter(_language_name, "language_name")
    # Whitespace inside {% trans %} is collapsed, as babel.cfg does when extracting.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
