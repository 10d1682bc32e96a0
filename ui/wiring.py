"""The composition root: settings in, the objects that do the work out. Nothing else builds backends."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bots.answer import Answerer, BotProfile
from bots.generators import ExtractiveGenerator, Generator, OpenAIChatGenerator, load_prompt
from bots.retrieval import HybridRetriever
from bots.trace import TraceLog
from builder.definitions import BotDefinition
from builder.registry import Registry, default_url
from connectors.chunking import ChunkOptions
from connectors.embedders import Embedder, make_embedder
from connectors.errors import ConnectorError, KnowledgeIndexError
from connectors.index.store import DepartmentIndex, KnowledgeStore
from connectors.ingest import IngestOptions, Reindexer
from connectors.korean import KoreanTokenizer
from connectors.laws.check import StatuteCheck, check_statutes, local_statutes
from connectors.laws.client import LawPortal
from connectors.laws.listing import read_law_list
from connectors.parsers import ParseLimits
from connectors.parsers.ocr import OcrOptions
from connectors.workers import LOG_FORMAT
from ui.settings import Settings

_MB = 1024 * 1024


class SettingsError(ConnectorError):
    """Settings that cannot work together (said in Korean, with what to set)."""


@dataclass
class Services:
    """What the CLI and the web app use."""

    settings: Settings
    store: KnowledgeStore
    embedder: Embedder
    tokenizer: KoreanTokenizer
    reindexer: Reindexer
    traces: TraceLog
    registry: Registry
    _indexes: dict[str, DepartmentIndex] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def index(self, department: str) -> DepartmentIndex:
        """The department's index, opened once per process: every answerer shares its keyword index in memory."""
        with self._lock:
            if department not in self._indexes:
                self._indexes[department] = self.store.open(department, self.embedder)
            return self._indexes[department]


def build_embedder(settings: Settings) -> Embedder:
    """The configured embedder."""
    cfg = settings.embedder
    options: dict[str, Any]
    if cfg.kind == "hashing":
        options = {"dimension": cfg.dimension}
    elif cfg.kind == "openai":
        options = {"base_url": cfg.base_url, "model": cfg.model, "api_key": cfg.api_key.get_secret_value(),
                   "batch_size": cfg.batch_size, "timeout": cfg.timeout, "max_retries": cfg.max_retries,
                   "dimension": cfg.dimension if "dimension" in cfg.model_fields_set else None,
                   "query_prefix": cfg.query_prefix, "passage_prefix": cfg.passage_prefix}
    else:
        options = {"model_path": cfg.model_path, "batch_size": cfg.batch_size, "query_prefix": cfg.query_prefix,
                   "passage_prefix": cfg.passage_prefix}
    return make_embedder(cfg.kind, **options)


def chroma_client(settings: Settings) -> Any:
    """Chroma with telemetry off (nothing leaves the machine): in the data folder, or the configured server."""
    import chromadb
    import httpx

    cfg = settings.chroma
    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if not cfg.url:
        return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)
    address = urlsplit(cfg.url)
    if address.scheme not in ("http", "https") or not address.hostname:
        raise SettingsError("DEPTBOT_CHROMA__URL", f"Chroma 서버 주소가 올바르지 않습니다: {cfg.url!r}",
                            "http://호스트:포트 형식으로 적어 주세요")
    headers = dict(cfg.headers)
    if cfg.token.get_secret_value():
        headers["Authorization"] = f"Bearer {cfg.token.get_secret_value()}"
    port = address.port or (443 if address.scheme == "https" else 8000)
    ssl = address.scheme == "https"
    try:
        admin = chromadb.AdminClient(chromadb.Settings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host=address.hostname,
            chroma_server_http_port=port, chroma_server_ssl_enabled=ssl, chroma_server_headers=headers or None,
            anonymized_telemetry=False))
        try:
            admin.get_database(cfg.database, tenant=cfg.tenant)
        except Exception:  # the server says "not found" in several ways across versions
            admin.create_database(cfg.database, tenant=cfg.tenant)
        return chromadb.HttpClient(host=address.hostname, port=port, ssl=ssl, headers=headers or None,
                                   settings=chroma_settings, tenant=cfg.tenant, database=cfg.database)
    except (ConnectionError, OSError, ValueError, httpx.HTTPError) as exc:
        raise KnowledgeIndexError(cfg.url, f"Chroma 서버에 연결할 수 없습니다 ({exc})",
                                  "서버가 켜져 있는지, 주소와 인증 설정(DEPTBOT_CHROMA__*)이 맞는지 확인해 "
                                  "주세요") from exc


