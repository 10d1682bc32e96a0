"""Saved conversations: a signed-in user's questions to a bot with the answers and their citations, in the registry.

Kept in the registry's database (SQLite or PostgreSQL), so every server of a deployment lists and resumes the same
conversations. Every method names the owner: a conversation id of another user opens, renames and deletes nothing,
and says so exactly as an unknown id does. Texts are masked as answer traces are (`builder.privacy.mask`), and a
user's conversations are deleted with the user (ON DELETE CASCADE, migration 0006).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from builder.models import ConversationRow, ConversationTurnRow
from builder.privacy import mask
from connectors.errors import ConnectorError

TITLE_CHARS = 60
_KEEP = {"file", "department"}  # a citation's document: where its link points, not something anyone typed
MAX_LISTED = 100


class ConversationError(ConnectorError):
    """A conversation that is not there for this user (unknown, another user's, or deleted)."""


@dataclass(frozen=True, slots=True)
class SavedTurn:
    """One question and its answer as stored: texts masked, citations as their JSON form (`Citation.to_dict`)."""

    question: str
    answer: str
    citations: tuple[dict[str, Any], ...] = ()
    trace_id: str = ""


@dataclass(frozen=True, slots=True)
class ConversationInfo:
    """A conversation in a list: its title, bot, times (UTC) and how many questions it has."""

    id: str
    bot_slug: str
    title: str
    created_at: datetime
    updated_at: datetime
    turns: int


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation with its turns, oldest first."""

    info: ConversationInfo
    turns: tuple[SavedTurn, ...]


def title_of(question: str) -> str:
    """A conversation's first title: its first question on one line, cut with an ellipsis when long."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[:TITLE_CHARS - 1] + "…"


def masked_turn(turn: SavedTurn) -> SavedTurn:
    """The turn with personal data masked in its texts and its citations' texts (not in its ids or file names)."""
    citations = tuple({k: mask(v) if isinstance(v, str) and k not in _KEEP else v for k, v in c.items()}
                      for c in turn.citations)
    return SavedTurn(mask(turn.question), mask(turn.answer), citations, turn.trace_id)


class Conversations:
    """The saved conversations of the registry's users; every method is one transaction."""

    def __init__(self, *, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def add_turn(self, user_id: int, bot_slug: str, turn: SavedTurn, conversation_id: str = "") -> str:
        """Add a turn to the user's conversation (a new one, titled by its question, when no id is given); its id."""
        turn = masked_turn(turn)
        moment = datetime.now(UTC)
        with self._session() as session:
            if conversation_id:
                row = self._row(session, user_id, conversation_id)
            else:
                row = ConversationRow(id=secrets.token_hex(16), user_id=user_id, bot_slug=bot_slug,
                                      title=title_of(turn.question), created_at=moment)
                session.add(row)
            number = session.scalar(select(func.count()).select_from(ConversationTurnRow)
                                    .where(ConversationTurnRow.conversation_id == row.id)) or 0
            session.add(ConversationTurnRow(conversation_id=row.id, number=number + 1, question=turn.question,
                                            answer=turn.answer, citations=list(turn.citations),
                                            trace_id=turn.trace_id[:64], created_at=moment))
            row.updated_at = moment
            return row.id

    def listed(self, user_id: int, bot_slug: str, limit: int = MAX_LISTED) -> list[ConversationInfo]:
        """The user's conversations with a bot, most recently continued first."""
        counts = (select(ConversationTurnRow.conversation_id, func.count().label("turns"))
                  .group_by(ConversationTurnRow.conversation_id).subquery())
        query = (select(ConversationRow, func.coalesce(counts.c.turns, 0))
                 .outerjoin(counts, counts.c.conversation_id == ConversationRow.id)
                 .where(ConversationRow.user_id == user_id, ConversationRow.bot_slug == bot_slug)
                 .order_by(ConversationRow.updated_at.desc(), ConversationRow.id).limit(limit))
        with self._session() as session:
            return [_info(row, int(turns)) for row, turns in session.execute(query)]

    def get(self, user_id: int, conversation_id: str) -> Conversation:
        """One of the user's conversations with its turns."""
        with self._session() as session:
            row = self._row(session, user_id, conversation_id)
            turns = session.scalars(select(ConversationTurnRow).where(ConversationTurnRow.conversation_id == row.id)
                                    .order_by(ConversationTurnRow.number)).all()
            return Conversation(_info(row, len(turns)),
                                tuple(SavedTurn(t.question, t.answer, tuple(t.citations or ()), t.trace_id)
                                      for t in turns))

    def rename(self, user_id: int, conversation_id: str, title: str) -> ConversationInfo:
        """Give one of the user's conversations a new title (one line, masked)."""
        title = " ".join(title.split())
        if not title:
            raise ConversationError("대화 이름", "새 이름이 비어 있습니다", "이름을 적은 뒤 다시 눌러 주세요")
        with self._session() as session:
            row = self._row(session, user_id, conversation_id)
            row.title = mask(title)[:100]
            count = session.scalar(select(func.count()).select_from(ConversationTurnRow)
                                   .where(ConversationTurnRow.conversation_id == row.id)) or 0
            return _info(row, count)

    def delete(self, user_id: int, conversation_id: str) -> None:
        """Delete one of the user's conversations and its turns."""
        with self._session() as session:
            row = self._row(session, user_id, conversation_id)
            session.execute(delete(ConversationTurnRow).where(ConversationTurnRow.conversation_id == row.id))
            session.delete(row)

    @staticmethod
    def _row(session: Session, user_id: int, conversation_id: str) -> ConversationRow:
        row = session.scalar(select(ConversationRow).where(ConversationRow.id == str(conversation_id)[:32],
                                                           ConversationRow.user_id == user_id))
        if row is None:  # the same answer for another user's conversation as for none: ids reveal nothing
            raise ConversationError("대화", "그런 대화가 없습니다", "목록에서 다시 골라 주세요")
        return row


def _info(row: ConversationRow, turns: int) -> ConversationInfo:
    return ConversationInfo(row.id, row.bot_slug, row.title, _utc(row.created_at), _utc(row.updated_at), turns)


def _utc(moment: datetime) -> datetime:
    # SQLite keeps no time zone: what it gives back is the UTC written here.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
