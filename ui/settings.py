"""All settings, in one pydantic-settings class (`DEPTBOT_` prefix, nested with `__`); read only by ui."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SETTINGS_FILE = "deptbot.env"


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "deptbot"


def settings_file() -> Path | None:
    """The settings file every command reads under its environment variables: `DEPTBOT_SETTINGS_FILE` when set
    (empty: none), else the first `deptbot.env` in the current folder or a folder above it. `scripts/run.sh` writes
    one in the project folder naming the data folder it serves, so that a command run from there (in another
    terminal, without the variables the script exported) works on the same registry and indexes as the server."""
    named = os.environ.get("DEPTBOT_SETTINGS_FILE")
    if named is not None:
        return Path(named).expanduser() if named.strip() else None
    here = Path.cwd()
    for folder in (here, *here.parents):
        candidate = folder / SETTINGS_FILE
        if candidate.is_file():
            return candidate
    return None


def data_dir_origin(explicit: bool = False) -> str:
    """Where the data folder setting came from, for the line every command prints."""
    if explicit:
        return "--data-dir"
    if os.environ.get("DEPTBOT_DATA_DIR"):
        return "환경 변수 DEPTBOT_DATA_DIR"
    found = settings_file()
    if found is not None and found.is_file() and dotenv_values(found).get("DEPTBOT_DATA_DIR"):
        return f"설정 파일 {found}"
    return "기본값"


class EmbedderSettings(BaseModel):
    """Which embedder turns chunks and questions into vectors."""

    kind: Literal["hashing", "openai", "sentence-transformers"] = Field(
        "hashing", description="hashing: offline character n-gram hashing (default, no download); openai: any "
        "OpenAI-compatible /v1/embeddings server; sentence-transformers: a local model folder")
    dimension: int = Field(768, description="Vector length of the hashing embedder (optional for openai: "
                           "learned from the server when unset)", ge=16)
    base_url: str = Field("", description="openai: the server's base URL, e.g. http://127.0.0.1:8000/v1")
    model: str = Field("", description="openai: the embedding model name")
    api_key: SecretStr = Field(SecretStr("not-needed"), description="openai: the API key, if the server wants one")
    batch_size: int = Field(64, description="openai and sentence-transformers: texts per request", ge=1)
    timeout: float = Field(60.0, description="openai: seconds before a request is abandoned", gt=0)
    max_retries: int = Field(3, description="openai: retries of a failed request", ge=0)
    model_path: str = Field("", description="sentence-transformers: path of the local model folder")
    query_prefix: str = Field("", description="openai and sentence-transformers: text put before every question, "
                              "as the model was trained ('query: ' for e5 models; bge models take an instruction)")
    passage_prefix: str = Field("", description="openai and sentence-transformers: text put before every indexed "
                                "chunk ('passage: ' for e5 models; nothing for bge)")


class ChunkingSettings(BaseModel):
    """Chunk sizes, in characters."""

    max_chars: int = Field(1000, description="Largest manual chunk", ge=200)
    overlap_chars: int = Field(150, description="Text repeated between consecutive manual chunks", ge=0)
    article_split_chars: int = Field(1500, description="A statute article longer than this is split by 항", ge=300)


class OcrSettings(BaseModel):
    """OCR of PDF pages without a text layer (scans), with Tesseract and its Korean model."""

    enabled: bool = Field(True, description="Read pages without a text layer by OCR when Tesseract is installed "
                          "(false: such pages are only reported)")
    timeout: float = Field(120.0, description="Longest time one page may take to render and to recognise, in seconds; "
                           "a page over it is reported unread", gt=0)
    languages: str = Field("kor", description="Tesseract language models, joined by '+' (e.g. kor+eng)",
                           pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")
    dpi: int = Field(300, description="Resolution pages are rendered at for OCR", ge=100, le=600)
    psm: int = Field(6, description="Tesseract page segmentation mode (6: the page as one block of text; 4: one "
                     "column of lines; 3: automatic layout)", ge=3, le=13)
    tesseract_cmd: str = Field("tesseract", description="The tesseract program: a name on PATH or a full path")
    max_pages: int = Field(300, description="Pages, or pictures in a DOCX/HWPX/HWP, read by OCR per file (each adds "
                           "its own time limit to the file's); further ones are reported unread", ge=1)
    min_confidence: float = Field(40.0, description="Words Tesseract is less sure of than this (0-100) are dropped: a "
                                  "chart's marks, dot leaders read as syllables (0 keeps every word; chosen on half "
                                  "the scanned evaluation pages, bench/ocr_pages.py)", ge=0, le=100)


class AnswerSettings(BaseModel):
    """How answers are made from what retrieval finds."""

    top_k: int = Field(5, description="Sources given to the generator (an answer cites at most these)", ge=1, le=20)
    min_evidence: float = Field(1.4, description="Refuse when the best source holds less of the question's rare "
                                "vocabulary than this (summed inverse document frequencies of the question words "
                                "it contains, in units of the rarest possible word; calibrated on the DEV questions)",
                                ge=0)
    min_evidence_unknown: float = Field(2.0, description="The same threshold for a question with words that no "
                                        "document has (e.g. a facility the documents never mention)", ge=0)
    min_coverage: float = Field(0.75, description="A question below the evidence thresholds is still answered, with "
                                "a caution to check the sources, when one of the best sources holds at least this "
                                "share of its words (by weight): a short question has little evidence even when a "
                                "source holds all of it (2: always refuse below the thresholds)", ge=0)
    refusal_text: str = Field("", description="The refusal sentence; '{contact}' becomes the departments to ask "
                              "(empty: the built-in Korean sentence)")
    dense_weight: float = Field(-1.0, description="Weight of the vector search in the fusion (-1: automatic, 0 for "
                                "the offline hashing embedder and 1 for a real embedding model; measure a real "
                                "model's with `deptbot eval --dense-weights`)", ge=-1)


class LLMSettings(BaseModel):
    """Which generator writes the answers."""

    generator: Literal["extractive", "openai"] = Field(
        "extractive", description="extractive: quotes the answering sentences, offline (default); openai: any "
        "OpenAI-compatible chat server, falling back to extractive when it fails")
    base_url: str = Field("", description="openai: the server's base URL, e.g. http://127.0.0.1:8000/v1")
    model: str = Field("", description="openai: the chat model name")
    api_key: SecretStr = Field(SecretStr("not-needed"), description="openai: the API key, if the server wants one")
    temperature: float = Field(0.1, description="openai: sampling temperature", ge=0, le=2)
    max_tokens: int = Field(1024, description="openai: longest answer, in tokens", ge=16)
    timeout: float = Field(30.0, description="openai: seconds before a request is abandoned (then extractive)", gt=0)
    max_retries: int = Field(1, description="openai: retries of a failed request before falling back", ge=0)
    stream: bool = Field(True, description="openai: stream the answer as it is written")
    prompt_file: Path | None = Field(None, description="openai: a prompt file with '### system' and '### user' "
                                     "sections (default: bots/prompts/answer.txt)")


class ChromaSettings(BaseModel):
    """Where the vectors are: Chroma in the data folder (default), or a Chroma server shared by several servers."""

    url: str = Field("", description="A Chroma server, e.g. http://10.0.0.7:8000 (empty: Chroma in the data folder)")
    token: SecretStr = Field(SecretStr(""), description="Sent as 'Authorization: Bearer …' when set (for a server "
                             "behind an authenticating proxy)")
    headers: dict[str, str] = Field(default_factory=dict, description="Other headers for every request to the "
                                    "server, as JSON, e.g. {\"X-Chroma-Token\": \"…\"}")
    tenant: str = Field("default_tenant", description="The server's tenant")
    database: str = Field("default_database", description="The server's database (made when missing): several "
                          "deptbot installations can share one Chroma server, each in its own database")


class LawSettings(BaseModel):
    """The national law information center's Open API (or a mirror of it inside the city network), from which
    `deptbot laws sync` keeps each department's listed statutes current."""

    url: str = Field("", description="Base URL of the law portal's Open API service, e.g. https://www.law.go.kr/DRF, "
                     "or of a mirror inside the city network that answers the same (empty: law sync is off)")
    key: SecretStr = Field(SecretStr(""), description="The Open API user key (the OC value of open.law.go.kr); "
                           "sent as OC on every request when set")
    timeout: float = Field(20.0, description="Seconds before a request to the law portal is abandoned", gt=0)


