"""Errors raised by connectors; each names the file, what was wrong and what to do."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class: a problem with one input file or with the index, said in Korean for the user."""

    def __init__(self, file: str, problem: str, action: str = "") -> None:
        self.file = file
        self.problem = problem
        self.action = action
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: file, what was wrong, what to do."""
        text = f"{self.file}: {self.problem}"
        return f"{text} — {self.action}" if self.action else text


class ParseError(ConnectorError):
    """The file could not be read as the format it claims (corrupt, truncated, unsupported)."""


class EncryptedDocumentError(ParseError):
    """The file is password-protected or distribution-locked."""


class UnsupportedFormatError(ParseError):
    """The file's content is not a format we read."""


class FileTooLargeError(ParseError):
    """The file, or its unpacked content, is over the configured limit."""


class UnsafeFileNameError(ParseError):
    """The file name has path traversal or control characters."""


class KnowledgeIndexError(ConnectorError):
    """The knowledge index cannot serve a request as asked (e.g. embedder mismatch)."""


class LawPortalError(ConnectorError):
    """The law portal (or its mirror) could not be asked, or answered with an error page instead of a law."""


class LawNotFoundError(ConnectorError):
    """The law portal has no law of that name or ID (fatal for that law only)."""
