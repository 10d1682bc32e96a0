"""The JSON API's routes for a signed-in user's own saved conversations: list them per bot, read, rename, delete.

The conversations are those the chat page saved (`builder.conversations`); a client can resume one by sending its
turns as the `history` of `POST /api/bots/{slug}/ask`. Another user's conversation answers 404 exactly as an
unknown one, and an anonymous caller has none (401).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from builder.conversations import Conversation, ConversationError, ConversationInfo
from builder.registry import User
from ui.api import Text
from ui.sessions import current_user
from ui.wiring import Services

SIGN_IN = "로그인한 사용자만 저장된 대화가 있습니다"
NOT_FOUND = "그런 대화가 없습니다"


class Rename(BaseModel):
    """PATCH /api/conversations/{id}: the conversation's new title."""

    title: Text = Field(min_length=1, max_length=100)


def _signed_in(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail=SIGN_IN)
    return user


def _info(info: ConversationInfo) -> dict[str, Any]:
    return {"id": info.id, "bot": info.bot_slug, "title": info.title, "created_at": info.created_at.isoformat(),
            "updated_at": info.updated_at.isoformat(), "turns": info.turns}


def _conversation(found: Conversation) -> dict[str, Any]:
    return _info(found.info) | {"turns": [{"question": t.question, "answer": t.answer,
                                           "citations": list(t.citations), "trace_id": t.trace_id}
                                          for t in found.turns]}


def add_conversation_routes(app: FastAPI, services: Services) -> None:
    """Add the routes of one's own saved conversations to the API."""
    store = services.registry.conversations

    @app.get("/api/bots/{slug}/conversations", summary="이 봇과 나눈 내 대화 목록")
    def conversations(slug: str, request: Request) -> list[dict[str, Any]]:
        # One's own data, whether the bot is still there or still shared with one: no bot is looked up, so the
        # answer says nothing about which bots exist ([] for any other slug).
        return [_info(info) for info in store.listed(_signed_in(request).id, slug)]

    @app.get("/api/conversations/{conversation_id}", summary="내 대화 하나 (질문, 답, 출처)")
    def conversation(conversation_id: str, request: Request) -> dict[str, Any]:
        user = _signed_in(request)
        try:
            return _conversation(store.get(user.id, conversation_id))
        except ConversationError as exc:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from exc

    @app.patch("/api/conversations/{conversation_id}", summary="내 대화 이름 바꾸기")
    def rename(conversation_id: str, body: Rename, request: Request) -> dict[str, Any]:
        user = _signed_in(request)
        try:
            store.get(user.id, conversation_id)
        except ConversationError as exc:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from exc
        try:
            return _info(store.rename(user.id, conversation_id, body.title))
        except ConversationError as exc:
            raise HTTPException(status_code=422, detail=exc.message) from exc

    @app.delete("/api/conversations/{conversation_id}", summary="내 대화 지우기")
    def delete(conversation_id: str, request: Request) -> dict[str, bool]:
        user = _signed_in(request)
        try:
            store.delete(user.id, conversation_id)
        except ConversationError as exc:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from exc
        return {"deleted": True}
