"""How much each question term weighs, over all the departments a bot searches (used by bots.retrieval)."""

from __future__ import annotations

import math

from connectors.index.keyword import KeywordIndex


def shared_idf(tokens: list[str], keywords: list[KeywordIndex]) -> dict[str, float]:
    """Each question term's inverse document frequency over all the bot's departments together."""
    total = sum(ki.size for ki in keywords)
    shared: dict[str, float] = {}
    for term in dict.fromkeys(tokens):
        df = sum(ki.document_frequency(term) for ki in keywords)
        shared[term] = math.log(1 + (total - df + 0.5) / (df + 0.5))
    return shared


def rescale(shared: dict[str, float], ki: KeywordIndex) -> dict[str, float]:
    """Multipliers that turn one department's BM25 term scores into scores on the shared IDF scale.

    Each department keeps its own BM25 index (re-indexing one must not touch the others), so its IDF counts only
    its own chunks: a term rare in a small department but common overall would otherwise rank that department's
    chunks too high when several departments are searched together.
    """
    weights: dict[str, float] = {}
    for term, idf in shared.items():
        own = ki.idf(term)
        weights[term] = idf / own if own > 0 else 0.0
    return weights


def term_weights(tokens: list[str], keywords: list[KeywordIndex]) -> dict[str, float]:
    """Inverse document frequency of each distinct question term over the bot's departments.

    A term no document has gets the highest weight: a question about something the documents never mention
    ("주차요금", "통근버스") is then weakly covered, which is what refusal looks for.
    """
    total = sum(ki.size for ki in keywords) or 1
    weights: dict[str, float] = {}
    for term in dict.fromkeys(tokens):
        df = sum(ki.document_frequency(term) for ki in keywords)
        weights[term] = math.log((total + 1) / (df + 0.5))
    return weights
