"""The `deptbot` command line: re-indexing by script, inspecting what was made, asking, evaluating."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import click

from bots.answer import BotProfile
from builder.privacy import printable
from builder.registry import RegistryError
from connectors.errors import ConnectorError
from connectors.ingest import Progress, ReindexReport
from ui.cli_laws import laws
from ui.cli_registry import bots, departments, seed, serve, tokens, users
from ui.cli_support import audit, emit, with_services
from ui.wiring import Services


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """deptbot: 부서 문서로 답하는 챗봇 — 색인, 문서 확인, 질문, 평가."""


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
    jobs = _jobs(services, path, department, root)
    with services.reindexer, _progress(enabled=not as_json and sys.stderr.isatty()) as progress:
        done = services.reindexer.reindex_many([(folder, name) for folder, name, _ in jobs], dry_run=dry_run,
                                               rebuild=rebuild, progress=progress)
    reports = [(prefix, report) for (_, _, prefix), report in zip(jobs, done, strict=True)]
    for (folder, name, _), report in zip(jobs, done, strict=True):
        totals = report.totals()
        if not dry_run and (totals["indexed"] or totals["removed"] or totals["failed"]):
            changed = [f"{r.status}:{r.file}" for r in report.files if r.status != "unchanged"]
            audit(services, "documents_reindexed", name, f"{folder} " + " ".join(changed)[:3500])
    if as_json:
        emit(_report_json(reports, dry_run))
    else:
        for prefix, report in reports:
            _print_report(prefix, report)
    sys.exit(1 if any(r.failed for _, r in reports) else 0)


def _jobs(services: Services, path: Path | None, department: str | None,
          root: Path | None) -> list[tuple[Path, str, str]]:
    """(folder, department, prefix for file names) for each department to re-index."""
    if root is not None:
        if path is not None or department is not None:
            raise click.UsageError("--all ROOT 는 PATH, --department 와 함께 쓸 수 없습니다")
        folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not folders:
            raise click.UsageError(f"{root} 에 부서 폴더가 없습니다")
        return [(folder, _department_of(services, folder), f"{folder.name}/") for folder in folders]
    if path is None or not department:
        raise click.UsageError("PATH 와 --department NAME 을 주거나, --all ROOT 를 주세요")
    return [(path, department.strip(), "")]


def _department_of(services: Services, folder: Path) -> str:
    """The department a folder of `--all ROOT` holds the documents of.

    The builder files a department's uploads under `documents/SLUG` (the ASCII slug, not the Korean name), and
    the department's index remembers the folder it was last indexed from. So the folder belongs to the department
    whose index was last built from it, else to the registered department of that slug (or name), and only
    otherwise is it a new department named after the folder: restarting with `scripts/run.sh` must not index a
    department's uploads a second time under its slug.
    """
    resolved = folder.resolve()
    for name in services.store.departments():
        try:
            recorded = services.store.open(name, services.embedder).folder
        except ConnectorError:  # indexed with another embedder: its re-index says so with the --rebuild advice
            continue
        if recorded and Path(recorded).resolve() == resolved:
            return name
    try:
        return services.registry.department(folder.name).name
    except RegistryError:
        return folder.name


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


@main.command("audit")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000), help="보여 줄 줄 수")
@click.option("--action", default="", help="이 동작만 (예: bot_published, document_deleted, sign_in_failed)")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def audit_log(services: Services, limit: int, action: str, as_json: bool) -> None:
    """관리 기록을 새것부터 보여 줍니다: 누가 어느 봇을 바꾸고, 어떤 문서를 올리거나 지우고, 링크를 바꿨는지."""
    entries = services.registry.audit_log(limit, action)
    if as_json:
        emit([{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target,
               "detail": e.detail, "address": e.address} for e in entries])
        return
    for e in entries:
        # Names and file names are typed by users: control characters are shown escaped, never sent to the terminal.
        line = f"{e.at:%Y-%m-%d %H:%M:%S}  {e.actor or '-':<16} {e.action:<20} {e.target}  {e.detail}  {e.address}"
        click.echo(printable(line.rstrip()))


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
        emit(rows)
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
        emit(rows)
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
        emit(rows)
        return
    if not rows:
        click.echo("관련 문서를 찾지 못했습니다.")
    for n, row in enumerate(rows, 1):
        where = " ".join(str(x) for x in (f"「{row['title']}」", row["article"], row["paragraph"]) if x)
        click.echo(f"[{n}] {where} — {row['department']}/{row['file']} {_pages(row['page_start'], row['page_end'])}")
        click.echo("    " + row["text"][:200].replace("\n", " ") + "\n")

def _departments_profile(services: Services, departments: tuple[str, ...]) -> BotProfile:
    """A bot on the named departments (all indexed ones when none is named)."""
    known = services.store.departments()
    if not known:
        raise click.ClickException("색인된 부서가 없습니다 — 먼저 'deptbot reindex'로 문서를 색인해 주세요")
    unknown = [d for d in departments if d not in known]
    if unknown:
        raise click.UsageError(f"색인되지 않은 부서: {', '.join(unknown)} (색인된 부서: {', '.join(known)})")
    return BotProfile(departments=list(departments) or known)


@main.command()
@click.argument("question")
@click.option("--department", "departments", multiple=True, help="부서 이름 (여러 번 쓸 수 있음; 없으면 색인된 전체)")
@click.option("--bot", help="봇 slug ('deptbot bots list'; 그 봇의 부서, 지침, 거절 문구, 생성기로 답함)")
@click.option("--draft", is_flag=True, help="--bot 의 게시된 버전 대신 최신 저장본(초안)으로 답함")
@click.option("--json", "as_json", is_flag=True, help="답, 출처, 거절 여부, trace id를 JSON으로 출력")
@with_services
def ask(services: Services, question: str, departments: tuple[str, ...], bot: str | None, draft: bool,
        as_json: bool) -> None:
    """부서 문서에 근거해 질문에 답합니다 (출처 [n] 표시, 답이 문서에 없으면 그렇다고 말함)."""
    from bots.answer import Delta, Done, Notice, Reset
    from ui.wiring import bot_answerer, build_answerer

    if not question.strip():
        raise click.UsageError("질문이 비어 있습니다")
    if bot and departments:
        raise click.UsageError("--bot 과 --department 는 함께 쓸 수 없습니다")
    if bot:
        # What staff get (the published version), unless the operator asks for the draft.
        record = services.registry.bot(bot) if draft else services.registry.served(bot)
        answerer = bot_answerer(services, record.definition)
    else:
        answerer = build_answerer(services, _departments_profile(services, departments))
    if as_json:
        emit(answerer.ask(question).to_dict())
        return
    answer = None
    for event in answerer.stream(question):
        if isinstance(event, Delta):
            click.echo(event.text, nl=False)
        elif isinstance(event, Notice):
            click.secho(f"\n[알림] {event.text}", fg="yellow", err=True)
        elif isinstance(event, Reset):
            click.echo("\n---")
        elif isinstance(event, Done):
            answer = event.answer
    click.echo()
    if answer is not None and answer.citations:
        click.echo("\n출처:")
        for citation in answer.citations:
            click.echo(f"[{citation.n}] {citation.label}")
            if citation.columns:  # a table row: its table's column names first
                click.echo(f"    ({citation.columns})")
            click.echo(f"    “{citation.quote}”")


@main.command(name="eval")
@click.argument("questions_file", metavar="QUESTIONS.jsonl", type=click.Path(exists=True, dir_okay=False,
                                                                              path_type=Path))
@click.option("--corpus", "root", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="부서별 하위 폴더가 있는 문서 폴더 (필요하면 먼저 색인)")
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 100), help="검색해 채점할 단위 수")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="질문마다 한 줄씩 결과를 쓸 JSONL")
@click.option("--dense-weights", "dense_weights", metavar="W,W,...",
              help="벡터 검색 가중치 후보 (예: 0,0.5,1,2): 각각으로 모두 묻고 절반 A에서 고른 값을 B로 확인")
@click.option("--json", "as_json", is_flag=True, help="지표를 JSON으로 출력")
@with_services
def evaluate(services: Services, questions_file: Path, root: Path, k: int, output: Path | None,
             dense_weights: str | None, as_json: bool) -> None:
    """평가 질문을 모두 묻고 hit@1/5/10, MRR, 인용 정확도, 거절 정밀도·재현율, 지연 시간을 보고합니다."""
    from bots.evaluation import ask_all, load_questions, output_line, report
    from ui.wiring import build_answerer

    weights = _weights(dense_weights) if dense_weights else []

    questions = load_questions(questions_file)
    jobs = _jobs(services, None, None, root)
    interactive = not as_json and sys.stderr.isatty()
    with services.reindexer, _progress(enabled=interactive) as progress:
        done = services.reindexer.reindex_many([(folder, name) for folder, name, _ in jobs], progress=progress)
    failed = sum(r.totals()["failed"] for r in done)
    if failed:
        click.echo(f"주의: 파일 {failed}개를 색인하지 못했습니다 ('deptbot documents list'로 확인)", err=True)
    profile = BotProfile(departments=[name for _, name, _ in jobs])
    if weights:
        sweep = _sweep(services, profile, questions, weights, k, interactive)
        if as_json:
            emit(sweep)
        else:
            _print_sweep(sweep)
        return
    answerer = build_answerer(services, profile, retrieve_k=k, keep_traces=False)
    with _progress(enabled=interactive) as bar:
        results = ask_all(answerer, questions, None if bar is None else lambda d, t: bar(d, t, "질문"))
    if output is not None:
        with output.open("w", encoding="utf-8") as out:
            for result in results:
                out.write(json.dumps(output_line(result), ensure_ascii=False) + "\n")
    metrics = report(results)
    if as_json:
        emit(metrics)
    else:
        _print_metrics(metrics)


def _weights(text: str) -> list[float]:
    try:
        weights = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"숫자를 쉼표로 구분해 주세요 (예: 0,0.5,1,2): {text}",
                                 param_hint="--dense-weights") from None
    if not weights or any(w < 0 for w in weights):
        raise click.BadParameter("0 이상의 숫자가 하나 이상 필요합니다", param_hint="--dense-weights")
    return sorted(set(weights))


def _sweep(services: Services, profile: BotProfile, questions: Sequence[Any], weights: list[float], k: int,
           interactive: bool) -> dict[str, Any]:
    """Every question asked with each dense weight; the weight is chosen on half A alone (the smallest of the
    best, so that a model that adds nothing gets no vote) and half B says whether it holds."""
    from bots.evaluation import ask_all, report
    from ui.wiring import build_answerer

    rows: list[dict[str, Any]] = []
    for weight in weights:
        answerer = build_answerer(services, profile, retrieve_k=k, keep_traces=False, dense_weight=weight)
        with _progress(enabled=interactive) as bar:
            progress = None if bar is None else partial(_labelled, bar, f"가중치 {weight:g}")
            results = ask_all(answerer, questions, progress)
        metrics = report(results)
        rows.append({"weight": weight, "overall": metrics["overall"],
                     **{name: part["overall"] for name, part in metrics["halves"].items()}})
    best = max(rows, key=lambda row: (row["A"].get("hit@5", 0.0), -row["weight"]))
    return {"embedder": services.embedder.id, "weights": rows, "chosen": best["weight"],
            "setting": f"DEPTBOT_ANSWER__DENSE_WEIGHT={best['weight']:g}"}


def _labelled(bar: Progress, label: str, done: int, total: int) -> None:
    bar(done, total, label)


def _print_sweep(sweep: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"벡터 검색 가중치별 결과 ({sweep['embedder']})")
    for column in ("가중치", "A hit@5", "B hit@5", "A mrr", "B mrr", "전체 hit@5"):
        table.add_column(column, justify="right")
    for row in sweep["weights"]:
        table.add_row(f"{row['weight']:g}", *(_cell(row[half].get(key)) for key in ("hit@5", "mrr")
                                              for half in ("A", "B")), _cell(row["overall"].get("hit@5")))
    Console(width=max(Console().width, 100)).print(table)
    click.echo(f"절반 A에서 고른 가중치: {sweep['chosen']:g} — 설정: {sweep['setting']} (절반 B의 값으로 확인하세요)")


def _print_metrics(metrics: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 150))  # wide enough for every column when piped to a file
    table = Table(title="평가 결과")
    columns = ["questions", "hit@1", "hit@5", "hit@10", "mrr", "citation_accuracy", "citation_page_accuracy",
               "false_refusals", "latency_p50_ms", "latency_p95_ms"]
    table.add_column("dataset")
    for column in columns:
        table.add_column(column, justify="right")
    rows = [*metrics["datasets"].items(), ("전체", metrics["overall"])]
    for name, values in rows:
        table.add_row(name, *(_cell(values.get(column)) for column in columns))
    console.print(table)
    _print_refusal("거절", metrics["refusal"])
    halves = metrics.get("halves") or {}
    if not halves:
        return
    # Constants are chosen on half A and kept only when half B gains too: both are always shown side by side.
    table = Table(title="절반별 (A: 상수를 고르는 절반, B: 확인하는 절반)")
    table.add_column("dataset")
    shown = {"questions": "질문", "hit@5": "hit@5", "citation_accuracy": "인용", "citation_page_accuracy": "인용 쪽",
             "false_refusals": "잘못 거절"}
    for label in shown.values():
        for name in halves:
            table.add_column(f"{name} {label}", justify="right")
    names = sorted({d for part in halves.values() for d in part["datasets"]})
    for dataset in [*names, "전체"]:
        cells = []
        for column in shown:
            for part in halves.values():
                values = part["overall"] if dataset == "전체" else part["datasets"].get(dataset, {})
                cells.append(_cell(values.get(column)))
        table.add_row(dataset, *cells)
    console.print(table)
    for name, part in halves.items():
        _print_refusal(f"거절 ({name})", part["refusal"])


def _print_refusal(label: str, refusal: dict[str, Any]) -> None:
    click.echo(f"{label}: 정밀도 {refusal['precision']:.3f}, 재현율 {refusal['recall']:.3f} "
               f"(거절 {refusal['refused']}건, 답이 없는 질문 {refusal['unanswerable']}건)")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) and value <= 1 else str(value)


main.add_command(departments)
main.add_command(users)
main.add_command(bots)
main.add_command(serve)
main.add_command(tokens)
main.add_command(seed)
main.add_command(laws)

if __name__ == "__main__":
    main()
