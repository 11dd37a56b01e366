"""Who may write, assign and read education materials, and the readers' loaders.

Everyone on staff reads the library. Administrators, supervisors and case managers write
it (administrators keep the agency's library without seeing any client); the clinical side
gives materials to the clients it may see. A client or family member reaches a material only
through a loader that answers 404 for one they may not read, exactly as for one that does
not exist.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from .extensions import db
from .models import CLINICAL_ROLES, Client, Material, MaterialAssignment, Role, User
from .services import materials


def may_write_materials(user: User) -> bool:
    """Administrators, supervisors and case managers write and archive materials."""
    return user.role in (Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER)


def may_assign_materials(user: User) -> bool:
    """The clinical side (care team included) gives materials to clients it may see;
    administrators never open a client's record."""
    return user.role in CLINICAL_ROLES


def get_material_or_404(material_id: int) -> Material:
    """A material of the staff library (archived ones included)."""
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    return material


def get_assignment_or_404(client: Client, material_id: int) -> MaterialAssignment:
    """The assignment of a material to a client already loaded through the policy."""
    assignment = db.session.scalar(
        select(MaterialAssignment).where(
            MaterialAssignment.client_id == client.id,
            MaterialAssignment.material_id == material_id,
        )
    )
    if assignment is None:
        abort(404)
    return assignment


def client_material_or_404(client: Client, slug: str, locale: str) -> materials.Entry:
    """A material the client may read (general for clients, or given to them)."""
    entry = materials.entry_for_client(client, slug, locale)
    if entry is None:
        abort(404)
    return entry


def family_material_or_404(user: User, slug: str, locale: str) -> materials.Entry:
    """A material the family member may read: general for families, or given to a client
    whose consent in force shares materials (so it is gone at revocation or expiry)."""
    if user.role != Role.FAMILY:
        abort(404)
    entry = materials.entry_for_family(user, slug, locale)
    if entry is None:
        abort(404)
    return entry
