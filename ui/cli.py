"""The `deptbot` command line: re-indexing by script, inspecting what was made, searching."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from connectors.errors import ConnectorError
from connectors.ingest import Progress, ReindexReport
from ui.settings import Settings
from ui.wiring import Services, build_services

F = TypeVar("F", bound=Callable[..., Any])


def _emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def with_services(func: F) -> F:
    """Adds --data-dir, builds the services, and turns our errors into a Korean message and exit code 1."""

    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="데이터 폴더 (기본: 설정 DEPTBOT_DATA_DIR)")
    @wraps(func)
    def wrapper(*args: Any, data_dir: Path | None, **kwargs: Any) -> Any:
        settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
        try:
            return func(build_services(settings), *args, **kwargs)
        except ConnectorError as exc:
            click.echo(f"오류: {exc.message}", err=True)
            sys.exit(1)
        except click.ClickException:
            raise
        except OSError as exc:
            click.echo(f"오류: {exc.filename or settings.data_dir}: {exc.strerror or exc} — 경로와 권한, 남은 디스크 "
                       "공간을 확인해 주세요", err=True)
            sys.exit(1)
        except Exception as exc:  # the edge: an unexpected failure is one line for the user, a traceback in the log
            logging.getLogger(__name__).exception("command failed")
            click.echo(f"오류: 예기치 못한 문제로 작업을 마치지 못했습니다 ({type(exc).__name__}: {exc}) — "
                       "DEPTBOT_LOG_LEVEL=DEBUG로 다시 실행해 자세한 내용을 확인해 주세요", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """deptbot: 부서 문서로 답하는 챗봇 — 색인, 문서 확인, 검색."""


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--department", help="부서 이름 (PATH 폴더의 문서를 이 부서로 색인)")
@click.option("--all", "root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="ROOT의 하위 폴더 하나하나를 부서로 보고 모두 색인")
@click.option("--dry-run", is_flag=True, help="바꾸지 않고 무엇이 바뀔지만 보여 줌")
@click.option("--json", "as_json", is_flag=True, help="결과를 JSON으로 출력")
@click.option("--rebuild", is_flag=True, help="부서 색인을 지우고 처음부터 다시 만듦 (임베더를 바꿨을 때)")
@with_services
def reindex(services: Services, path: Path | None, department: str | None, root: Path | None, dry_run: bool,
            as_json: bool, rebuild: bool) -> None:
    """폴더의 문서를 부서 색인에 반영합니다 (바뀐 파일만 다시 색인)."""
    jobs = _jobs(path, department, root)
    with services.reindexer, _progress(enabled=not as_json and sys.stderr.isatty()) as progress:
        done = services.reindexer.reindex_many([(folder, name) for folder, name, _ in jobs], dry_run=dry_run,
                                               rebuild=rebuild, progress=progress)
    reports = [(prefix, report) for (_, _, prefix), report in zip(jobs, done, strict=True)]
    if as_json:
        _emit(_report_json(reports, dry_run))
    else:
        for prefix, report in reports:
            _print_report(prefix, report)
    sys.exit(1 if any(r.failed for _, r in reports) else 0)


def _jobs(path: Path | None, department: str | None, root: Path | None) -> list[tuple[Path, str, str]]:
    """(folder, department, prefix for file names) for each department to re-index."""
    if root is not None:
        if path is not None or department is not None:
            raise click.UsageError("--all ROOT 는 PATH, --department 와 함께 쓸 수 없습니다")
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not folders:
            raise click.UsageError(f"{root} 에 부서 폴더가 없습니다")
        return [(folder, folder.name, f"{folder.name}/") for folder in folders]
    if path is None or not department:
        raise click.UsageError("PATH 와 --department NAME 을 주거나, --all ROOT 를 주세요")
    return [(path, department.strip(), "")]


def _report_json(reports: list[tuple[str, ReindexReport]], dry_run: bool) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    totals: dict[str, Any] = {}
    for prefix, report in reports:
        files.extend({**r.to_json(), "file": prefix + r.file, "department": report.department}
                     for r in report.files)
        for key, value in report.totals().items():
            totals[key] = totals.get(key, 0) + value
    totals["dry_run"] = dry_run
    return {"files": files, "totals": totals}


_LABELS = {"indexed": "색인", "unchanged": "변경 없음", "removed": "삭제", "failed": "실패"}


def _print_report(prefix: str, report: ReindexReport) -> None:
    for result in report.files:
        if result.status == "failed":
            click.echo(f"실패  {prefix}{result.file}: {result.error.split(': ', 1)[-1]}", err=True)
        elif result.status != "unchanged":
            extra = f" (청크 {result.chunks}개)" if result.status == "indexed" and not report.dry_run else ""
            click.echo(f"{_LABELS[result.status]}  {prefix}{result.file}{extra}")
        for warning in result.warnings:
            click.echo(f"  주의: {warning}", err=True)
    totals = report.totals()
    mode = " [시험 실행: 바꾼 것 없음]" if report.dry_run else ""
    click.echo(f"{report.department}: 색인 {totals['indexed']}, 변경 없음 {totals['unchanged']}, "
               f"삭제 {totals['removed']}, 실패 {totals['failed']} — 청크 {totals['chunks']}개{mode}")


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal; nothing when piped or with --json."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.fields[file]}"), transient=True) as bar:
        task = bar.add_task("색인", total=None, file="")

        def update(done: int, total: int, file: str) -> None:
            bar.update(task, completed=done, total=total, file=file[-40:])

        yield update


@main.group()
def documents() -> None:
    """부서 색인에 든 문서와 청크를 봅니다."""


@documents.command("list")
@click.option("--department", required=True, help="부서 이름")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def documents_list(services: Services, department: str, as_json: bool) -> None:
    """부서의 문서 목록 (형식, 쪽수, 청크 수, 색인 시각, 상태, 오류)."""
    index = services.store.open(department, services.embedder)
    rows = [{"file": r.file, "format": r.format, "pages": r.pages, "chunks": r.chunks,
             "indexed_at": r.indexed_at or None, "status": r.status, "error": r.error or None,
             "warnings": r.warnings} for r in sorted(index.file_records().values(), key=lambda r: r.file)]
    if as_json:
        _emit(rows)
        return
    for row in rows:
        state = "색인됨" if row["status"] == "indexed" else f"실패: {row['error']}"
        click.echo(f"{row['file']}\t{row['format']}\t{row['pages']}쪽\t청크 {row['chunks']}\t{state}")


@documents.command("chunks")
@click.argument("file")
@click.option("--department", required=True, help="부서 이름")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def documents_chunks(services: Services, file: str, department: str, as_json: bool) -> None:
    """한 문서의 청크 (FILE은 부서 폴더 기준 경로)."""
    index = services.store.open(department, services.embedder)
    chunks = index.chunks_of(file)
    if not chunks:
        raise ConnectorError(file, "이 부서 색인에 없는 파일입니다",
                             f"'deptbot documents list --department {department}'로 파일 이름을 확인해 주세요")
    rows: list[dict[str, Any]] = [{"id": c.id, "text": c.text, "title": c.title, "article": c.article or None,
             "paragraph": c.paragraph or None, "heading": c.heading or None, "page_start": c.page_start,
             "page_end": c.page_end} for c in chunks]
    if as_json:
        _emit(rows)
        return
    for row in rows:
        where = " ".join(str(x) for x in (row["article"], row["paragraph"], row["heading"]) if x)
        click.echo(f"── {where} {_pages(row['page_start'], row['page_end'])}\n{row['text']}\n")


def _pages(start: int | None, end: int | None) -> str:
    if not start:
        return ""
    return f"({start}쪽)" if start == end else f"({start}-{end}쪽)"


@main.command()
@click.argument("question")
@click.option("--department", "departments", multiple=True, help="부서 이름 (여러 번 쓸 수 있음; 없으면 전체)")
@click.option("-k", "k", default=5, show_default=True, help="보여 줄 결과 수")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def search(services: Services, question: str, departments: tuple[str, ...], k: int, as_json: bool) -> None:
    """질문과 관련된 조문·쪽을 찾습니다 (답변 생성 없이 근거만)."""
    from bots.retrieval import HybridRetriever

    names = list(departments) or services.store.departments()
    indexes = [services.store.open(name, services.embedder) for name in names]
    hits = HybridRetriever(indexes=indexes, tokenizer=services.tokenizer).retrieve(question, k)
    rows: list[dict[str, Any]] = [{"department": h.chunk.department, "file": h.chunk.file, "title": h.chunk.title,
             "article": h.chunk.article or None, "paragraph": h.chunk.paragraph or None,
             "heading": h.chunk.heading or None, "page_start": h.chunk.page_start, "page_end": h.chunk.page_end,
             "score": round(h.score, 5), "text": h.chunk.text} for h in hits]
    if as_json:
        _emit(rows)
        return
    if not rows:
        click.echo("관련 문서를 찾지 못했습니다.")
    for n, row in enumerate(rows, 1):
        where = " ".join(str(x) for x in (f"「{row['title']}」", row["article"], row["paragraph"]) if x)
        click.echo(f"[{n}] {where} — {row['department']}/{row['file']} {_pages(row['page_start'], row['page_end'])}")
        click.echo("    " + row["text"][:200].replace("\n", " ") + "\n")

if __name__ == "__main__":
    main()
