"""`deptbot bots list|show|publish|restore` with drafts: which version is live, and publishing moves it."""

from __future__ import annotations

import json
from pathlib import Path

from builder.definitions import BotDefinition
from builder.registry import Registry, default_url
from tests.ui.test_cli_registry import run


def test_the_command_line_says_which_version_is_live_and_publishes_the_draft(tmp_path: Path) -> None:
    data = tmp_path / "d"
    run(data, "departments", "add", "총무과", "--slug", "general-affairs")
    source = tmp_path / "bot.json"
    source.write_text(json.dumps({"slug": "dangjik", "name": "당직 도우미", "departments": ["총무과"]},
                                 ensure_ascii=False), encoding="utf-8")
    run(data, "bots", "create", "--from", str(source))
    assert "버전 1" in run(data, "bots", "publish", "dangjik").stdout
    registry = Registry.open(default_url(data))  # a lead saves in the builder
    registry.save_bot(BotDefinition(slug="dangjik", name="당직 안내", departments=["총무과"]), "kim")
    registry.close()
    assert "게시 중 v1 (초안 v2)" in run(data, "bots", "list").stdout
    shown = json.loads(run(data, "bots", "show", "dangjik").stdout)
    assert (shown["name"], shown["version"], shown["published_version"], shown["unpublished_changes"]) == (
        "당직 안내", 2, 1, True)
    assert [(v["number"], v["live"]) for v in shown["versions"]] == [(1, True), (2, False)]
    published = run(data, "bots", "publish", "dangjik")
    assert published.exit_code == 0 and "dangjik 버전 2" in published.stdout
    assert "게시 중 v2\t" in run(data, "bots", "list").stdout
    restored = run(data, "bots", "restore", "dangjik", "1")
    assert "초안입니다: 직원에게는 버전 2가 계속 보입니다" in restored.stdout
    audit = json.loads(run(data, "audit", "--action", "bot_published", "--json").stdout)
    assert [entry["detail"] for entry in audit] == ["version 2", "version 1"]
