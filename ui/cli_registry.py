"""`deptbot departments|users|bots`: the registry from the command line (for scripts and the first administrator)."""

from __future__ import annotations

import dataclasses
import json
import secrets
import shlex
import sys
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from builder.definitions import BotDefinition
from builder.registry import ROLES, BotRecord, RegistryError
from connectors.particles import josa
from ui.cli_support import audit, emit, with_services
from ui.wiring import Services


@click.group()
def departments() -> None:
    """부서를 등록하고 봅니다."""


@departments.command("add")
@click.argument("name")
@click.option("--slug", required=True, help="영문 소문자 slug (예: civil-passport)")
@click.option("--contact", default="", help="답을 못 할 때 안내할 연락처 (예: 민원여권과 02-120-1234)")
@with_services
def departments_add(services: Services, name: str, slug: str, contact: str) -> None:
    """부서를 등록합니다 (NAME은 색인할 때 쓴 부서 이름과 같아야 합니다)."""
    department = services.registry.add_department(name, slug, contact)
    audit(services, "department_added", name, slug)
    click.echo(f"부서 등록: {department.name} ({department.slug})")


@departments.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def departments_list(services: Services, as_json: bool) -> None:
    """등록된 부서 목록."""
    rows = [dataclasses.asdict(d) for d in services.registry.departments()]
    indexed = set(services.store.departments())
    for row in rows:
        row["indexed"] = row["name"] in indexed
    if as_json:
        emit(rows)
        return
    for row in rows:
        mark = "" if row["indexed"] else "  (아직 색인 없음)"
        click.echo(f"{row['name']}\t{row['slug']}\t{row['contact']}{mark}")


@click.group()
def users() -> None:
    """사용자(관리자, 부서장, 직원)를 관리합니다."""


