"""The generator protocol: retrieved sources and a question in, answer text with `[n]` markers out, streamed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bots.citations import Source

# What a generator answers when the sources do not answer the question; the answerer turns it into the bot's
# refusal text. Kept short and unlikely in real prose so that a model reproduces it exactly.
NO_ANSWER = "[근거 없음]"


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of the conversation."""

    question: str
    answer: str = ""
    # The laws and articles the answer cited, in order ((title, "제17조"); ("", "") for a manual source): a
    # follow-up is searched in them first (bots.query.contextualise).
    cited: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class GenerationRequest:
    """Everything a generator may use: the question, its conversation, the numbered sources, the bot's words."""

    question: str
    sources: Sequence[Source]
    history: Sequence[Turn] = ()
    instructions: str = ""
    bot_name: str = ""
    prompt: list[dict[str, str]] = field(default_factory=list)  # filled in by generators that send one


class GeneratorError(Exception):
    """The generator could not answer (server down, timeout, bad reply); the answerer falls back."""


class Generator(Protocol):
    """Answers from sources; yields the answer text in pieces."""

    name: str

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """Answer text in order; markers `[n]` refer to `request.sources[n-1]`. Raises GeneratorError."""
        ...
