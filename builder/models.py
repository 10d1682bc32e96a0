"""The registry's tables (SQLAlchemy 2 ORM): departments, users and their departments, bots and their versions.

The schema is changed only by migrations (`builder/migrations/`); these classes describe the current head.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def now() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the registry."""


memberships = Table(
    "memberships", Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class DepartmentRow(Base):
    """A department: Korean name (also its knowledge index's name), ASCII slug, who to contact."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class UserRow(Base):
    """A person who signs in: administrator, department lead or staff."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # "admin" | "lead" | "staff"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    departments: Mapped[list[DepartmentRow]] = relationship(secondary=memberships, lazy="selectin")


class BotRow(Base):
    """A bot: its slug, publication state and share-link key; its definition lives in its versions."""

    __tablename__ = "bots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # The version staff get while published (None while unpublished): saves move current_version (the draft) only.
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    link_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    versions: Mapped[list[BotVersionRow]] = relationship(back_populates="bot", order_by="BotVersionRow.number",
                                                         cascade="all, delete-orphan")


class FeedbackRow(Base):
    """A reader's thumbs up (+1) or down (-1) on one answer, with an optional comment; one per answer."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_slug: Mapped[str] = mapped_column(String(63), index=True)
    trace_id: Mapped[str] = mapped_column(String(64), unique=True)
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    username: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class ApiTokenRow(Base):
    """A token another system uses to call the API as a user; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    user: Mapped[UserRow] = relationship()


class BotVersionRow(Base):
    """One saved state of a bot's definition (every save is a version)."""

    __tablename__ = "bot_versions"
    __table_args__ = (UniqueConstraint("bot_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("bots.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, object]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    bot: Mapped[BotRow] = relationship(back_populates="versions")


class AuditRow(Base):
    """One administrative action (or a failed sign-in): who, what, to what, from where."""

    __tablename__ = "audit_log"
    # Failed sign-ins are counted per user name (0004) and per address (0005) on every sign-in.
    __table_args__ = (Index("ix_audit_action_target_at", "action", "target", "at"),
                      Index("ix_audit_address_at", "address", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    actor: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class SessionRow(Base):
    """A signed-in browser: only the SHA-256 of its token is kept, so a copy of the database signs no one in."""

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    address: Mapped[str] = mapped_column(String(64), default="")
    agent: Mapped[str] = mapped_column(String(200), default="")  # the browser's User-Agent, truncated


class ConversationRow(Base):
    """A signed-in user's conversation with a bot: its title and when it was started and last added to.

    The id is random (not a counter), and every look-up also names the owner: an id alone opens nothing.
    """

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_bot_updated", "user_id", "bot_slug", "updated_at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    bot_slug: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class ConversationTurnRow(Base):
    """One question of a saved conversation with its answer and the answer's citations (texts masked)."""

    __tablename__ = "conversation_turns"
    __table_args__ = (UniqueConstraint("conversation_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text, default="")
    citations: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    trace_id: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