def _password(from_stdin: bool) -> str:
    """The new password: one line of standard input (for scripts), or asked twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("비밀번호", hide_input=True, confirmation_prompt="비밀번호 확인"))


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin(전체), lead(부서장), staff(직원)")
@click.option("--department", "department_names", multiple=True, help="소속 부서 (여러 번 쓸 수 있음)")
@click.option("--display-name", default="", help="화면에 보일 이름")
@click.option("--password-stdin", is_flag=True, help="비밀번호를 표준 입력 한 줄로 받음 (스크립트용)")
@with_services
def users_add(services: Services, username: str, role: str, department_names: tuple[str, ...], display_name: str,
              password_stdin: bool) -> None:
    """사용자를 만듭니다. 비밀번호는 화면에 보이지 않게 두 번 묻습니다 (기본 비밀번호는 없습니다)."""
    user = services.registry.add_user(username, _password(password_stdin), role, department_names, display_name)
    audit(services, "user_added", username, f"{role} {','.join(department_names)}")
    where = f" — {', '.join(user.departments)}" if user.departments else ""
    click.echo(f"사용자 생성: {user.username} ({user.role}){where}")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def users_list(services: Services, as_json: bool) -> None:
    """사용자 목록 (비밀번호는 보이지 않습니다)."""
    rows = [dataclasses.asdict(u) for u in services.registry.users()]
    if as_json:
        emit(rows)
        return
    if not rows:
        click.echo("사용자가 없습니다. 'deptbot users add 이름 --role admin'으로 첫 관리자를 만드세요.")
    for row in rows:
        state = "" if row["active"] else "  (사용 중지)"
        click.echo(f"{row['username']}\t{row['role']}\t{', '.join(row['departments'])}{state}")


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="비밀번호를 표준 입력 한 줄로 받음 (스크립트용)")
@with_services
def users_passwd(services: Services, username: str, password_stdin: bool) -> None:
    """사용자의 비밀번호를 바꿉니다."""
    services.registry.user(username)  # a clear error before asking for a password
    services.registry.set_password(username, _password(password_stdin))  # also signs the user out everywhere
    audit(services, "password_changed", username)
    click.echo(f"비밀번호 변경: {username} (열려 있던 로그인은 모두 끝났습니다)")


@users.command("signout")
@click.argument("username")
@with_services
def users_signout(services: Services, username: str) -> None:
    """사용자의 모든 로그인을 끝냅니다 (모든 기기에서 로그아웃; 분실한 기기나 퇴직자에게)."""
    closed = services.registry.close_sessions(username)  # an unknown name is a clear error
    audit(services, "user_signed_out", username, f"sessions {closed}")
    click.echo(f"로그아웃: {username} (끝낸 로그인 {closed}개)")


@users.command("remove")
@click.argument("username")
@with_services
def users_remove(services: Services, username: str) -> None:
    """사용자를 지웁니다 (마지막 관리자는 지울 수 없습니다)."""
    services.registry.remove_user(username)
    audit(services, "user_removed", username)
    click.echo(f"사용자 삭제: {username}")


@click.group()
def bots() -> None:
    """봇을 만들고, 보고, 내보내고, 게시합니다."""


def _bot_json(record: BotRecord) -> dict[str, Any]:
    """A bot's draft (its newest version) with which version staff get (`published_version`, null when
    unpublished) and whether the draft has changes they do not get yet."""
    return {**record.definition.model_dump(mode="json"), "version": record.version, "published": record.published,
            "published_version": record.published_version, "unpublished_changes": record.has_unpublished_changes}


def _state(record: BotRecord) -> str:
    """Which version is live, in Korean: `게시 중 v3 (초안 v5)`, `게시 중 v3`, or `비공개`."""
    if not record.published:
        return "비공개"
    draft = f" (초안 v{record.draft_version})" if record.has_unpublished_changes else ""
    return f"게시 중 v{record.published_version}{draft}"


@bots.command("create")
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="봇 정의 JSON (slug, name, departments 등; 빠진 항목은 기본값)")
@click.option("--author", default="cli", help="버전 기록에 남길 작성자")
@with_services
def bots_create(services: Services, source: Path, author: str) -> None:
    """JSON 파일로 봇을 만듭니다 (게시되지 않은 상태, 버전 1)."""
    try:
        definition = BotDefinition.model_validate(json.loads(source.read_text(encoding="utf-8")))
    except (ValueError, ValidationError) as exc:
        raise RegistryError(str(source), f"봇 정의를 읽을 수 없습니다 ({exc})".replace("\n", " "),
                            "JSON 형식과 필드를 확인해 주세요") from exc
    record = services.registry.create_bot(definition, author)
    audit(services, "bot_created", record.slug, str(source))
    click.echo(f"봇 생성: {record.slug} ({record.definition.name}), 버전 {record.version}, 게시 안 됨")


@bots.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def bots_list(services: Services, as_json: bool) -> None:
    """봇 목록."""
    records = services.registry.bots()
    if as_json:
        emit([_bot_json(r) for r in records])
        return
    for record in records:
        click.echo(f"{record.slug}\t{record.definition.name}\t{_state(record)}\tv{record.version}\t"
                   f"{', '.join(record.definition.departments)}")


@bots.command("show")
@click.argument("slug")
@with_services
def bots_show(services: Services, slug: str) -> None:
    """봇 하나의 정의(최신 버전, 곧 초안)와 버전 기록 (게시 중인 버전은 live: true)."""
    record = services.registry.bot(slug)
    emit({**_bot_json(record), "versions": [{"number": v.number, "author": v.author, "note": v.note,
                                             "created_at": v.created_at.isoformat(),
                                             "live": record.published and v.number == record.published_version}
                                            for v in services.registry.versions(slug)]})


@bots.command("export")
@click.argument("slug")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="쓸 파일 (기본: 표준 출력)")
@with_services
def bots_export(services: Services, slug: str, output: Path | None) -> None:
    """봇 정의를 JSON으로 내보냅니다 ('bots create --from'으로 다시 들일 수 있음)."""
    text = json.dumps(services.registry.bot(slug).definition.model_dump(mode="json"), ensure_ascii=False, indent=2)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


@bots.command("publish")
@click.argument("slug")
@with_services
def bots_publish(services: Services, slug: str) -> None:
    """봇의 최신 버전(초안)을 게시합니다 (직원은 이제 이 버전을 봅니다; 공유 링크가 열립니다)."""
    record = services.registry.set_published(slug, True)
    audit(services, "bot_published", slug, f"version {record.version}")
    click.echo(f"게시: {record.slug} 버전 {record.version} — 공유 링크 /b/{record.slug}?key={record.link_key}")


@bots.command("unpublish")
@click.argument("slug")
@with_services
def bots_unpublish(services: Services, slug: str) -> None:
    """봇 게시를 멈춥니다 (공유 링크가 바로 닫힙니다)."""
    services.registry.set_published(slug, False)
    audit(services, "bot_unpublished", slug)
    click.echo(f"게시 중지: {slug}")


def _program() -> str:
    """How to run deptbot from another terminal: the virtual environment's program when that is where it runs (the
    README's run command does not put .venv/bin on the PATH)."""
    program = Path(sys.executable).with_name("deptbot")
    return shlex.quote(str(program)) if program.exists() else "deptbot"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="들을 주소 (외부에 열려면 0.0.0.0; 보통은 역방향 프록시 뒤)")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535), help="포트")