class LLMProfile(BaseModel):
    """One OpenAI-compatible chat server an administrator offers to bots (timeouts, retries, streaming and the
    prompt come from the llm settings)."""

    label: str = Field("", description="What leads see in the builder, e.g. '사내 vLLM (Qwen)'")
    base_url: str = Field(description="The server's base URL, e.g. http://10.0.0.5:8000/v1")
    model: str = Field(description="The default chat model of this server (a bot may name another)")
    api_key: SecretStr = Field(SecretStr("not-needed"), description="The API key, if the server wants one")


class Settings(BaseSettings):
    """deptbot settings; environment variables DEPTBOT_<NAME> (nested: DEPTBOT_EMBEDDER__KIND)."""

    model_config = SettingsConfigDict(env_prefix="DEPTBOT_", env_nested_delimiter="__", extra="ignore")

    def __init__(self, **values: Any) -> None:
        # Environment variables win over the settings file, and arguments over both.
        values.setdefault("_env_file", settings_file())
        super().__init__(**values)

    data_dir: Path = Field(default_factory=_default_data_dir,
                           description="Folder for the vector store, keyword caches and registry")
    database_url: str = Field("", description="The registry's database as a SQLAlchemy URL, e.g. "
                              "postgresql+psycopg://deptbot@db/deptbot (empty: registry.db in the data folder)")
    https: bool = Field(False, description="Served over HTTPS (behind a proxy): session cookies get the Secure flag")
    sso_header: str = Field("", description="A header a trusted reverse proxy sets to the signed-in user's name "
                            "(single sign-on, e.g. X-Remote-User); deptbot must then be reachable only through "
                            "that proxy. Empty: off")
    trusted_proxies: str = Field("127.0.0.1", description="Addresses of reverse proxies whose X-Forwarded-For "
                                 "and X-Forwarded-Proto are believed (comma-separated, '*' for any)")
    allowed_origins: str = Field("", description="Other origins (scheme://host[:port], comma-separated) whose "
                                 "pages may send requests that change something, besides the one the request's Host "
                                 "header names; only behind a reverse proxy that does not pass the Host header on")
    session_hours: float = Field(8, description="Longest a sign-in lasts, in hours, however active", gt=0)
    session_idle_minutes: float = Field(60, description="A sign-in ends after this many minutes without a request",
                                        gt=0)
    sign_in_attempts: int = Field(5, description="Failed sign-ins of one user name from one address allowed within "
                                  "sign_in_lock_minutes; more from that address are refused until the window passes "
                                  "(the same name from other addresses is not locked)", ge=1)
    sign_in_attempts_address: int = Field(30, description="Failed sign-ins of any user names from one address "
                                          "allowed within sign_in_lock_minutes", ge=1)
    sign_in_lock_minutes: float = Field(15, description="The window of the sign-in limits, in minutes", gt=0)
    max_body_kb: int = Field(4096, description="Largest request body other than a file upload, in KB", ge=64)
    max_upload_mb: int = Field(1024, description="Largest file upload request (all the files of one upload "
                               "together), in MB", ge=1)
    ask_per_minute: int = Field(20, description="Questions one user (or, signed out, one address) may ask per "
                                "minute, per server", ge=1)
    ask_per_minute_address: int = Field(120, description="Questions one network address may ask per minute, per "
                                        "server (all its users together)", ge=1)
    max_file_mb: int = Field(200, description="Largest file accepted for indexing, in MB", ge=1)
    max_unpacked_mb: int = Field(1024, description="Largest unpacked size of a DOCX or HWPX (zip bomb guard), in MB",
                                 ge=1)
    workers: int = Field(0, description="Processes that parse files in parallel (0: one per core)", ge=0)
    parse_timeout_seconds: float = Field(300, description="Longest time one file may take to parse, in seconds; a "
                                         "file over it fails with a clear error", gt=0)
    parse_memory_mb: int = Field(2048, description="Most memory one file's parsing may take, in MB, over what a "
                                 "parsing process needs anyway", ge=64)
    write_batch: int = Field(2000, description="Chunks written to the vector store per request while indexing",
                             ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("WARNING", description="Logging level")
    chroma: ChromaSettings = Field(default_factory=ChromaSettings, description="The vector store")
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings, description="The embedder")
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings, description="Chunk sizes")
    ocr: OcrSettings = Field(default_factory=OcrSettings, description="OCR of scanned PDF pages")
    answer: AnswerSettings = Field(default_factory=AnswerSettings, description="Answering")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="The generator")
    law: LawSettings = Field(default_factory=LawSettings, description="The law portal (statutes kept current)")
    llm_profiles: dict[str, LLMProfile] = Field(
        default_factory=dict, description="OpenAI-compatible chat servers bots may choose, by name, as JSON: "
        '{"vllm": {"label": "사내 vLLM", "base_url": "http://10.0.0.5:8000/v1", "model": "qwen2.5-7b"}}')
