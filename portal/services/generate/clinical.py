"""The clinical part of a client's record: assessments scored by the instruments, care-plan
versions with goals, steps, interventions and progress, and progress notes (signed as the
notes service signs them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, cast

from ...models import NOTE_FORMATS, ProgressNote, folded
from .. import notes as note_service
from . import texts
from .base import ASSESSMENTS, NOTES, PlanVersion, RecordBase
from .common import (
    T_ASSESSMENT,
    T_COSIGN,
    T_GOAL,
    T_INTERVENTION,
    T_NOTE,
    T_OBJECTIVE,
    T_PLAN,
    T_PROGRESS,
    new_key,
    pick,
    random_day,
)

CONTACT_TYPES = {
    "office": 35,
    "phone": 25,
    "video": 10,
    "home_visit": 15,
    "collateral": 10,
    "crisis": 5,
}
FORMATS = {"dap": 35, "soap": 25, "birp": 20, "narrative": 20}
LATER_INSTRUMENTS = {"phq9": 45, "gad7": 35, "psychosocial": 8, "cssrs": 12}
NEED_NOTES = {
    "housing": "Staying with a cousin; has to leave soon.",
    "employment": "Lost a warehouse job in the spring.",
    "income": "Benefits stopped after a missed letter.",
    "transportation": "Misses appointments when the bus is late.",
}

_folded = lru_cache(maxsize=20_000)(folded)


@dataclass
class _Goal:
    """A goal across plan versions: its stable key and how its progress goes."""

    key: str
    domain: str
    description: str
    final: int
    started: date
    days: int
    objectives: list[tuple[str, str]]
    interventions: list[tuple[str, str, str, str]]

    def progress(self, day: date) -> int:
        share = min(1.0, max(0.0, (day - self.started).days / self.days))
        return int(round(self.final * share / 10) * 10)


def _status_of(progress: int) -> str:
    if progress >= 100:
        return "achieved"
    return "in_progress" if progress > 0 else "not_started"


class Clinical(RecordBase):
    """Assessments, care plans and notes."""

    # --- assessments ----------------------------------------------------------------------------

    def make_assessments(self) -> tuple[int, datetime] | None:
        """Intake screens, then PHQ-9s and GAD-7s along a course; critical answers make tasks."""
        rng = self.rng
        if self.plan.status == "referred":
            count = rng.randint(0, 1)
        else:
            count = max(1, self.count(ASSESSMENTS))
        codes = ["psychosocial", "cssrs", "phq9"][:count]
        codes += [pick(rng, LATER_INSTRUMENTS) for _ in range(count - len(codes))]
        first_day = min(self.start + timedelta(days=rng.randint(0, 3)), self.end)
        later = sorted(
            random_day(rng, min(self.start + timedelta(days=14), self.end), self.end)
            for _ in range(max(0, count - 3))
        )
        days = [first_day] * min(count, 3) + later
        base = {"low": (4, 11), "moderate": (9, 17), "high": (14, 23)}[self.plan.risk]
        start_score = rng.uniform(*base)
        slope = pick(rng, {"better": 60, "same": 25, "worse": 15})
        per_month = {
            "better": rng.uniform(-1.5, -0.3),
            "same": rng.uniform(-0.2, 0.2),
            "worse": rng.uniform(0.2, 0.8),
        }[slope]
        psychosocial: tuple[int, datetime] | None = None
        for code, day in zip(codes, days, strict=True):
            at = self.capped(self.moment(day))
            months = (day - self.start).days / 30
            level = start_score + per_month * months + rng.gauss(0, 1.5)
            answers, notes = self._answers(code, level)
            instrument = self.instruments[code]
            result = instrument.score(answers)
            kept = {i.id: answers[i.id] for i in instrument.applicable_items(answers)}
            by = self.staff_member(0.2)
            assessment_id = self.writer.next_id(T_ASSESSMENT)
            self.writer.add(
                T_ASSESSMENT,
                {
                    "id": assessment_id,
                    "client_id": self.plan.id,
                    "instrument_code": code,
                    "instrument_version": instrument.version,
                    "administered_by_id": by,
                    "administered_at": at,
                    "self_report": False,
                    "answers": kept,
                    "notes": notes,
                    "total": result.total,
                    "band": result.band.code if result.band else None,
                    "risk_level": result.risk_level,
                    "critical_items": result.critical_items,
                },
            )
            self.event(at, by, "create", "assessment", assessment_id, code)
            self.assessments.append((assessment_id, at))
            if code == "psychosocial" and psychosocial is None:
                psychosocial = (assessment_id, at)
            if result.critical_items or result.risk_level in ("moderate", "high"):
                due = self.clock.day_of(at)
                self.task(
                    f"Review the critical answer on {instrument.title('en')}",
                    kind="follow_up",
                    due=due,
                    created=at,
                    by=by,
                    done_at=self.closed_at(due, at),
                )
        return psychosocial

    def _spread(self, total: int, items: list[str]) -> dict[str, int]:
        """Item answers (0-3) adding up to the total."""
        values = dict.fromkeys(items, 0)
        total = max(0, min(total, 3 * len(items)))
        while total:
            item = self.rng.choice(items)
            if values[item] < 3:
                values[item] += 1
                total -= 1
        return values

    def _answers(self, code: str, level: float) -> tuple[dict[str, int], dict[str, str]]:
        """Answers and notes for one administration, fitting the client's risk and needs."""
        rng, risk = self.rng, self.plan.risk
        if code == "phq9":
            total = round(min(27.0, max(0.0, level)))
            critical = {"high": 0.25, "moderate": 0.05}.get(risk, 0.0)
            q9 = rng.randint(1, 2) if total >= 10 and rng.random() < critical else 0
            answers = self._spread(total - q9, [f"q{i}" for i in range(1, 9)])
            answers["q9"] = q9
            return answers, {}
        if code == "gad7":
            total = round(min(21.0, max(0.0, level * 0.75 + rng.gauss(0, 1))))
            return self._spread(total, [f"q{i}" for i in range(1, 8)]), {}
        if code == "cssrs":
            if risk == "high":
                answers = {"q1": 1, "q2": 1, "q3": int(rng.random() < 0.5)}
                answers |= {"q4": int(rng.random() < 0.2), "q5": 0, "q6": int(rng.random() < 0.2)}
                if answers["q6"]:
                    answers["q6_recent"] = 0
                return answers, {}
            return {"q1": int(risk == "moderate" and rng.random() < 0.5), "q2": 0, "q6": 0}, {}
        needs = set(self.plan.needs)
        answers = {
            item.id: (rng.randint(2, 3) if item.id in needs else rng.choice((0, 0, 0, 1)))
            for item in self.instruments["psychosocial"].items
        }
        notes = {d: NEED_NOTES[d] for d in self.plan.needs if d in NEED_NOTES}
        return answers, notes

    # --- care plans ----------------------------------------------------------------------------

    def make_plans(self, psychosocial: tuple[int, datetime] | None) -> None:
        """Signed versions (the latest in force, older ones superseded), sometimes a draft."""
        rng, plan = self.rng, self.plan
        if plan.status == "referred":
            return
        first_day = min(self.start + timedelta(days=rng.randint(3, 14)), self.end)
        goals = self._first_goals(first_day)
        if plan.status == "intake" or (self.end - first_day).days < 3:
            if rng.random() < 0.5:
                created = self.capped(max(self.moment(first_day), self.created_at))
                self._version(1, None, goals, created, None, "draft", psychosocial, None)
            return
        span = (self.end - first_day).days
        signed_count = min(rng.choice((1, 1, 2, 2, 3)), 1 + span // 120)
        last_signed = self.end - timedelta(days=rng.randint(5, 110))
        last_signed = max(first_day + timedelta(days=2), last_signed)
        step = (last_signed - first_day).days / signed_count
        sign_days = [first_day + timedelta(days=round(step * (n + 1))) for n in range(signed_count)]
        # When each version was started and signed: each after the one before it.
        moments: list[tuple[list[_Goal], datetime, datetime]] = []
        previous = self.created_at
        for number, sign_day in enumerate(sign_days, start=1):
            created_day = first_day
            if number > 1:
                created_day = sign_day - timedelta(days=rng.randint(1, 5))
                goals = self._next_goals(goals, created_day)
            created = self.capped(max(self.moment(created_day), previous + timedelta(hours=1)))
            signed = self.capped(max(self.moment(sign_day), created + timedelta(hours=1)))
            moments.append((goals, created, signed))
            previous = signed
        based_on: int | None = None
        for number, (version_goals, created, signed) in enumerate(moments, start=1):
            last = number == len(moments)
            based_on = self._version(
                number,
                based_on,
                version_goals,
                created,
                signed,
                "active" if last else "superseded",
                psychosocial,
                None if last else moments[number][2],
            )
        day = max(sign_days[-1] + timedelta(days=1), self.today - timedelta(days=20))
        if plan.discharged is None and rng.random() < 0.15 and day < self.today:
            created = self.capped(max(self.moment(day), previous + timedelta(hours=1)))
            goals = self._next_goals(goals, day)
            self._version(
                len(moments) + 1, based_on, goals, created, None, "draft", psychosocial, None
            )

    def _goal(self, domain: str, day: date) -> _Goal:
        """A new goal in the client's own words, with steps and interventions."""
        rng = self.rng
        language = "es" if self.plan.language == "es" else "en"
        objectives = [
            (new_key(rng), rng.choice(texts.OBJECTIVES)) for _ in range(rng.randint(1, 2))
        ]
        interventions = [
            (new_key(rng), *rng.choice(texts.INTERVENTIONS)) for _ in range(rng.randint(1, 2))
        ]
        return _Goal(
            key=new_key(rng),
            domain=domain,
            description=rng.choice(texts.GOALS[domain][language]),
            final=rng.choice((20, 40, 50, 60, 80, 100, 100)),
            started=day,
            days=rng.randint(90, 400),
            objectives=objectives,
            interventions=interventions,
        )

    def _first_goals(self, day: date) -> list[_Goal]:
        """The first version's goals: mental health and the needs the assessment found."""
        domains = ["mental_health", *self.plan.needs]
        while len(domains) < 3:
            domains.append(self.rng.choice(list(texts.GOALS)))
        count = self.rng.randint(3, 5)
        extra = [self.rng.choice(list(texts.GOALS)) for _ in range(max(0, count - len(domains)))]
        return [self._goal(d, day) for d in (domains + extra)[:count]]

    def _next_goals(self, goals: list[_Goal], day: date) -> list[_Goal]:
        """The next version: achieved goals are taken off now and then, a new one added."""
        kept = [g for g in goals if not (g.progress(day) >= 100 and self.rng.random() < 0.5)]
        if len(kept) < 3 or (len(kept) < 5 and self.rng.random() < 0.5):
            kept.append(self._goal(self.rng.choice(list(texts.GOALS)), day))
        return kept[:5]

    def _version(
        self,
        number: int,
        based_on: int | None,
        goals: list[_Goal],
        created: datetime,
        signed: datetime | None,
        status: str,
        psychosocial: tuple[int, datetime] | None,
        superseded_at: datetime | None,
    ) -> int:
        """One version of the plan as the care_plans service leaves it, with its goals."""
        rng, writer, clock = self.rng, self.writer, self.clock
        plan_id = writer.next_id(T_PLAN)
        created_day = clock.day_of(created)
        sign_day = clock.day_of(signed) if signed is not None else None
        review_due = (sign_day + timedelta(days=self.review_days)) if sign_day else None
        review_task = None
        if signed is not None and review_due is not None:
            review_task = self.task(
                f"Review the care plan (version {number})",
                kind="follow_up",
                due=review_due,
                created=signed,
                by=self.cm,
                done_at=superseded_at,
            )
        acknowledged = None
        if status == "active" and self.plan.portal_user and signed and rng.random() < 0.6:
            acknowledged = self.capped(signed + timedelta(days=rng.randint(1, 10), hours=3))
        writer.add(
            T_PLAN,
            {
                "id": plan_id,
                "version": 1,
                "client_id": self.plan.id,
                "number": number,
                "status": status,
                "based_on_id": based_on,
                "created_by_id": self.cm,
                "created_at": created,
                "updated_at": signed or created,
                "signed_by_id": self.cm if signed else None,
                "signed_at": signed,
                "review_due_on": review_due,
                "review_task_id": review_task,
                "approved_by_id": None,
                "approved_at": None,
                "acknowledged_by_id": self.plan.portal_user if acknowledged else None,
                "acknowledged_at": acknowledged,
                "superseded_at": superseded_at,
            },
        )
        self.event(created, self.cm, "create", "care_plan", plan_id, f"version {number}")
        if signed is not None:
            self.event(signed, self.cm, "sign", "care_plan", plan_id, f"version {number}")
        if acknowledged is not None:
            self.event(
                acknowledged,
                self.plan.portal_user,
                "acknowledge",
                "care_plan",
                plan_id,
                f"version {number}",
            )
        version = PlanVersion(created)
        for position, goal in enumerate(goals):
            goal_id = writer.next_id(T_GOAL)
            version.keys.append(goal.key)
            progress = 0 if number == 1 else goal.progress(created_day)
            source = None
            if psychosocial and goal.domain in self.plan.needs and psychosocial[1] <= created:
                source = psychosocial[0]
            writer.add(
                T_GOAL,
                {
                    "id": goal_id,
                    "key": goal.key,
                    "position": position,
                    "version": 1,
                    "plan_id": plan_id,
                    "client_id": self.plan.id,
                    "description": goal.description,
                    "domain": goal.domain,
                    "target_date": goal.started + timedelta(days=goal.days),
                    "status": _status_of(progress),
                    "progress": progress,
                    "source_assessment_id": source,
                },
            )
            for n, (key, text) in enumerate(goal.objectives):
                writer.add(
                    T_OBJECTIVE,
                    {
                        "id": writer.next_id(T_OBJECTIVE),
                        "key": key,
                        "position": n,
                        "version": 1,
                        "goal_id": goal_id,
                        "description": text,
                        "target_date": goal.started + timedelta(days=goal.days // 2),
                        "status": _status_of(min(100, progress * 2) if n == 0 else progress),
                    },
                )
            for n, (key, what, who, often) in enumerate(goal.interventions):
                writer.add(
                    T_INTERVENTION,
                    {
                        "id": writer.next_id(T_INTERVENTION),
                        "key": key,
                        "position": n,
                        "version": 1,
                        "goal_id": goal_id,
                        "description": what,
                        "responsible": who,
                        "frequency": often,
                    },
                )
            if status == "active" and sign_day is not None:
                self._progress_entries(goal, goal_id, sign_day)
        self.versions.append(version)
        return plan_id

    def _progress_entries(self, goal: _Goal, goal_id: int, signed_day: date) -> None:
        """A few dated ratings of a goal of the plan in force."""
        rng = self.rng
        first = signed_day + timedelta(days=7)
        if first >= self.end:
            return
        days = sorted(random_day(rng, first, self.end) for _ in range(rng.randint(0, 3)))
        for day in days:
            by_client = bool(self.plan.portal_user) and rng.random() < 0.2
            author = self.plan.portal_user if by_client else self.cm
            at = self.capped(self.moment(day, 10, 18))
            rating = goal.progress(day)
            entry_id = self.writer.next_id(T_PROGRESS)
            self.writer.add(
                T_PROGRESS,
                {
                    "id": entry_id,
                    "client_id": self.plan.id,
                    "goal_key": goal.key,
                    "goal_id": goal_id,
                    "recorded_on": day,
                    "rating": rating,
                    "comment": rng.choice(texts.PROGRESS_COMMENTS),
                    "by_client": by_client,
                    "author_id": author,
                    "created_at": at,
                },
            )
            self.event(at, author, "create", "goal_progress", entry_id, f"goal {goal_id}: {rating}")

    # --- notes ------------------------------------------------------------------------------

    def make_notes(self) -> None:
        """Signed notes over the months of care, and for some clients a recent draft."""
        rng, plan = self.rng, self.plan
        last = min(self.end, self.today - timedelta(days=1))
        if last < self.start:
            return
        count = self.count(NOTES) if plan.status != "referred" else rng.randint(0, 1)
        for day in sorted(random_day(rng, self.start, last) for _ in range(count)):
            self._note(day, signed=True)
        if plan.is_open and plan.status != "referred" and rng.random() < 0.3:
            for _ in range(1 if rng.random() < 0.8 else 2):
                day = random_day(rng, max(self.start, self.today - timedelta(days=10)), last)
                self._note(day, signed=False)

    def _note(self, day: date, *, signed: bool) -> None:
        """One note, signed (with its fingerprint) or a draft, with its audit events."""
        rng, writer, clock = self.rng, self.writer, self.clock
        author = self.staff_member()
        contact_type = pick(rng, CONTACT_TYPES)
        fmt = pick(rng, FORMATS)
        contact_at = self.moment(day)
        duration = rng.choice((15, 20, 30, 45, 60, 90))
        sections = {
            name: rng.choice(texts.SECTIONS[name]).format(name=self.plan.first)
            for name in NOTE_FORMATS[fmt]
        }
        home = contact_type == "home_visit"
        location = rng.choice(texts.HOME_LOCATIONS) if home else None
        # Never a whole number: SQLite hands 12.0 back as 12, and the signed fingerprint
        # (which prints the number) would then no longer match on SQLite.
        mileage = rng.randint(20, 250) / 10 if home else None
        if mileage is not None and mileage.is_integer():
            mileage += 0.5
        created = self.capped(contact_at + timedelta(minutes=duration + rng.randint(10, 180)))
        goal_keys: list[str] = []
        version = next((v for v in reversed(self.versions) if v.created <= contact_at), None)
        if version is not None and rng.random() < 0.6:
            goal_keys = rng.sample(version.keys, min(len(version.keys), rng.randint(1, 2)))
        note_id = writer.next_id(T_NOTE)
        row: dict[str, Any] = {
            "id": note_id,
            "version": 1,
            "client_id": self.plan.id,
            "author_id": author,
            "status": "draft",
            "contact_at": contact_at,
            "duration_minutes": duration,
            "contact_type": contact_type,
            "format": fmt,
            "sections": sections,
            "location": location,
            "mileage": mileage,
            "goal_keys": goal_keys,
            # What models.folded makes of the whole text, a part at a time (parts repeat).
            "search_text": " ".join(
                w for w in map(_folded, (*sections.values(), location or "")) if w
            ),
            "created_at": created,
            "updated_at": created,
            "signed_at": None,
            "content_hash": None,
            "late_entry": False,
            "needs_cosign": False,
            "meeting_id": None,
        }
        self.event(created, author, "create", "progress_note", note_id, "draft")
        if rng.random() < 0.3:
            saved = self.capped(created + timedelta(minutes=rng.randint(2, 40)))
            self.event(saved, author, "update", "progress_note", note_id, "draft saved")
            row["updated_at"] = saved
        if signed:
            if rng.random() < 0.07:
                signed_at = contact_at + timedelta(hours=rng.randint(73, 240))
            else:
                signed_at = row["updated_at"] + timedelta(minutes=rng.randint(1, 240))
            signed_at = self.capped(signed_at)
            needs_cosign = author in self.agency.cosign
            row |= {
                "status": "signed",
                "signed_at": signed_at,
                "updated_at": max(row["updated_at"], signed_at),
                "late_entry": signed_at - contact_at > timedelta(hours=72),
                "needs_cosign": needs_cosign,
            }
            row["content_hash"] = note_service.content_hash(
                cast(ProgressNote, SimpleNamespace(**row, section_names=NOTE_FORMATS[fmt]))
            )
            self.event(
                signed_at,
                author,
                "sign",
                "progress_note",
                note_id,
                "late entry" if row["late_entry"] else None,
            )
            supervisor = self.agency.supervisor_of.get(author)
            if needs_cosign and supervisor and signed_at < clock.now - timedelta(days=5):
                cosigned = self.capped(signed_at + timedelta(days=rng.randint(1, 4)))
                writer.add(
                    T_COSIGN,
                    {
                        "id": writer.next_id(T_COSIGN),
                        "note_id": note_id,
                        "user_id": supervisor,
                        "signed_at": cosigned,
                    },
                )
                self.event(cosigned, supervisor, "sign", "progress_note", note_id, "co-signature")
            self.notes.append((note_id, signed_at))
        writer.add(T_NOTE, row)