def build_services(settings: Settings, *, isolate_parsing: bool = True) -> Services:
    """Build every backend from settings (`isolate_parsing=False` only for the test suite: see IngestOptions)."""
    logging.basicConfig(level=settings.log_level, format=LOG_FORMAT)
    for noisy in ("bm25s", "chromadb", "httpx", "alembic"):  # libraries that log at DEBUG on their own
        logging.getLogger(noisy).setLevel(max(logging.getLevelName(settings.log_level), logging.WARNING))
    private_folder(settings.data_dir)
    store = KnowledgeStore(client=chroma_client(settings), cache_dir=settings.data_dir / "cache")
    embedder = build_embedder(settings)
    tokenizer = KoreanTokenizer()
    options = IngestOptions(
        chunking=ChunkOptions(**settings.chunking.model_dump()),
        limits=ParseLimits(max_file_bytes=settings.max_file_mb * _MB,
                           max_unpacked_bytes=settings.max_unpacked_mb * _MB,
                           ocr=OcrOptions(**settings.ocr.model_dump())),
        workers=settings.workers,
        write_batch=settings.write_batch,
        parse_timeout=settings.parse_timeout_seconds,
        parse_memory_mb=settings.parse_memory_mb,
        isolate=isolate_parsing,
    )
    reindexer = Reindexer(store=store, embedder=embedder, tokenizer=tokenizer, options=options)
    registry = Registry.open(settings.database_url or default_url(settings.data_dir))
    return Services(settings=settings, store=store, embedder=embedder, tokenizer=tokenizer, reindexer=reindexer,
                    traces=TraceLog(settings.data_dir / "traces"), registry=registry)


def private_folder(data_dir: Path) -> None:
    """The data folder holds the registry (password hashes, sessions), traces (questions) and the documents: only
    its owner may enter it, and what this process creates is its owner's alone (0700 folders, 0600 files)."""
    os.umask(os.umask(0o077) | 0o077)  # tighten the process's mask, never loosen it
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if data_dir.stat().st_mode & 0o077:
        data_dir.chmod(0o700)


def build_generator(settings: Settings, tokenizer: KoreanTokenizer, *, kind: str = "", model: str = "",
                    temperature: float | None = None, profile: str = "") -> Generator:
    """The configured generator; a bot may choose the kind, a server profile, the model and the temperature."""
    cfg = settings.llm
    if (kind or cfg.generator) == "extractive":
        return ExtractiveGenerator(tokenizer)
    base_url, default_model, api_key = cfg.base_url, cfg.model, cfg.api_key.get_secret_value()
    if profile:
        chosen = settings.llm_profiles.get(profile)
        if chosen is None:
            raise SettingsError(f"DEPTBOT_LLM_PROFILES[{profile}]", "봇이 고른 생성 서버 설정이 없습니다",
                                "관리자에게 DEPTBOT_LLM_PROFILES를 확인해 달라고 하거나 봇의 생성기를 바꾸세요")
        base_url, default_model, api_key = chosen.base_url, chosen.model, chosen.api_key.get_secret_value()
    if not base_url or not (model or default_model):
        raise SettingsError("DEPTBOT_LLM__BASE_URL, DEPTBOT_LLM__MODEL",
                            "openai 생성기에는 서버 주소와 모델 이름이 필요합니다",
                            "두 설정을 채우거나 DEPTBOT_LLM__GENERATOR=extractive 로 두세요")
    return OpenAIChatGenerator(
        base_url=base_url, model=model or default_model, api_key=api_key,
        temperature=cfg.temperature if temperature is None else temperature, max_tokens=cfg.max_tokens,
        timeout=cfg.timeout, max_retries=cfg.max_retries, stream=cfg.stream,
        prompt=load_prompt(cfg.prompt_file) if cfg.prompt_file else None)