@with_services
def serve(services: Services, host: str, port: int) -> None:
    """웹 서버를 띄웁니다: 공유 봇 대화 페이지 (/b/SLUG), JSON API (/api/…), API 문서 (/docs)."""
    import uvicorn

    from ui.app import create_app

    setup_token = ""
    if not services.registry.has_admin():
        setup_token = secrets.token_urlsafe(24)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        click.echo("관리자가 아직 없습니다. 이 한 번만 쓰는 주소에서 첫 관리자를 만드세요 (기본 비밀번호는 없습니다):\n"
                   f"  http://{shown}:{port}/setup?token={setup_token}\n"
                   f"또는 다른 터미널에서: {_program()} users add 이름 --role admin --data-dir "
                   f"{shlex.quote(str(services.settings.data_dir))}", err=True)
    app = create_app(services, setup_token)
    click.echo(f"deptbot: http://{host}:{port}/  (봇 만들기: /builder/, API 문서: /docs)", err=True)
    # SIGTERM and SIGINT alike end uvicorn's loop; open streams get a few seconds to finish. The app's shutdown
    # stops the parse workers and deletes the uploads nobody used (ui/app.py).
    uvicorn.run(app, host=host, port=port, log_level=services.settings.log_level.lower(), access_log=False,
                proxy_headers=True, forwarded_allow_ips=services.settings.trusted_proxies, timeout_graceful_shutdown=5)


@bots.command("rotate")
@click.argument("slug")
@with_services
def bots_rotate(services: Services, slug: str) -> None:
    """공유 링크를 새로 만듭니다 (예전 링크는 바로 막힙니다)."""
    record = services.registry.rotate_link(slug)
    audit(services, "link_rotated", slug)
    click.echo(f"새 공유 링크: /b/{record.slug}?key={record.link_key}")


@bots.command("clone")
@click.argument("slug")
@click.argument("new_slug")
@click.option("--author", default="cli", help="버전 기록에 남길 작성자")
@with_services
def bots_clone(services: Services, slug: str, new_slug: str, author: str) -> None:
    """봇을 복제합니다 (새 slug, 게시되지 않은 상태)."""
    record = services.registry.clone(slug, new_slug, author)
    audit(services, "bot_cloned", record.slug, f"from {slug}")
    click.echo(f"복제: {slug} → {record.slug} ({record.definition.name})")


