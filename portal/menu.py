"""The menus of signed-in pages: the main menu (the places a person's role opens, in order)
and a client record's tabs, each with the current page's link marked.

Their links depend on the role, the language and where the app is mounted, never on anyone's
data, so each app works out their labels (and the main menu's addresses) once per role,
language and mount point; a page then only marks its own link. Which areas a role may enter
is still decided by the policy: the menu only leaves out what the role's guard would
refuse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar, cast

from flask import current_app, request
from flask_babel import LazyString
from flask_login import current_user

from . import policy
from .addresses import url_for
from .i18n import current_language
from .i18n import lazy_gettext as _l
from .models import Role

_CACHE_KEY = "waypoint_menu"
T = TypeVar("T")


@dataclass(frozen=True)
class _Place:
    endpoint: str
    label: LazyString  # written in the reader's language
    # The link is the current page's when the page's endpoint is one of ``exact`` or starts
    # with one of ``prefixes``.
    exact: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    css_class: str = ""

    def holds(self, endpoint: str) -> bool:
        return endpoint in self.exact or endpoint.startswith(self.prefixes)


@dataclass(frozen=True)
class Link:
    url: str
    label: str
    current: bool
    css_class: str


_DASHBOARD = _Place("staff.home", _l("Dashboard"), exact=("staff.home",))
_CLIENTS = _Place("staff.client_index", _l("Clients"), prefixes=("staff.client",))
_MY_NOTES = _Place("staff.my_notes", _l("My notes"), exact=("staff.my_notes", "staff.cosign_queue"))
_STAFF_MESSAGES = _Place("staff.message_inbox", _l("Messages"), prefixes=("staff.message",))
_APPOINTMENTS = _Place(
    "staff.appointment_index", _l("Appointments"), prefixes=("staff.appointment",)
)
_TASKS = _Place("staff.task_index", _l("Tasks"), prefixes=("staff.task",))
_MATERIALS = _Place("staff.material_index", _l("Materials"), prefixes=("staff.material",))
_REPORTS = _Place("staff.report_index", _l("Reports"), prefixes=("staff.report",))
_AUDIT = _Place("staff.audit_index", _l("Audit log"), prefixes=("staff.audit",))
_USERS = _Place("staff.admin_users.user_index", _l("Users"), prefixes=("staff.admin_users",))
_RESOURCES = _Place("staff.resource_index", _l("Resources"), prefixes=("staff.resource",))
_ACCOUNT = _Place("account.index", _l("Account"), prefixes=("account.",))
_HELP = _Place("main.get_help", _l("Get help now"), exact=("main.get_help",), css_class="nav-help")

_CLIENT = (
    _Place("client.home", _l("Home"), exact=("client.home",)),
    _Place("client.messages", _l("Messages"), prefixes=("client.message",)),
    _Place("client.check_ins", _l("Check-ins"), prefixes=("client.check_in",)),
    _Place("client.goals", _l("My goals"), exact=("client.goals",)),
    _Place("client.appointments", _l("My appointments"), prefixes=("client.appointment",)),
    _Place("client.safety_plan", _l("My safety plan"), exact=("client.safety_plan",)),
    _Place("client.materials", _l("Learn"), prefixes=("client.material",)),
    _Place("client.family", _l("Family access"), exact=("client.family",)),
    _Place("client.resources", _l("My resources"), exact=("client.resources",)),
)
_FAMILY = (
    _Place("family.home", _l("Home"), exact=("family.home",)),
    _Place("family.materials", _l("Learn"), prefixes=("family.material",)),
    _Place("family.messages", _l("Messages"), prefixes=("family.message",)),
    _Place("family.goals", _l("Goals"), exact=("family.goals",)),
    _Place("family.appointments", _l("Appointments"), exact=("family.appointments",)),
)


@cache
def _places(role: str) -> tuple[_Place, ...]:
    """The role's places, in menu order."""
    if role in policy.AREA_ROLES["staff"]:
        places = [_DASHBOARD]
        if role != Role.ADMIN:
            places += [_CLIENTS, _MY_NOTES, _STAFF_MESSAGES, _APPOINTMENTS, _TASKS]
        places.append(_MATERIALS)
        if role in (Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER):
            places.append(_REPORTS)
        if role in (Role.ADMIN, Role.SUPERVISOR):
            places.append(_AUDIT)
        if role == Role.ADMIN:
            places.append(_USERS)
        places.append(_RESOURCES)
    elif role in policy.AREA_ROLES["client"]:
        places = list(_CLIENT)
    elif role in policy.AREA_ROLES["family"]:
        places = list(_FAMILY)
    else:
        places = []
    return (*places, _ACCOUNT, _HELP)


# A client record's tabs: (tab, endpoint, label), in order.
_RECORD_TABS = (
    ("overview", "staff.client_detail", _l("Overview")),
    ("assessments", "staff.assessment_index", _l("Assessments")),
    ("plan", "staff.plan_detail", _l("Care plan")),
    ("notes", "staff.note_index", _l("Notes")),
    ("appointments", "staff.client_appointments", _l("Appointments")),
    ("messages", "staff.client_messages", _l("Messages")),
    ("status", "staff.client_status", _l("Status and risk")),
    ("crisis", "staff.crisis_index", _l("Crisis and safety plan")),
    ("referrals", "staff.referral_index", _l("Referrals")),
    ("materials", "staff.client_materials", _l("Materials")),
    ("tasks", "staff.client_tasks", _l("Tasks")),
    ("documents", "staff.document_index", _l("Documents")),
    ("access", "staff.client_access", _l("Portal and family access")),
)


def _per_app(key: tuple[str, ...], work: Callable[[], T]) -> T:
    """What ``work`` returns for this app, language and mount point, worked out once."""
    key = (*key, current_language(), request.script_root)
    kept: dict[tuple[str, ...], Any] = current_app.extensions.setdefault(_CACHE_KEY, {})
    if key not in kept:
        kept[key] = work()
    return cast(T, kept[key])


def record_tabs(client_id: int, current: str) -> list[Link]:
    """A client record's tabs, the page's own marked."""
    labels = _per_app(("record tabs",), lambda: tuple(str(label) for _, _, label in _RECORD_TABS))
    return [
        Link(url_for(endpoint, client_id=client_id), label, tab == current, "")
        for (tab, endpoint, _), label in zip(_RECORD_TABS, labels, strict=True)
    ]


def _written(role: str) -> tuple[tuple[_Place, str, str], ...]:
    """The role's places with their addresses and labels, for this request's language and
    mount point, worked out once per app."""
    return _per_app(
        ("menu", role),
        lambda: tuple(
            (place, url_for(place.endpoint), str(place.label)) for place in _places(role)
        ),
    )


def main_menu() -> list[Link]:
    """The signed-in person's menu, the current page's link marked; none when signed out."""
    if not current_user.is_authenticated:
        return []
    endpoint = request.endpoint or ""
    return [
        Link(url, label, place.holds(endpoint), place.css_class)
        for place, url, label in _written(current_user.role)
    ]
