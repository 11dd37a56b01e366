"""Pages for everyone: the root redirect, health, help, language."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from . import feeds, views  # noqa: E402, F401
