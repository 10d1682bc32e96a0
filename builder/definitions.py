"""Bot definitions: pure data (what a bot is), with their JSON form.

Until the registry (SQLAlchemy, issue 4) exists, a bot can be given to the command line as a JSON file in the
data folder's `bots/` folder (`bots/<slug>.json`), in the same export format.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from connectors.errors import ConnectorError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class BotNotFoundError(ConnectorError):
    """No bot with that slug, or its definition cannot be read."""


class GeneratorChoice(BaseModel):
    """The generator a bot answers with; empty fields take the server's settings."""

    kind: Literal["", "extractive", "openai"] = ""
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
    starters: list[str] = Field(default_factory=list, max_length=6)
    refusal: str = ""
    contact: str = ""
    visibility: Literal["link", "staff", "department"] = "link"
    generator: GeneratorChoice = Field(default_factory=GeneratorChoice)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("slug는 영문 소문자, 숫자, '-'로 2-63자여야 합니다")
        return value


def load_bot(data_dir: Path, slug: str) -> BotDefinition:
    """The bot `slug` from `data_dir/bots/<slug>.json`; a clear Korean error when missing or invalid."""
    if not _SLUG.match(slug):
        raise BotNotFoundError(slug, "봇 slug 형식이 아닙니다", "영문 소문자, 숫자, '-'로 된 slug를 주세요")
    path = data_dir / "bots" / f"{slug}.json"
    try:
        return BotDefinition.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise BotNotFoundError(slug, "그런 봇이 없습니다", f"{path} 에 봇 정의(JSON)를 두거나 --department 로 "
                               "부서를 지정해 주세요") from exc
    except (OSError, ValueError, ValidationError) as exc:
        raise BotNotFoundError(str(path), f"봇 정의를 읽을 수 없습니다 ({exc})",
                               "JSON 형식과 필드를 확인해 주세요") from exc
