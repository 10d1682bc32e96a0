"""`deptbot laws`: statutes kept current from the law portal's Open API (or a city mirror), and checked."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from connectors.errors import ConnectorError
from connectors.laws.check import FLAG_LABELS, StatuteCheck
from connectors.laws.listing import law_list_path, read_law_list
from connectors.laws.sync import SyncReport, sync_folder
from ui.cli_support import audit, emit, with_services
from ui.wiring import Services, build_law_portal, department_folder, law_checks

_STATUS = {"written": "받음", "unchanged": "변경 없음", "repealed": "폐지", "not_found": "찾지 못함"}


@click.group()
def laws() -> None:
    """법령 포털(국가법령정보센터 Open API 또는 시청 내부 미러)에서 부서 법령을 최신으로 유지합니다."""


@laws.command("sync")
@click.option("--department", required=True, help="부서 이름 (그 부서 폴더의 법령목록.txt에 적힌 법령을 받음)")
@click.option("--json", "as_json", is_flag=True, help="결과를 JSON으로 출력")
@with_services
def laws_sync(services: Services, department: str, as_json: bool) -> None:
    """목록의 법령을 법령 포털에서 받아 부서 폴더에 쓰고, 바뀐 법령만 다시 색인합니다."""
    portal = build_law_portal(services.settings)  # unset: says how to configure it, before anything is touched
    folder = department_folder(services, department.strip())
    if not read_law_list(folder):
        raise ConnectorError(str(law_list_path(folder)), "법령 목록이 없거나 비어 있습니다",
                             "한 줄에 법령명(예: 개인정보 보호법)이나 법령ID를 하나씩 적어 주세요")
    with services.reindexer:
        report = sync_folder(portal, services.reindexer, folder, department.strip())
    written = [r.file for r in report.laws if r.status == "written"]
    if written:
        audit(services, "laws_synced", report.department, f"{folder} " + " ".join(written)[:3500])
    if as_json:
        emit(_sync_json(report))
    else:
        _print_sync(report)
    failed = any(r.status == "not_found" for r in report.laws) or (report.index is not None and report.index.failed)
    sys.exit(1 if failed else 0)


def _sync_json(report: SyncReport) -> dict[str, Any]:
    index = report.index
    return {"department": report.department, "laws": [r.to_json() for r in report.laws],
            "files": [r.to_json() for r in index.files] if index else [],
            "totals": index.totals() if index else {}}


def _print_sync(report: SyncReport) -> None:
    for result in report.laws:
        if result.status in ("written", "unchanged"):
            effective = f" [시행 {result.effective}]" if result.effective else ""
            click.echo(f"{_STATUS[result.status]}  {result.name} → {result.file}{effective}")
        else:
            click.echo(f"{_STATUS[result.status]}  {result.message}", err=True)
    if report.index is not None:
        for file in report.index.files:
            if file.status == "failed":
                click.echo(f"실패  {file.file}: {file.error.split(': ', 1)[-1]}", err=True)
        totals = report.index.totals()
        click.echo(f"{report.department}: 색인 {totals['indexed']}, 변경 없음 {totals['unchanged']}, "
                   f"삭제 {totals['removed']}, 실패 {totals['failed']} — 청크 {totals['chunks']}개")


@laws.command("check")
@click.option("--department", "departments", multiple=True, help="부서 이름 (여러 번 쓸 수 있음; 없으면 색인된 전체)")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def laws_check(services: Services, departments: tuple[str, ...], as_json: bool) -> None:
    """부서마다 새 버전이 나왔거나, 폐지되었거나, 아직 시행 전인 법령을 보여 줍니다 (아무것도 바꾸지 않음)."""
    portal = build_law_portal(services.settings)
    names = [d.strip() for d in departments] or services.store.departments()
    rows: list[tuple[str, list[StatuteCheck]]] = []
    for name in names:
        rows.append((name, law_checks(services, portal, name, date.today())))
    if as_json:
        emit([{"department": name, "statutes": [c.to_json() for c in checks]} for name, checks in rows])
        return
    for name, checks in rows:
        _print_check(name, checks)


def _print_check(department: str, checks: list[StatuteCheck]) -> None:
    flagged = [c for c in checks if c.flags]
    click.echo(f"{department}: 법령 {len(checks)}건, 확인 필요 {len(flagged)}건")
    for check in flagged:
        where = f" ({check.file})" if check.file else ""
        versions = []
        if check.local_effective:
            versions.append(f"폴더 시행 {check.local_effective}")
        if check.portal_effective:
            versions.append(f"포털 시행 {check.portal_effective}")
        detail = f" — {', '.join(versions)}" if versions else ""
        click.echo(f"  {check.law}{where}: {', '.join(FLAG_LABELS[f] for f in check.flags)}{detail}")
