"""The rest of a client's record: appointments (and a request now and then), referrals
along their closed loop, crises and safety plans, messages, paperwork tasks, and the staff's
views of the record that fill the audit log."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from . import texts
from .base import APPOINTMENTS, MESSAGES, REFERRALS, TASKS, RecordBase
from .common import (
    T_APPOINTMENT,
    T_CRISIS,
    T_MESSAGE,
    T_READ,
    T_REFERRAL,
    T_REFERRAL_EVENT,
    T_REQUEST,
    T_SAFETY,
    T_THREAD,
    new_key,
    pick,
    random_day,
)

KINDS = {"office": 50, "home_visit": 15, "telehealth": 15, "phone": 15, "group": 5}
OUTCOMES = {"attended": 75, "no_show": 12, "cancelled": 13}
VIEWS = {
    "record": 25,
    "timeline": 10,
    "notes": 15,
    "care plan": 10,
    "assessments": 8,
    "appointments": 8,
    "referrals": 5,
    "tasks": 5,
    "messages": 4,
    "note": 6,
    "assessment": 4,
}
CATEGORY_FOR = {
    "housing": "housing",
    "employment": "employment",
    "education": "education",
    "income": "benefits",
    "physical_health": "primary_care",
    "substance_use": "substance_use",
    "legal": "legal",
    "social_support": "support_group",
    "transportation": "transportation",
    "daily_living": "food",
    "mental_health": "therapy",
}


class Contacts(RecordBase):
    """Appointments, referrals, crises, messages, tasks and views."""

    # --- appointments -------------------------------------------------------------------------

    def _slot(self, staff: int, day: date, hour: int) -> int | None:
        """A free hour for both the staff member and the client that day, near the one asked."""
        taken = self.agency.taken
        for offset in range(8):
            candidate = 9 + (hour - 9 + offset) % 8
            if (staff, day, candidate) not in taken and (day, candidate) not in self.booked:
                taken.add((staff, day, candidate))
                self.booked.add((day, candidate))
                return candidate
        return None

    def make_appointments(self) -> None:
        """Past appointments with their outcomes, today's, and the next few weeks'."""
        rng, plan, clock = self.rng, self.plan, self.clock
        if plan.status != "referred":
            last = min(self.end, self.today - timedelta(days=1))
            for day in sorted(
                random_day(rng, self.start, last) for _ in range(self.count(APPOINTMENTS - 2))
            ):
                if day <= last:
                    self._appointment(day, pick(rng, OUTCOMES))
        if not plan.is_open:
            return
        if plan.status != "referred" and rng.random() < 0.05:
            day = self.today - timedelta(days=1)
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            if day >= self.start:
                self._appointment(day, "scheduled")
        for hour in plan.today_hours:
            starts = clock.at(self.today, hour)
            status = "attended" if starts + timedelta(hours=1) <= clock.now else "scheduled"
            self._appointment(self.today, status, staff=self.cm, hour=hour)
        future = 1 if plan.status == "referred" else rng.randint(1, 3)
        for _ in range(future):
            day = random_day(rng, self.today + timedelta(days=1), self.today + timedelta(days=21))
            self._appointment(day, "scheduled")
        if plan.portal_user and rng.random() < 0.04:
            self._request()

    def _appointment(
        self, day: date, status: str, *, staff: int | None = None, hour: int | None = None
    ) -> None:
        """One appointment as scheduled, with its outcome (and no-show task) when it has one."""
        rng, writer, clock = self.rng, self.writer, self.clock
        staff = staff or self.staff_member(0.2)
        slot = self._slot(staff, day, hour or rng.randint(9, 16))
        if slot is None:
            return
        kind = pick(rng, KINDS)
        starts = clock.at(day, slot)
        ends = starts + timedelta(minutes=30 if kind == "phone" else 60)
        created = self.moment(day - timedelta(days=rng.randint(2, 21)))
        if created >= clock.now:
            created = clock.now - timedelta(minutes=rng.randint(60, 14 * 24 * 60))
        created = self.capped(max(created, self.created_at))
        if created > starts:
            created = starts - timedelta(hours=1)
        appointment_id = writer.next_id(T_APPOINTMENT)
        location = {
            "home_visit": self.plan.address,
            "office": f"Waypoint office, room {rng.randint(1, 6)}",
            "group": "Waypoint office, group room",
        }.get(kind)
        row: dict[str, Any] = {
            "id": appointment_id,
            "version": 1,
            "client_id": self.plan.id,
            "staff_id": staff,
            "starts_at": starts,
            "ends_at": ends,
            "kind": kind,
            "location": location,
            "video_link": f"https://video.example.org/wp-{appointment_id}"
            if kind == "telehealth"
            else None,
            "client_note": rng.choice(texts.APPOINTMENT_NOTES) if kind == "office" else None,
            "status": status,
            "overlap_reason": None,
            "cancelled_by": None,
            "outcome_reason": None,
            "outcome_by_id": None,
            "outcome_at": None,
            "follow_up_task_id": None,
            "created_by_id": staff,
            "created_at": created,
        }
        self.event(
            created,
            staff,
            "create",
            "appointment",
            appointment_id,
            f"{kind} {starts:%Y-%m-%dT%H:%MZ}",
        )
        if status != "scheduled":
            if status == "cancelled":
                outcome_at = max(created, starts - timedelta(hours=rng.randint(1, 72)))
                row["cancelled_by"] = rng.choice(("client", "staff"))
                row["outcome_reason"] = rng.choice(texts.CANCEL_REASONS)
            else:
                outcome_at = ends + timedelta(minutes=rng.randint(5, 26 * 60))
            outcome_at = self.capped(outcome_at)
            row |= {"version": 2, "outcome_by_id": staff, "outcome_at": outcome_at}
            detail = f"scheduled->{status}"
            if row["cancelled_by"]:
                detail += f" by {row['cancelled_by']}"
            self.event(outcome_at, staff, "update", "appointment", appointment_id, detail)
            if status == "no_show" and rng.random() < 0.6:
                due = clock.day_of(outcome_at) + timedelta(days=1)
                row["follow_up_task_id"] = self.task(
                    f"Follow up the missed appointment of {day:%b} {day.day}, {day.year}",
                    kind="follow_up",
                    due=due,
                    created=outcome_at,
                    by=staff,
                    done_at=self.closed_at(due, outcome_at),
                )
        self.writer.add(T_APPOINTMENT, row)

    def _request(self) -> None:
        """A pending request for an appointment from the client's portal."""
        rng, clock = self.rng, self.clock
        created = clock.now - timedelta(hours=rng.randint(2, 72))
        first = random_day(rng, self.today + timedelta(days=3), self.today + timedelta(days=10))
        request_id = self.writer.next_id(T_REQUEST)
        self.writer.add(
            T_REQUEST,
            {
                "id": request_id,
                "version": 1,
                "client_id": self.plan.id,
                "requested_by_id": self.plan.portal_user,
                "purpose": "new",
                "appointment_id": None,
                "kind": "office",
                "reason": "I would like help with a form.",
                "preferred_1": clock.at(first, 10),
                "preferred_2": clock.at(first, 14),
                "preferred_3": clock.at(first + timedelta(days=1), 11),
                "status": "pending",
                "created_at": created,
            },
        )
        self.event(
            created, self.plan.portal_user, "create", "appointment_request", request_id, "new"
        )

    # --- referrals ----------------------------------------------------------------------------

    def make_referrals(self) -> None:
        """Referrals to the directory's resources, each as far along its loop as its age allows."""
        rng, writer = self.rng, self.writer
        if self.plan.status == "referred":
            return
        resources = self.agency.resources
        everything = [r for ids in resources.values() for r in ids]
        if not everything:
            return
        goal_keys = {}
        for version in self.versions:
            goal_keys.update(dict.fromkeys(version.keys))
        for _ in range(self.count(REFERRALS)):
            domain = rng.choice([*self.plan.needs, "mental_health"])
            category = CATEGORY_FOR[domain]
            resource = rng.choice(resources.get(category) or everything)
            day = random_day(rng, self.start, self.end)
            created = self.capped(self.moment(day))
            age = (self.clock.now - created).days
            if age < 14:
                path = ["proposed"] if rng.random() < 0.5 else ["proposed", "sent"]
            elif age < 60 and rng.random() < 0.7:
                path = ["proposed", "sent"] + (["accepted"] if rng.random() < 0.5 else [])
            elif age >= 60 and rng.random() < 0.08:
                path = ["proposed", "sent", "accepted"][: rng.randint(2, 3)]
            else:
                path = rng.choice(
                    (
                        ["proposed", "sent", "accepted", "completed"],
                        ["proposed", "sent", "accepted", "completed"],
                        ["proposed", "sent", "accepted", "completed"],
                        ["proposed", "sent", "declined"],
                        ["proposed", "cancelled"],
                    )
                )
            referral_id = writer.next_id(T_REFERRAL)
            at = created
            steps: list[tuple[str | None, str, datetime, str | None]] = []
            before: str | None = None
            for status in path:
                if before is not None:
                    at = self.capped(
                        at + timedelta(days=rng.randint(2, 15), hours=rng.randint(0, 5))
                    )
                note = (
                    rng.choice(texts.REFERRAL_CLOSE_NOTES)
                    if status in ("declined", "cancelled")
                    else None
                )
                steps.append((before, status, at, note))
                before = status
            final = path[-1]
            writer.add(
                T_REFERRAL,
                {
                    "id": referral_id,
                    "version": len(path),
                    "client_id": self.plan.id,
                    "resource_id": resource,
                    "reason": rng.choice(texts.REFERRAL_REASONS).format(
                        category=category.replace("_", " ")
                    ),
                    "goal_key": next((k for k in goal_keys if rng.random() < 0.3), None),
                    "status": final,
                    "follow_up_on": self.clock.day_of(created) + timedelta(days=14),
                    "follow_up_task_id": None,
                    "outcome": rng.choice(texts.REFERRAL_OUTCOMES)
                    if final == "completed"
                    else None,
                    "created_by_id": self.cm,
                    "created_at": created,
                    "updated_at": steps[-1][2],
                },
            )
            for from_status, to_status, when, note in steps:
                writer.add(
                    T_REFERRAL_EVENT,
                    {
                        "id": writer.next_id(T_REFERRAL_EVENT),
                        "referral_id": referral_id,
                        "from_status": from_status,
                        "to_status": to_status,
                        "at": when,
                        "by_id": self.cm,
                        "note": note,
                    },
                )
                if from_status is None:
                    self.event(when, self.cm, "create", "referral", referral_id, f"to {resource}")
                else:
                    self.event(
                        when,
                        self.cm,
                        "update",
                        "referral",
                        referral_id,
                        f"{from_status}->{to_status}",
                    )

    # --- crises and safety plans ------------------------------------------------------------

    def make_crises(self) -> None:
        """For clients at risk: past crises, now and then an open one, and a safety plan."""
        rng, plan = self.rng, self.plan
        if plan.risk == "low" or plan.status == "referred":
            return
        if plan.risk == "high" and rng.random() < 0.6:
            self._crisis(random_day(rng, self.start, self.end), resolved=True)
        if plan.risk == "high" and plan.is_open and rng.random() < 0.15:
            self._crisis(
                random_day(rng, max(self.start, self.today - timedelta(days=7)), self.today),
                resolved=False,
            )
        if rng.random() < (0.9 if plan.risk == "high" else 0.3):
            self._safety_plan()

    def _crisis(self, day: date, *, resolved: bool) -> None:
        """One crisis with its follow-up task, resolved or still open."""
        rng, writer, clock = self.rng, self.writer, self.clock
        occurred = self.capped(self.moment(day, 8, 21))
        created = self.capped(occurred + timedelta(minutes=rng.randint(20, 120)))
        due = clock.day_of(occurred) + timedelta(days=1)
        crisis_id = writer.next_id(T_CRISIS)
        outcome = rng.choice(("safe_at_home", "stayed_with_support", "emergency_department"))
        follow_up = self.task(
            f"Follow up after the crisis of {clock.day_of(occurred).isoformat()}",
            kind="follow_up",
            due=due,
            created=created,
            by=self.cm,
            done_at=self.closed_at(due, created) if resolved else None,
        )
        resolved_at = self.capped(created + timedelta(days=rng.randint(1, 5))) if resolved else None
        writer.add(
            T_CRISIS,
            {
                "id": crisis_id,
                "client_id": self.plan.id,
                "occurred_at": occurred,
                "what_happened": rng.choice(texts.CRISIS_WHAT),
                "risk_level": "high" if rng.random() < 0.4 else "moderate",
                "risk_notes": "C-SSRS screener done; no plan or intent.",
                "actions": rng.sample(["safety_planning", "called_988", "mobile_crisis"], 2),
                "actions_other": None,
                "outcome": outcome,
                "outcome_notes": None,
                "follow_up_due": due,
                "follow_up_task_id": follow_up,
                "status": "resolved" if resolved else "open",
                "created_by_id": self.cm,
                "created_at": created,
                "resolved_by_id": self.cm if resolved else None,
                "resolved_at": resolved_at,
                "resolution": "Seen the next day; safety plan reviewed." if resolved else None,
            },
        )
        self.event(created, self.cm, "create", "crisis_event", crisis_id, outcome)
        if resolved_at is not None:
            self.event(resolved_at, self.cm, "update", "crisis_event", crisis_id, "resolved")

    def _safety_plan(self) -> None:
        """A safety plan of one or two versions saved by the case manager."""
        rng, writer = self.rng, self.writer
        versions = 1 if rng.random() < 0.6 else 2
        sections: dict[str, list[dict[str, Any]]] = {}
        for name, options in texts.SAFETY_ITEMS.items():
            sections[name] = [
                {
                    "key": new_key(rng),
                    "text": text,
                    "phone": f"555-{rng.randint(200, 999):03d}-{rng.randint(0, 9999):04d}"
                    if name in ("distraction", "help_people", "professionals")
                    else None,
                    "by_client": False,
                }
                for text in rng.sample(options, min(len(options), rng.randint(1, 2)))
            ]
        day = random_day(rng, self.start, self.end)
        for number in range(1, versions + 1):
            saved = self.capped(self.moment(day))
            change = "first version" if number == 1 else "reviewed together"
            version_id = writer.next_id(T_SAFETY)
            writer.add(
                T_SAFETY,
                {
                    "id": version_id,
                    "client_id": self.plan.id,
                    "number": number,
                    "sections": sections,
                    "client_sections": ["coping", "reasons"],
                    "pinned": [sections["coping"][0]["key"]],
                    "saved_by_id": self.cm,
                    "saved_at": saved,
                    "by_client": False,
                    "change": change,
                },
            )
            self.event(
                saved,
                self.cm,
                "create" if number == 1 else "update",
                "safety_plan",
                version_id,
                f"version {number}: {change}",
            )
            day = min(self.end, day + timedelta(days=rng.randint(14, 90)))

    # --- messages ---------------------------------------------------------------------------

    def make_messages(self) -> None:
        """Conversations between a client with a portal account and the team."""
        rng, plan, writer = self.rng, self.plan, self.writer
        if plan.portal_user is None or plan.status == "referred":
            return
        total = max(2, self.count(2 * MESSAGES))
        threads = rng.randint(1, min(3, max(1, total // 6)))
        language = "es" if plan.language == "es" else "en"
        for n in range(threads):
            size = total // threads + (1 if n < total % threads else 0)
            start = self.capped(self.moment(random_day(rng, self.start, self.end), 8, 20))
            thread_id = writer.next_id(T_THREAD)
            lines: list[tuple[int, bool, datetime]] = []
            at = start
            from_team = rng.random() < 0.3
            for _ in range(size):
                if at > self.clock.now:
                    break
                author = self.staff_member(0.15) if from_team else plan.portal_user
                lines.append((author, from_team, at))
                from_team = (not from_team) if rng.random() < 0.8 else from_team
                at = at + timedelta(minutes=rng.randint(60, 72 * 60))
            if not lines:
                continue
            stale = lines[-1][2] < self.clock.now - timedelta(days=2)
            # Old conversations end with the team's answer, nearly always.
            if not lines[-1][1] and stale and rng.random() < 0.9:
                answered = self.capped(lines[-1][2] + timedelta(hours=rng.randint(1, 30)))
                lines.append((self.staff_member(0.15), True, answered))
            writer.add(
                T_THREAD,
                {
                    "id": thread_id,
                    "client_id": plan.id,
                    "kind": "client",
                    "family_user_id": None,
                    "subject": rng.choice(texts.THREAD_SUBJECTS[language]),
                    "created_by_id": lines[0][0],
                    "created_at": lines[0][2],
                    "last_message_at": lines[-1][2],
                    "awaiting_team": not lines[-1][1],
                },
            )
            read: dict[int, datetime] = {}
            for author, team, when in lines:
                message_id = writer.next_id(T_MESSAGE)
                body = rng.choice(texts.TEAM_MESSAGES if team else texts.CLIENT_MESSAGES[language])
                writer.add(
                    T_MESSAGE,
                    {
                        "id": message_id,
                        "thread_id": thread_id,
                        "author_id": author,
                        "from_team": team,
                        "body": body,
                        "created_at": when,
                    },
                )
                read[author] = when
                self.event(
                    when,
                    author,
                    "create",
                    "message",
                    message_id,
                    f"thread {thread_id} {'team' if team else 'client'}",
                )
            last = lines[-1][2]
            for reader, chance in ((plan.portal_user, 0.85), (self.cm, 0.9)):
                if rng.random() < chance:
                    read[reader] = max(read.get(reader, last), last)
            for user_id, when in read.items():
                writer.add(
                    T_READ,
                    {
                        "id": writer.next_id(T_READ),
                        "thread_id": thread_id,
                        "user_id": user_id,
                        "read_at": when,
                    },
                )
            self.threads += 1

    # --- paperwork ----------------------------------------------------------------------------

    def make_paperwork(self) -> None:
        """Paperwork tasks, to the client's share of tasks."""
        rng = self.rng
        if self.plan.status == "referred" and rng.random() < 0.5:
            return
        for _ in range(max(0, self.count(TASKS) - self.tasks)):
            kind, title, steps = rng.choice(texts.PAPERWORK)
            created = self.capped(self.moment(random_day(rng, self.start, self.end)))
            due = self.clock.day_of(created) + timedelta(days=rng.randint(7, 45))
            done = self.closed_at(due, created)
            status = None
            if done is not None and rng.random() < 0.06:
                status = "cancelled"
            self.task(
                title,
                kind=kind,
                due=due,
                created=created,
                by=self.cm,
                done_at=done,
                status=status,
                items=steps,
            )

    # --- views --------------------------------------------------------------------------------

    def make_views(self, count: int) -> None:
        """Staff opening parts of the record, to fill the client's share of audit events."""
        rng, clock = self.rng, self.clock
        first = max(self.agency.audit_from, clock.at(self.start, 8))
        last = min(clock.now, clock.at(self.end, 18))
        if count <= 0 or last <= first:
            return
        supervisor = self.agency.supervisor_of.get(self.cm)
        first_day, last_day = clock.day_of(first), clock.day_of(last)
        for _ in range(count):
            roll = rng.random()
            if self.team and roll < 0.15:
                actor = rng.choice(self.team)
            elif supervisor and roll > 0.9:
                actor = supervisor
            else:
                actor = self.cm
            at = self.moment(random_day(rng, first_day, last_day), 8, 17)
            at = min(max(at + timedelta(seconds=rng.randint(0, 899)), first), last)
            what = pick(rng, VIEWS)
            if what == "note" and self.notes:
                note_id, signed = rng.choice(self.notes)
                what, at = f"note {note_id}", max(at, signed)
            elif what == "assessment" and self.assessments:
                assessment_id, done = rng.choice(self.assessments)
                what, at = f"assessment {assessment_id}", max(at, done)
            elif what in ("note", "assessment") or (what == "messages" and not self.threads):
                what = "record"
            self.event(min(at, clock.now), actor, "view", "client", self.plan.id, what)
