"""Restarting with the README's run command after leads uploaded documents, and commands run later from the
project folder.

`scripts/run.sh` itself is run (twice, on a temporary data folder and settings file, on a free port): between the
runs a lead's department, registered with an ASCII slug, gets a good and a broken upload in the folder the builder
files them in (`documents/SLUG`). The second start must serve, index nothing twice, and make no department named
after the slug. The settings file the run command writes makes a later command, run in the project folder without
the run command's environment, use the same data folder, and say which one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT, make_services, sample
from tests.support.server import deptbot, free_port, request, wait_until_served

LAW = """공익신고자 보호법
[시행 2025. 1. 1.] [법률 제20000호, 2024. 6. 1., 일부개정]

제1조(목적) 이 법은 공익을 침해하는 행위를 신고한 사람 등을 보호하고 지원함으로써 국민생활의 안정과 투명하고 깨끗한
사회풍토의 확립에 이바지함을 목적으로 한다.

제6조(공익신고) 누구든지 공익침해행위가 발생하였거나 발생할 우려가 있는 경우에는 그 공익침해행위를 하는 사람이나
기관·단체·기업 등의 대표자 또는 사용자, 해당 공익침해행위에 대한 지도·감독·규제 또는 조사 등의 권한을 가진
행정기관이나 감독기관, 수사기관, 위원회에 공익신고를 할 수 있다.
"""


def _environment(data: Path, settings: Path, port: int) -> dict[str, str]:
    return ({k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")}
            | {"DEPTBOT_DATA_DIR": str(data), "DEPTBOT_SETTINGS_FILE": str(settings), "DEPTBOT_PORT": str(port)})


@contextmanager
def run_command(data: Path, settings: Path) -> Iterator[tuple[str, list[str]]]:
    """`bash scripts/run.sh` until it serves (its base URL), stopped when the block ends; its output after."""
    port = free_port()
    process = subprocess.Popen(["bash", str(ROOT / "scripts" / "run.sh")], env=_environment(data, settings, port),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    output: list[str] = []
    try:
        wait_until_served(base, process, 300, "the run command did not serve")
        yield base, output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            output.append(process.communicate(timeout=30)[0])
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output.append(process.communicate(timeout=30)[0])


def test_restarting_after_uploads_serves_and_indexes_each_department_once(tmp_path: Path) -> None:
    data, settings = tmp_path / "data", tmp_path / "deptbot.env"
    with run_command(data, settings) as (base, started):
        assert request(f"{base}/")[0] == 200
    # The banner's command for another terminal names the data folder this server uses, and the program to run.
    assert f"{ROOT / '.venv' / 'bin' / 'deptbot'} users add 이름 --role admin --data-dir {data}" in "".join(started)
    assert f"DEPTBOT_DATA_DIR='{data}'" in settings.read_text(encoding="utf-8")

    # A department registered with an ASCII slug; the builder files its uploads in documents/SLUG and indexes
    # that folder as the department (ui.wiring.department_folder, connectors.library.add_documents).
    deptbot("departments", "add", "법무담당관", "--slug", "legal", data=data)
    uploads = data / "documents" / "legal"
    uploads.mkdir()
    (uploads / "공익신고자 보호법.txt").write_text(LAW, encoding="utf-8")
    shutil.copy(sample("총무과", ".txt"), uploads / "당직근무 운영지침.txt")
    (uploads / "깨진 문서.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00broken" * 50)
    first = subprocess.run([sys.executable, "-m", "ui.cli", "reindex", str(uploads), "--department", "법무담당관",
                            "--data-dir", str(data)], env=_environment(data, settings, 0), capture_output=True,
                           text=True, timeout=300)
    assert first.returncode == 1 and "깨진 문서.pdf" in first.stderr  # the broken upload failed, as in the builder

    with run_command(data, settings) as (base, output):
        assert request(f"{base}/")[0] == 200  # served although a file fails on every start
    printed = "".join(output)
    assert "일부 파일을 색인하지 못했습니다" in printed and "깨진 문서.pdf" in printed
    assert "legal: " not in printed  # the reindex report names no department 'legal'

    services = make_services(data)
    assert "legal" not in services.store.departments()
    assert "법무담당관" in services.store.departments()
    records = services.index("법무담당관").file_records()
    assert {name: r.status for name, r in records.items()} == {
        "공익신고자 보호법.txt": "indexed", "당직근무 운영지침.txt": "indexed", "깨진 문서.pdf": "failed"}
    chunks = services.index("법무담당관").chunks_of("공익신고자 보호법.txt")
    assert chunks and all(c.department == "법무담당관" for c in chunks)
    services.registry.close()
    # The demo was not registered twice either.
    listed = json.loads(deptbot("departments", "list", "--json", data=data).stdout)
    assert sorted(d["slug"] for d in listed) == ["accounting", "civil-passport", "general-affairs", "legal",
                                                 "privacy"]


def test_a_command_run_later_in_the_project_folder_uses_the_run_command_s_data_folder(tmp_path: Path) -> None:
    """The banner's `deptbot users add …` in another terminal reaches the registry the server uses."""
    project, data, home = tmp_path / "project", tmp_path / "served", tmp_path / "home"
    (project / "sub").mkdir(parents=True)
    home.mkdir()
    (project / "deptbot.env").write_text(f"DEPTBOT_DATA_DIR='{data}'\n", encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEPTBOT_")} | {"HOME": str(home),
                                                                                    "PYTHONPATH": str(ROOT)}

    def command(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ui.cli", *args], cwd=cwd, env=clean | (env or {}),
                              capture_output=True, text=True, timeout=120, check=True)

    added = command("departments", "add", "법무담당관", "--slug", "legal", cwd=project / "sub")
    assert f"데이터 폴더: {data} (설정 파일 {project / 'deptbot.env'})" in added.stderr
    assert (data / "registry.db").exists()
    assert not (home / ".local" / "share" / "deptbot").exists()  # not the default folder, silently
    listed = command("departments", "list", "--json", cwd=project)
    assert [d["name"] for d in json.loads(listed.stdout)] == ["법무담당관"]  # stderr's line keeps --json clean

    # An explicit variable still wins over the file, and says so.
    other = tmp_path / "other"
    elsewhere = command("departments", "list", "--json", cwd=project, env={"DEPTBOT_DATA_DIR": str(other)})
    assert json.loads(elsewhere.stdout) == []
    assert f"데이터 폴더: {other} (환경 변수 DEPTBOT_DATA_DIR)" in elsewhere.stderr
    # Outside the project folder no file is found: the default folder, named as such.
    outside = command("departments", "list", "--json", cwd=tmp_path)
    assert "(기본값)" in outside.stderr and json.loads(outside.stdout) == []
