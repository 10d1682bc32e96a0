"""Bot definitions: pure data (what a bot is), with their JSON form (the export and import format)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ICON_IMAGE = re.compile(r"^image:([0-9a-f]{16}\.(?:png|jpg|gif|webp))$")


class GeneratorChoice(BaseModel):
    """The generator a bot answers with; empty fields take the server's settings."""

    kind: Literal["", "extractive", "openai"] = ""
    profile: str = ""  # openai: the administrator's server profile by name ("": the server's default settings)
    model: str = ""
    temperature: float | None = Field(None, ge=0, le=2)


class BotDefinition(BaseModel):
    """A GPTs-style bot on one or several departments' documents."""

    slug: str
    name: str
    description: str = ""
    icon: str = "🤖"
    instructions: str = ""
    departments: list[str] = Field(min_length=1)
    documents: list[str] = Field(default_factory=list)  # "부서/파일" to narrow the knowledge to; empty: all
    starters: list[str] = Field(default_factory=list, max_length=6)
    refusal: str = ""
    contact: str = ""
    visibility: Literal["link", "staff", "department"] = "link"
    generator: GeneratorChoice = Field(default_factory=GeneratorChoice)

    @model_validator(mode="after")
    def _documents_of_departments(self) -> BotDefinition:
        for document in self.documents:
            department, _, file = document.partition("/")
            if department not in self.departments or not file:
                raise ValueError(f"문서 '{document}'는 고른 부서의 문서('부서/파일')가 아닙니다")
        return self

    @field_validator("icon")
    @classmethod
    def _icon(cls, value: str) -> str:
        value = value.strip() or "🤖"
        if value.startswith("image:") and not ICON_IMAGE.match(value):
            raise ValueError("아이콘 이미지는 봇 만들기에서 올린 이미지여야 합니다")
        if not value.startswith("image:") and len(value) > 8:
            raise ValueError("아이콘은 이모지 하나(8자 이하)나 올린 이미지여야 합니다")
        return value

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("slug는 영문 소문자, 숫자, '-'로 2-63자여야 합니다")
        return value
