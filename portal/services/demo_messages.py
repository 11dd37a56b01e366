"""Demo messages: Alex's conversations with the team (one answered by the psychiatrist, one
waiting long enough to be raised to the supervisor), Sofía's in Spanish, and a note from
Jamie, Alex's sibling, to the team."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import Client, Message, MessageThread, ThreadRead, User, utcnow


def _user(email: str) -> User | None:
    found: User | None = db.session.scalar(select(User).where(User.email == email))
    return found


def _thread(
    client: Client,
    subject: str,
    lines: list[tuple[User, bool, str, datetime]],
    *,
    family: User | None = None,
) -> int:
    first_author, _team, _text, first_at = lines[0]
    thread = MessageThread(
        client_id=client.id,
        kind="family" if family else "client",
        family_user_id=family.id if family else None,
        subject=subject,
        created_by_id=first_author.id,
        created_at=first_at,
        last_message_at=lines[-1][3],
        awaiting_team=not lines[-1][1],
    )
    db.session.add(thread)
    db.session.flush()
    last_read: dict[int, datetime] = {}
    for author, from_team, text, at in lines:
        db.session.add(
            Message(
                thread_id=thread.id,
                author_id=author.id,
                from_team=from_team,
                body=text,
                created_at=at,
            )
        )
        last_read[author.id] = at  # each writer has read up to their own last message
    for user_id, at in last_read.items():
        db.session.add(ThreadRead(thread_id=thread.id, user_id=user_id, read_at=at))
    db.session.flush()
    return 1 + len(lines)


def load_demo_messages() -> int:
    """Once: skipped if any conversation exists."""
    if db.session.scalar(select(MessageThread.id).limit(1)) is not None:
        return 0
    alex = db.session.scalar(select(Client).where(Client.legal_name == "Alexander Example"))
    sofia = db.session.scalar(select(Client).where(Client.preferred_name == "Sofía"))
    casey, morgan = _user("cm@example.org"), _user("psychiatrist@example.org")
    alex_user, sofia_user = _user("client@example.org"), _user("client2@example.org")
    jamie = _user("family@example.org")
    if alex is None or casey is None or morgan is None or alex_user is None:
        return 0
    now = utcnow()
    created = _thread(
        alex,
        "Bus pass for next month",
        [
            (
                alex_user,
                False,
                "My bus pass runs out on Friday. Can you help me renew it?",
                now - timedelta(days=6, hours=3),
            ),
            (
                morgan,
                True,
                "Casey is out today, so I am answering. Bring your ID on Tuesday "
                "and Casey will fill in the form with you.",
                now - timedelta(days=6, hours=1),
            ),
            (alex_user, False, "Thank you, I will.", now - timedelta(days=5, hours=22)),
            (casey, True, "See you Tuesday, Alex.", now - timedelta(days=5, hours=20)),
        ],
    )
    # Waiting long enough to be raised to the supervisor.
    created += _thread(
        alex,
        "Question about my new medication",
        [
            (
                alex_user,
                False,
                "Is it normal to feel tired in the mornings since I started?",
                now - timedelta(days=3),
            )
        ],
    )
    if sofia is not None and sofia_user is not None:
        created += _thread(
            sofia,
            "Cambio de cita",
            [
                (
                    sofia_user,
                    False,
                    "¿Podemos hablar por teléfono esta semana en vez de vernos?",
                    now - timedelta(days=2, hours=4),
                ),
                (
                    casey,
                    True,
                    "Claro, Sofía. Te llamo el jueves a las 10.",
                    now - timedelta(days=2, hours=2),
                ),
            ],
        )
    if jamie is not None:
        created += _thread(
            alex,
            "Alex has been sleeping badly",
            [
                (
                    jamie,
                    False,
                    "Alex told me they have not slept well this week. I thought the "
                    "team should know.",
                    now - timedelta(hours=20),
                )
            ],
            family=jamie,
        )
    return created
