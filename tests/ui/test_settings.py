"""Settings: environment variables with the DEPTBOT_ prefix, and every one documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from ui.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _variables(model: type[BaseModel], prefix: str = "DEPTBOT_") -> list[str]:
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_variables(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [name for name in _variables(Settings) if f"`{name}`" not in readme]
    assert not missing, f"settings missing from README.md: {missing}"


def test_every_setting_has_a_description() -> None:
    def undocumented(model: type[BaseModel]) -> list[str]:
        found = [n for n, f in model.model_fields.items() if not f.description]
        for field in model.model_fields.values():
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                found += undocumented(field.annotation)
        return found

    assert undocumented(Settings) == []


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEPTBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DEPTBOT_EMBEDDER__KIND", "openai")
    monkeypatch.setenv("DEPTBOT_EMBEDDER__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("DEPTBOT_CHUNKING__MAX_CHARS", "700")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.embedder.kind == "openai" and settings.embedder.base_url == "http://127.0.0.1:9/v1"
    assert settings.chunking.max_chars == 700


def test_an_unknown_embedder_kind_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPTBOT_EMBEDDER__KIND", "minilm")
    with pytest.raises(ValueError, match="hashing"):
        Settings()
