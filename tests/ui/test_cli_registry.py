"""`deptbot departments|users|bots`: the registry from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from tests.conftest import ROOT, SAMPLES
from ui.cli import main


def run(data: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, [*args, "--data-dir", str(data)], input=stdin)


def test_departments_users_and_passwords(tmp_path: Path) -> None:
    data = tmp_path / "d"
    assert "첫 관리자" in run(data, "users", "list").stdout
    added = run(data, "departments", "add", "총무과", "--slug", "general-affairs", "--contact", "내선 1135")
    assert added.exit_code == 0
    listed = json.loads(run(data, "departments", "list", "--json").stdout)
    assert listed[0]["name"] == "총무과" and listed[0]["indexed"] is False
    added = run(data, "users", "add", "root", "--role", "admin", "--password-stdin", stdin="correct-horse-battery\n")
    assert added.exit_code == 0, added.output
    prompted = run(data, "users", "add", "kim", "--role", "staff", "--department", "총무과",
                   stdin="another-long-secret\nanother-long-secret\n")
    assert prompted.exit_code == 0, prompted.output
    assert "another-long-secret" not in prompted.output  # never echoed
    users = json.loads(run(data, "users", "list", "--json").stdout)
    assert [(u["username"], u["role"], u["departments"]) for u in users] == [("kim", "staff", ["총무과"]),
                                                                            ("root", "admin", [])]
    assert all("password" not in json.dumps(u) for u in users)
    weak = run(data, "users", "passwd", "kim", "--password-stdin", stdin="short\n")
    assert weak.exit_code == 1 and "10자 이상" in weak.output
    assert run(data, "users", "passwd", "kim", "--password-stdin", stdin="a-new-long-secret\n").exit_code == 0
    last = run(data, "users", "remove", "root")
    assert last.exit_code == 1 and "마지막 관리자" in last.output
    assert run(data, "users", "remove", "kim").exit_code == 0


def test_bots_create_show_export_publish(tmp_path: Path) -> None:
    data = tmp_path / "d"
    run(data, "departments", "add", "총무과", "--slug", "general-affairs")
    source = tmp_path / "bot.json"
    source.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"],
                                  "starters": ["당직비는 얼마인가요?"]}, ensure_ascii=False), encoding="utf-8")
    created = run(data, "bots", "create", "--from", str(source))
    assert created.exit_code == 0 and "버전 1" in created.stdout
    assert run(data, "bots", "create", "--from", str(source)).exit_code == 1  # the slug is taken
    shown = json.loads(run(data, "bots", "show", "dangjik").stdout)
    assert shown["version"] == 1 and not shown["published"] and shown["versions"][0]["author"] == "cli"
    exported = tmp_path / "export.json"
    assert run(data, "bots", "export", "dangjik", "--output", str(exported)).exit_code == 0
    assert json.loads(exported.read_text(encoding="utf-8"))["starters"] == ["당직비는 얼마인가요?"]
    published = run(data, "bots", "publish", "dangjik")
    assert published.exit_code == 0 and "/b/dangjik?key=" in published.stdout
    assert json.loads(run(data, "bots", "list", "--json").stdout)[0]["published"] is True
    old_key = published.stdout.split("key=")[1].strip()
    rotated = run(data, "bots", "rotate", "dangjik")
    assert rotated.exit_code == 0 and "key=" in rotated.stdout and old_key not in rotated.stdout
    assert run(data, "bots", "unpublish", "dangjik").exit_code == 0
    assert run(data, "bots", "clone", "dangjik", "dangjik-copy").exit_code == 0
    copy = json.loads(run(data, "bots", "show", "dangjik-copy").stdout)
    assert copy["departments"] == ["총무과"] and copy["published"] is False and "사본" in copy["name"]
    restored = run(data, "bots", "restore", "dangjik-copy", "1")
    assert restored.exit_code == 0 and "새 버전 2" in restored.stdout
    assert run(data, "bots", "restore", "dangjik-copy", "9").exit_code == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"slug": "Bad Slug", "name": "x", "departments": ["총무과"]}', encoding="utf-8")
    refused = run(data, "bots", "create", "--from", str(bad))
    assert refused.exit_code == 1 and "slug" in refused.output
    missing = run(data, "bots", "show", "nobot")
    assert missing.exit_code == 1 and "그런 봇이 없습니다" in missing.output


def test_tokens_issue_list_revoke(tmp_path: Path) -> None:
    data = tmp_path / "d"
    run(data, "departments", "add", "총무과", "--slug", "general-affairs")
    run(data, "users", "add", "portal", "--role", "staff", "--department", "총무과", "--password-stdin",
        stdin="correct-horse-battery\n")
    issued = run(data, "tokens", "issue", "portal", "--label", "민원 포털")
    assert issued.exit_code == 0
    token = issued.stdout.strip().splitlines()[0]
    assert token.startswith("dbt_")
    listed = json.loads(run(data, "tokens", "list", "--json").stdout)
    assert [(t["id"], t["username"], t["revoked"]) for t in listed] == [(1, "portal", False)]
    assert token not in json.dumps(listed)
    assert run(data, "tokens", "revoke", "1").exit_code == 0
    assert json.loads(run(data, "tokens", "list", "--json").stdout)[0]["revoked"] is True


def test_seed_registers_the_demo_once_and_its_starters_are_answered(tmp_path: Path) -> None:
    """`deptbot seed demo` (what scripts/run.sh does): departments and bots once, every starter answered."""
    data = tmp_path / "data"
    assert run(data, "reindex", "--all", str(SAMPLES)).exit_code == 0
    first = run(data, "seed", str(ROOT / "demo")).stdout
    assert "부서 등록: 민원여권과" in first and "공유 링크 /b/passport?key=" in first
    assert run(data, "seed", str(ROOT / "demo")).stdout == ""  # nothing twice
    listed = json.loads(run(data, "bots", "list", "--json").stdout)
    assert {b["slug"] for b in listed} == {"passport", "city-admin"} and all(b["published"] for b in listed)
    for bot in listed:
        for starter in bot["starters"]:
            answer = json.loads(run(data, "ask", starter, "--bot", bot["slug"], "--json").stdout)
            assert not answer["refused"] and answer["citations"], (bot["slug"], starter)
