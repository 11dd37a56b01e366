"""One client's record, as the services would have written it over the months: assessments,
care-plan versions, notes, appointments, referrals, crises, messages, tasks, and the audit
events of all of it (plus the staff's views of the record)."""

from __future__ import annotations

from .base import AUDIT_DAYS, AUDIT_EVENTS, Scale, audited_days, tenure_days
from .clinical import Clinical
from .contacts import Contacts

__all__ = ["AUDIT_DAYS", "ClientRecords", "Scale", "audited_days", "tenure_days"]


class ClientRecords(Clinical, Contacts):
    """Generates one client's rows into the writer and their events into the agency."""

    def generate(self) -> None:
        """Everything of this client, oldest first."""
        before = len(self.agency.events)
        psychosocial = self.make_assessments()
        self.make_plans(psychosocial)
        self.make_notes()
        self.make_appointments()
        self.make_referrals()
        self.make_crises()
        self.make_messages()
        self.make_paperwork()
        written = len(self.agency.events) - before
        target = round(AUDIT_EVENTS * self.audit_share * self.rng.uniform(0.85, 1.15))
        self.make_views(target - written)
