"""Printed pages (PDF through WeasyPrint) for the client: the care plan, the safety plan and
its wallet card, a referral summary. Each is rendered in the client's language, fetches
nothing from anywhere, and every print is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template

from .extensions import db
from .i18n import force_locale
from .models import SAFETY_SECTIONS, Client, SafetyPlanVersion, User
from .services import audit

STYLESHEET = "print-plan.css"


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """Printed pages load nothing from anywhere: what is in the template is all there is."""
    raise ValueError(f"printing does not fetch {url}")


def client_language(client: Client) -> str:
    """The client's language if the app carries it, else the default."""
    language = client.preferred_language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    return str(language)


def printed(
    template: str,
    *,
    client: Client,
    actor: User,
    ip: str | None,
    object_type: str,
    object_id: int,
    detail: str,
    filename: str,
    **context: Any,
) -> Response:
    """Render ``template`` as a PDF in the client's language, audit it, and answer with it."""
    from weasyprint import CSS, HTML  # heavy import, only when someone prints

    language = client_language(client)
    with force_locale(language):
        html = render_template(
            template,
            client=client,
            lang=language,
            agency=current_app.config["AGENCY_NAME"],
            crisis_line_name=current_app.config["CRISIS_LINE_NAME"],
            crisis_line_phone=current_app.config["CRISIS_LINE_PHONE"],
            **context,
        )
    css = CSS(filename=str(Path(current_app.static_folder or "") / "css" / STYLESHEET))
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=[css])
    audit.record(
        "print",
        actor=actor,
        ip=ip,
        object_type=object_type,
        object_id=object_id,
        client_id=client.id,
        detail=f"{detail} {language}",
    )
    db.session.commit()
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def safety_plan_pdf_response(
    client: Client,
    plan: SafetyPlanVersion,
    *,
    actor: User,
    ip: str | None,
    wallet: bool = False,
) -> Response:
    """The safety plan (or its wallet card) as a PDF."""
    return printed(
        "safety_plans/wallet.html" if wallet else "safety_plans/print.html",
        client=client,
        actor=actor,
        ip=ip,
        object_type="safety_plan",
        object_id=plan.id,
        detail=f"version {plan.number} {'wallet card' if wallet else 'pdf'}",
        filename="safety-plan-wallet-card.pdf" if wallet else "safety-plan.pdf",
        plan=plan,
        sections=SAFETY_SECTIONS,
    )
