"""Answering: retrieval over a bot's knowledge, generators, citations, refusal and traces."""
