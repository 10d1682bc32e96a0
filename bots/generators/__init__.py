"""Generators: the offline extractive answerer and any OpenAI-compatible chat server, behind one protocol."""

from bots.generators.base import NO_ANSWER, GenerationRequest, Generator, GeneratorError, Turn
from bots.generators.extractive import ExtractiveGenerator
from bots.generators.openai_chat import OpenAIChatGenerator, load_prompt

__all__ = ["NO_ANSWER", "ExtractiveGenerator", "GenerationRequest", "Generator", "GeneratorError",
           "OpenAIChatGenerator", "Turn", "load_prompt"]