@bots.command("restore")
@click.argument("slug")
@click.argument("version", type=int)
@click.option("--author", default="cli", help="버전 기록에 남길 작성자")
@with_services
def bots_restore(services: Services, slug: str, version: int, author: str) -> None:
    """예전 버전을 초안으로 되살립니다 (새 버전으로 저장; 게시해야 직원에게 보입니다)."""
    record = services.registry.restore(slug, version, author)
    audit(services, "bot_restored", slug, f"version {version} -> {record.version}")
    click.echo(f"되돌림: {slug} 버전 {version} → 새 버전 {record.version}")
    if record.has_unpublished_changes:
        live = str(record.published_version)
        click.echo(f"초안입니다: 직원에게는 버전 {live}{josa(live, '이')} 계속 보입니다. "
                   f"'deptbot bots publish {slug}'로 게시하세요.")


@click.group()
def tokens() -> None:
    """다른 시스템이 JSON API를 쓸 때 쓰는 API 토큰을 발급하고 회수합니다."""


@tokens.command("issue")
@click.argument("username")
@click.option("--label", default="", help="토큰의 용도 (예: 민원 포털 연동)")
@with_services
def tokens_issue(services: Services, username: str, label: str) -> None:
    """USERNAME으로 행동하는 토큰을 발급합니다 (토큰은 이때 한 번만 보입니다)."""
    token = services.registry.issue_token(username, label)
    audit(services, "token_issued", username, label)
    click.echo(token)
    click.echo("이 토큰은 다시 볼 수 없습니다. 'Authorization: Bearer 토큰' 헤더로 보내세요.", err=True)


@tokens.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON으로 출력")
@with_services
def tokens_list(services: Services, as_json: bool) -> None:
    """발급한 토큰 목록 (토큰 값은 보이지 않습니다)."""
    rows = [{**dataclasses.asdict(t), "created_at": t.created_at.isoformat()} for t in services.registry.tokens()]
    if as_json:
        emit(rows)
        return
    for row in rows:
        state = "회수됨" if row["revoked"] else "사용 중"
        click.echo(f"{row['id']}\t{row['username']}\t{state}\t{row['label']}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_services
def tokens_revoke(services: Services, token_id: int) -> None:
    """토큰을 회수합니다 (바로 쓸 수 없게 됩니다)."""
    services.registry.revoke_token(token_id)
    audit(services, "token_revoked", str(token_id))
    click.echo(f"토큰 {token_id} 회수")


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_services
def seed(services: Services, folder: Path) -> None:
    """FOLDER의 부서(departments.json)와 봇(bots/*.json)을 등록합니다. 이미 있는 것은 그대로 둡니다.

    departments.json: [{"name", "slug", "contact"}]; bots/*.json: 내보내기 형식에 "published": true 를 더하면 게시.
    """
    known = {d.name for d in services.registry.departments()}
    listing = folder / "departments.json"
    rows = json.loads(listing.read_text(encoding="utf-8")) if listing.exists() else []
    for row in rows:
        if row["name"] not in known:
            services.registry.add_department(row["name"], row["slug"], row.get("contact", ""))
            audit(services, "department_added", row["name"], row["slug"])
            click.echo(f"부서 등록: {row['name']} ({row['slug']})")
    existing = {b.slug for b in services.registry.bots()}
    for source in sorted((folder / "bots").glob("*.json")):
        raw = json.loads(source.read_text(encoding="utf-8"))
        publish = bool(raw.pop("published", False))
        try:
            definition = BotDefinition.model_validate(raw)
        except ValidationError as exc:
            raise RegistryError(str(source), f"봇 정의를 읽을 수 없습니다 ({exc})".replace("\n", " "),
                                "JSON 형식과 필드를 확인해 주세요") from exc
        if definition.slug in existing:
            continue
        record = services.registry.create_bot(definition, "seed", note=f"{source.name}에서 만듦")
        audit(services, "bot_created", record.slug, str(source))
        if publish:
            record = services.registry.set_published(record.slug, True)
            audit(services, "bot_published", record.slug, f"version {record.version}")
        click.echo(f"봇 등록: {record.slug} ({record.definition.name})"
                   + (f", 공유 링크 /b/{record.slug}?key={record.link_key}" if publish else ""))
