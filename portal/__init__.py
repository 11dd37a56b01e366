"""Waypoint: the application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from .config import config_for, instance_secret_key, sqlite_url


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, commands."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_for(os.environ.get("PORTAL_ENV")))
    app.config.from_prefixed_env("PORTAL")
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if overrides:
        app.config.update(overrides)
    _complete_config(app)

    from . import cli, db_setup, errors, extensions, i18n, ratelimits, security, templating

    db_setup.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(_migrations_dir()))
    extensions.csrf.init_app(app)
    extensions.babel.init_app(
        app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone
    )
    i18n.init_app(app)
    extensions.mail.init_app(app)
    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1
        )
    _init_login(app)
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    cli.init_app(app)

    from .account import bp as account_bp
    from .auth import bp as auth_bp
    from .client import client_bp, family_bp
    from .main import bp as main_bp
    from .staff import bp as staff_bp

    for blueprint in (main_bp, auth_bp, account_bp, staff_bp, client_bp, family_bp):
        app.register_blueprint(blueprint)
    ratelimits.init_app(app)
    return app


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"


def _complete_config(app: Flask) -> None:
    """Fill what the demo generates for itself; refuse to run production without secrets."""
    config = app.config
    if config["ENV_NAME"] == "production":
        names = {
            "SECRET_KEY": "PORTAL_SECRET_KEY",
            "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
            "RATELIMIT_STORAGE_URI": "PORTAL_RATELIMIT_STORAGE_URI",
        }
        missing = [env for key, env in names.items() if not config.get(key)]
        database = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
        if database and not database.startswith("postgresql"):
            missing.append("a PostgreSQL DATABASE_URL (postgresql+psycopg://...)")
        if str(config.get("RATELIMIT_STORAGE_URI") or "").startswith("memory://"):
            # gunicorn workers do not share memory: each would count on its own.
            missing.append("PORTAL_RATELIMIT_STORAGE_URI (a shared store such as redis://)")
        if missing:
            raise RuntimeError(
                "PORTAL_ENV=production refuses to start without " + ", ".join(missing)
            )
        return
    instance = Path(app.instance_path)
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        if config["ENV_NAME"] == "testing":
            config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
        else:
            instance.mkdir(parents=True, exist_ok=True)
            config["SQLALCHEMY_DATABASE_URI"] = sqlite_url(instance / "waypoint.db")
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret_key(instance)


def _init_login(app: Flask) -> None:
    from flask import redirect, request

    from .addresses import url_for
    from .auth import web
    from .extensions import login_manager
    from .htmx import is_htmx

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Sessions are checked against the server on every request (auth/web.py).
    login_manager.session_protection = None
    web.init_app(app)

    @login_manager.unauthorized_handler
    def unauthorized() -> Any:
        target = url_for("auth.login", next=request.full_path.rstrip("?"))
        if is_htmx():
            # A sign-in form swapped into a table cell helps nobody: send the page there.
            return "", 401, {"HX-Redirect": target}
        return redirect(target)
