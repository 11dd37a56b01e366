"""Printed pages (PDF through WeasyPrint) shared by the staff workspace and the portal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, current_app, render_template
from flask_babel import force_locale

from .extensions import db
from .models import SAFETY_SECTIONS, Client, SafetyPlanVersion, User
from .services import audit


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """Printed pages load nothing from anywhere."""
    raise ValueError(f"printing does not fetch {url}")


def pdf_bytes(template: str, stylesheet: str, **context: Any) -> bytes:
    """Render a print template to PDF with WeasyPrint (imported only when printing)."""
    from weasyprint import CSS, HTML

    css = CSS(filename=str(Path(current_app.static_folder or "") / "css" / stylesheet))
    html = render_template(template, **context)
    return bytes(HTML(string=html, url_fetcher=_no_fetch).write_pdf(stylesheets=[css]))


def client_language(client: Client) -> str:
    language = client.preferred_language
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    return str(language)


def safety_plan_pdf_response(
    client: Client,
    plan: SafetyPlanVersion,
    *,
    actor: User,
    ip: str | None,
    wallet: bool = False,
) -> Response:
    """The plan (or its wallet card) as a PDF in the client's language; printing is audited."""
    language = client_language(client)
    with force_locale(language):
        pdf = pdf_bytes(
            "safety_plans/wallet.html" if wallet else "safety_plans/print.html",
            "print-plan.css",
            client=client,
            plan=plan,
            sections=SAFETY_SECTIONS,
            lang=language,
            agency=current_app.config["AGENCY_NAME"],
            crisis_line_name=current_app.config["CRISIS_LINE_NAME"],
            crisis_line_phone=current_app.config["CRISIS_LINE_PHONE"],
        )
    audit.record(
        "print",
        actor=actor,
        ip=ip,
        object_type="safety_plan",
        object_id=plan.id,
        client_id=client.id,
        detail=f"version {plan.number} {'wallet card' if wallet else 'pdf'} {language}",
    )
    db.session.commit()
    response = current_app.response_class(pdf, mimetype="application/pdf")
    name = "safety-plan-wallet-card.pdf" if wallet else "safety-plan.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response