def bot_answerer(services: Services, definition: BotDefinition, *, keep_traces: bool = True) -> Answerer:
    """The answerer of a registry bot: its departments, instructions, refusal, contact and generator (the
    builder's preview keeps no traces, so trying a bot does not count in its insights)."""
    contact = definition.contact or ", ".join(
        filter(None, (services.registry.department(name).contact for name in definition.departments)))
    profile = BotProfile(departments=definition.departments, documents=definition.documents,
                         name=definition.name, slug=definition.slug,
                         instructions=definition.instructions, refusal_text=definition.refusal, contact=contact)
    choice = definition.generator
    generator = build_generator(services.settings, services.tokenizer, kind=choice.kind, model=choice.model,
                                temperature=choice.temperature, profile=choice.profile)
    return build_answerer(services, profile, generator=generator, keep_traces=keep_traces)


def build_answerer(services: Services, profile: BotProfile, *, generator: Generator | None = None,
                   retrieve_k: int = 0, keep_traces: bool = True, dense_weight: float | None = None) -> Answerer:
    """An answerer over the profile's departments (each must be indexed)."""
    settings = services.settings
    indexes = [services.index(name) for name in profile.departments]
    others = [services.index(name) for name in services.store.departments() if name not in profile.departments]
    if dense_weight is None:
        dense_weight = settings.answer.dense_weight
    if dense_weight < 0:
        # The offline hashing embedder matches spelling, not meaning; on the Korean DEV questions it lowers
        # hit@5 when fused with BM25, so it only breaks ties there. A real embedding model gets a full vote.
        dense_weight = 0.0 if services.embedder.id.startswith("hashing") else 1.0
    retriever = HybridRetriever(indexes=indexes, tokenizer=services.tokenizer, dense_weight=dense_weight,
                                reference=others, documents=profile.documents)
    retriever.warm()
    extractive = ExtractiveGenerator(services.tokenizer)
    return Answerer(retriever=retriever, generator=generator or build_generator(settings, services.tokenizer),
                    fallback=extractive, profile=profile, k=settings.answer.top_k, retrieve_k=retrieve_k,
                    min_evidence=settings.answer.min_evidence,
                    min_evidence_unknown=settings.answer.min_evidence_unknown,
                    min_coverage=settings.answer.min_coverage,
                    traces=services.traces if keep_traces else None)


def department_folder(services: Services, department: str) -> Path:
    """Where a department's documents are: the folder it was last indexed from, else `documents/SLUG` in the
    data folder (never a folder the web server serves as static files)."""
    if services.store.exists(department):
        folder = services.store.open(department, services.embedder).folder
        if folder:
            return Path(folder)
    return services.settings.data_dir / "documents" / services.registry.department(department).slug


def build_law_portal(settings: Settings) -> LawPortal:
    """The law portal client of the settings; without an address, a Korean error saying how to set one."""
    cfg = settings.law
    if not cfg.url.strip():
        raise SettingsError("DEPTBOT_LAW__URL", "법령 포털 주소가 설정되지 않아 아무것도 바꾸지 않았습니다",
                            "국가법령정보센터 Open API를 쓰려면 DEPTBOT_LAW__URL=https://www.law.go.kr/DRF 와 "
                            "DEPTBOT_LAW__KEY=<open.law.go.kr에서 받은 OC 값>을, 시청 내부 미러를 쓰려면 그 주소를 "
                            "DEPTBOT_LAW__URL에 환경 변수나 deptbot.env로 설정해 주세요")
    address = urlsplit(cfg.url.strip())
    if address.scheme not in ("http", "https") or not address.hostname:
        raise SettingsError("DEPTBOT_LAW__URL", f"법령 포털 주소가 올바르지 않습니다: {cfg.url!r}",
                            "http(s)://호스트/경로 형식으로 적어 주세요 (예: https://www.law.go.kr/DRF)")
    return LawPortal(base_url=cfg.url.strip(), key=cfg.key.get_secret_value(), timeout=cfg.timeout)


def law_checks(services: Services, portal: LawPortal, department: str, today: date) -> list[StatuteCheck]:
    """`deptbot laws check` and the builder's check for one department: its listed laws and its indexed statutes
    compared with the portal; nothing is changed."""
    statutes = (local_statutes(services.store.open(department, services.embedder))
                if services.store.exists(department) else [])
    return check_statutes(portal, read_law_list(department_folder(services, department)), statutes, today)
