"""Generator profiles: OpenAI-compatible servers an administrator offers, chosen per bot."""

from __future__ import annotations

import pytest

from builder.definitions import BotDefinition, GeneratorChoice
from tests.conftest import make_services
from tests.support.fake_openai import Behaviour, fake_openai_server
from ui.settings import Settings
from ui.wiring import Services, SettingsError, bot_answerer


def test_profiles_are_read_from_one_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPTBOT_LLM_PROFILES", '{"vllm": {"label": "사내 vLLM", "base_url": "http://10.0.0.5:8000/v1",'
                       ' "model": "qwen2.5-7b", "api_key": "s3cret"}}')
    profile = Settings().llm_profiles["vllm"]
    assert (profile.label, profile.base_url, profile.model) == ("사내 vLLM", "http://10.0.0.5:8000/v1", "qwen2.5-7b")
    assert "s3cret" not in repr(profile)  # the key is a secret


def test_a_bot_answers_through_the_profile_it_chose(sample_index: Services) -> None:
    behaviour = Behaviour(reply="당직 근무비는 1회 60,000원입니다 [1].")
    with fake_openai_server(behaviour) as url:
        services = make_services(sample_index.settings.data_dir, database_url="sqlite://",
                                 llm_profiles={"local": {"label": "시험 서버", "base_url": url, "model": "small-ko"}})
        services.registry.add_department("총무과", "general-affairs")
        definition = BotDefinition(slug="dangjik", name="당직", departments=["총무과"],
                                   generator=GeneratorChoice(kind="openai", profile="local", temperature=0.3))
        answer = bot_answerer(services, definition, keep_traces=False).ask("당직 근무비는 얼마인가요?")
    assert "60,000원" in answer.text and answer.citations and not answer.notice
    sent = [r for r in behaviour.requests if r["path"].endswith("/chat/completions")]
    assert sent and sent[-1]["model"] == "small-ko" and sent[-1]["temperature"] == 0.3


def test_a_profile_that_is_gone_is_a_clear_error(sample_index: Services) -> None:
    services = make_services(sample_index.settings.data_dir, database_url="sqlite://")
    services.registry.add_department("총무과", "general-affairs")
    definition = BotDefinition(slug="dangjik", name="당직", departments=["총무과"],
                               generator=GeneratorChoice(kind="openai", profile="removed"))
    with pytest.raises(SettingsError, match="생성 서버 설정이 없습니다"):
        bot_answerer(services, definition)
