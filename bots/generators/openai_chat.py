"""Answers from any OpenAI-compatible chat server (OpenAI, vLLM, Ollama, llama.cpp server) via llama-index.

The prompt is a text file (`bots/prompts/answer.txt`, or one the operator names) with a `### system` and a
`### user` part. Retrieved text goes inside `<문서 번호="n">` tags and is declared data: instructions found in
documents are not to be obeyed, and anything in a document that looks like our tags is neutralised so that a
document cannot close its own tag and speak as the system.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bots.citations import Source, citation_of, render
from bots.generators.base import NO_ANSWER, GenerationRequest, GeneratorError, Turn

DEFAULT_PROMPT = Path(__file__).resolve().parents[1] / "prompts" / "answer.txt"
_SECTION = re.compile(r"^### (system|user)\s*$", re.MULTILINE)
_TAG_LOOKALIKE = re.compile(r"[<＜]\s*/?\s*문서[^>＞]*[>＞]")
_HISTORY_TURNS = 3  # earlier exchanges sent with a question
_HISTORY_CHARS = 600  # of each earlier answer


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """The system and user templates of a prompt file."""

    system: str
    user: str


def load_prompt(path: Path | None = None) -> PromptTemplate:
    """Read a prompt file with `### system` and `### user` sections."""
    path = path or DEFAULT_PROMPT
    text = path.read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    sections = {parts[i]: parts[i + 1].strip("\n") for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ValueError(f"{path}: a prompt file needs a '### system' and a '### user' section")
    return PromptTemplate(sections["system"], sections["user"])


def format_sources(sources: Sequence[Source]) -> str:
    """The sources as tagged data blocks, each with its number and citation line."""
    blocks = []
    for source in sources:
        label = render(citation_of(source, source.n)).replace('"', "'")
        text = _TAG_LOOKALIKE.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), source.text)
        blocks.append(f'<문서 번호="{source.n}" 출처="{label}">\n{text}\n</문서>')
    return "\n\n".join(blocks)


def build_messages(template: PromptTemplate, request: GenerationRequest) -> list[dict[str, str]]:
    """The chat messages for a request: system rules, earlier turns, then the sources and the question."""
    numbers = ", ".join(f"[{s.n}]" for s in request.sources) or "없음"
    instructions = f"\n봇 운영자의 추가 지침:\n{request.instructions.strip()}" if request.instructions.strip() else ""
    values = {"bot_name": request.bot_name or "부서 도우미", "numbers": numbers, "no_answer": NO_ANSWER,
              "instructions": instructions, "sources": format_sources(request.sources), "question": request.question}
    messages = [{"role": "system", "content": _fill(template.system, values)}]
    for turn in list(request.history)[-_HISTORY_TURNS:]:
        messages.append({"role": "user", "content": turn.question})
        if turn.answer:
            messages.append({"role": "assistant", "content": turn.answer[:_HISTORY_CHARS]})
    messages.append({"role": "user", "content": _fill(template.user, values)})
    return messages


def _fill(template: str, values: dict[str, str]) -> str:
    # Only our named fields are replaced: braces in documents or instructions are left alone.
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


class OpenAIChatGenerator:
    """Chat completions from an OpenAI-compatible server through llama-index's OpenAILike client."""

    name = "openai"

    def __init__(self, *, base_url: str, model: str, api_key: str = "not-needed", temperature: float = 0.1,
                 max_tokens: int = 1024, timeout: float = 60.0, max_retries: int = 2, stream: bool = True,
                 prompt: PromptTemplate | None = None) -> None:
        from llama_index.llms.openai_like import OpenAILike

        if not base_url or not model:
            raise ValueError("an OpenAI-compatible generator needs a base URL and a model name")
        self.model = model
        self.streaming = stream
        self.max_retries = max_retries
        self.template = prompt or load_prompt()
        # Retries are ours (see stream): given to OpenAILike, they would apply twice when not streaming (the
        # openai client's and llama-index's decorator, which also waits a second or more), and a retry after
        # part of a streamed answer was shown would repeat it.
        self.llm: Any = OpenAILike(model=model, api_base=base_url, api_key=api_key or "not-needed",
                                   temperature=temperature, max_tokens=max_tokens, timeout=timeout,
                                   max_retries=0, is_chat_model=True, context_window=32768)

    def stream(self, request: GenerationRequest) -> Iterator[str]:
        """The model's answer, streamed (or in one piece when streaming is off).

        A failure before the first piece (connection refused, timeout, 429, 5xx) is retried up to max_retries
        times; a failure after it, or one that retrying cannot mend, raises GeneratorError.
        """
        from llama_index.core.llms import ChatMessage

        request.prompt = build_messages(self.template, request)
        messages = [ChatMessage(role=m["role"], content=m["content"]) for m in request.prompt]
        for attempt in range(self.max_retries + 1):
            produced = False
            try:
                for piece in self._pieces(messages):
                    produced = True
                    yield piece
                if not produced:
                    raise GeneratorError("the server returned an empty answer")
                return
            except GeneratorError:
                raise
            except Exception as exc:  # any failure of the server or client means: fall back
                if produced or attempt == self.max_retries or not _retryable(exc):
                    raise GeneratorError(f"{type(exc).__name__}: {exc}") from exc
                time.sleep(min(2.0, 0.25 * 2**attempt))

    def _pieces(self, messages: list[Any]) -> Iterator[str]:
        if not self.streaming:
            text = self.llm.chat(messages).message.content or ""
            if text.strip():
                yield text
            return
        for piece in self.llm.stream_chat(messages):
            if piece.delta:
                yield piece.delta


def _retryable(exc: Exception) -> bool:
    """Whether another attempt may succeed: connection problems, timeouts, rate limits, server errors."""
    import openai

    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError, openai.RateLimitError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500

__all__ = ["OpenAIChatGenerator", "PromptTemplate", "Turn", "build_messages", "format_sources", "load_prompt"]
