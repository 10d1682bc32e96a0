"""The bot form's fields and what to fix in each after a failed save, shown under the field itself.

A failed save leaves every field as the lead typed it: the form is redrawn from the registry only after a save
that worked. The message for a field travels as the field's `info` text (with the `field-error` class, which the
builder's style colours); every redraw of the form clears it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
from pydantic import ValidationError

from builder.definitions import BotDefinition
from builder.registry import RegistryError

# The form's fields in the order of the handlers' arguments and outputs.
FIELDS = ("slug", "name", "description", "icon", "instructions", "departments", "documents", "starters", "refusal",
          "contact", "visibility", "kind", "model", "temperature")
# Fields inside the accordions that start closed: a message there opens its accordion.
NARROWING = {"documents"}
MORE = {"refusal", "contact", "visibility", "kind", "model", "temperature"}
_NAMES = {"slug": "주소 이름(slug)", "name": "이름", "description": "설명", "icon": "아이콘", "instructions": "지침",
          "departments": "부서", "documents": "문서", "starters": "대화 시작 문구", "refusal": "거절 문구",
          "contact": "문의처", "visibility": "공개 범위", "kind": "생성기", "model": "모델", "temperature": "온도"}
LABELS = _NAMES  # the Korean label of each field (what changed since the published version names them too)
_GENERATOR = {"kind": "kind", "profile": "kind", "model": "model", "temperature": "temperature"}


def _field(loc: tuple[int | str, ...]) -> str:
    """The form field a validation error's location points at ("" when it is the whole definition)."""
    if not loc:
        return ""
    if loc[0] == "generator":
        return _GENERATOR.get(str(loc[1]) if len(loc) > 1 else "kind", "kind")
    return str(loc[0]) if str(loc[0]) in _NAMES else ""


def _message(error: Any, field: str) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "too_short" and field == "departments":
        return "하나 이상 골라 주세요"
    if error["type"] == "too_long" and field == "starters":
        return "6개까지 넣을 수 있습니다"
    return message


def field_errors(exc: ValidationError) -> dict[str, str]:
    """What to fix, by form field, in a definition that did not validate ("" for the definition as a whole)."""
    found: dict[str, str] = {}
    for error in exc.errors():
        field = _field(tuple(error["loc"]))
        found[field] = "; ".join(filter(None, [found.get(field, ""), _message(error, field)]))
    return found


def summary(errors: dict[str, str], verb: str = "저장하지") -> str:
    """The status line of a failed save, naming each field with what to fix."""
    parts = [f"{_NAMES[field]}: {message}" if field else message for field, message in errors.items()]
    return f"⚠️ {verb} 못했습니다 — " + "; ".join(parts)


def invalid(exc: ValidationError) -> str:
    """A definition's validation errors in one Korean line (the status line)."""
    return summary(field_errors(exc))


def registry_errors(exc: RegistryError, definition: BotDefinition) -> dict[str, str]:
    """The field a registry refusal is about: a slug taken, a department unknown; else the status line only."""
    if exc.file == definition.slug:
        return {"slug": exc.problem + (f" — {exc.action}" if exc.action else "")}
    if exc.file in definition.departments:
        return {"departments": f"'{exc.file}': {exc.problem}"}
    return {"": exc.message}


def gone_message(gone: list[str]) -> str:
    """What a bot's narrowing lost: documents it named that are no longer indexed (failed or deleted)."""
    names = ", ".join(f"'{document.partition('/')[2]}'" for document in gone)
    return (f"{names}: 색인에 실패했거나 지워져 고른 문서에서 뺐습니다 — 저장하면 나머지 문서로 좁히고, 남은 문서가 "
            "없으면 부서의 모든 문서로 답합니다")


def marked(errors: dict[str, str]) -> list[Any]:
    """Updates that leave every field's value as typed and put each field's message under it (or clear it)."""
    return [_marking(errors.get(field, "")) for field in FIELDS]


def redrawn(values: list[Any]) -> list[Any]:
    """Updates that redraw the form with new values and no messages."""
    updates = []
    for value in values:
        update = dict(value) if isinstance(value, dict) else {"__type__": "update", "value": value}
        updates.append(update | _marking(""))
    return updates


def _marking(message: str) -> dict[str, Any]:
    return gr.update(info=f"⚠️ {message}" if message else "", elem_classes=["field-error"] if message else [])


def opened(errors: dict[str, str]) -> list[Any]:
    """The two closed accordions of the form, opened when a message of theirs is inside."""
    return [gr.update(open=True) if NARROWING & errors.keys() else gr.update(),
            gr.update(open=True) if MORE & errors.keys() else gr.update()]
