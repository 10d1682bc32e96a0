"""What every `deptbot` command shares: services from --data-dir, and Korean errors instead of tracebacks."""

from __future__ import annotations

import getpass
import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from connectors.errors import ConnectorError
from ui.settings import Settings, data_dir_origin
from ui.wiring import build_services

F = TypeVar("F", bound=Callable[..., Any])


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def with_services(func: F) -> F:
    """Adds --data-dir, builds the services, and turns our errors into a Korean message and exit code 1."""

    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="데이터 폴더 (기본: 설정 DEPTBOT_DATA_DIR)")
    @wraps(func)
    def wrapper(*args: Any, data_dir: Path | None, **kwargs: Any) -> Any:
        settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
        # Which registry and indexes a command changed must never be a surprise (stderr: --json output stays clean).
        click.echo(f"데이터 폴더: {settings.data_dir} ({data_dir_origin(data_dir is not None)})", err=True)
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


def audit(services: Any, action: str, target: str = "", detail: str = "") -> None:
    """Record a command-line administrative action in the audit log (the actor: `cli:` and the system user)."""
    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        actor = "cli"
    services.registry.audit(actor, action, target, detail)
