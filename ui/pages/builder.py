"""The builder (`/builder/`): where department leads make their bots, keep their documents and read how bots are used.

Three tabs, in Korean:
- 봇: my bots; the edit form with a live preview chat beside it (the GPTs builder layout: the preview answers
  with the form as it stands, before saving); publish, the share link with a copy button and a QR code; the
  version history with restore; clone; export and import as JSON.
- 문서 (`builder_documents.py`): per department of mine, upload several files at once (a progress bar per file, a
  result per file), the document list with failed files marked, delete after a confirmation, re-index, and a
  document's chunks with their articles and pages.
- 사용 현황: per bot, questions per day, refusal rate, most cited documents, low-rated answers, the question log
  as CSV (personal data masked).

Every handler asks `builder.access` again with the request's session: the page's state is never trusted.
"""

from __future__ import annotations

import html
import json
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import ValidationError

from bots.answer import Answerer
from bots.generators import Turn
from bots.insights import bot_insights
from builder.access import can_manage
from builder.definitions import BotDefinition, GeneratorChoice
from builder.registry import BotRecord, RegistryError, User
from connectors.errors import ConnectorError
from connectors.particles import josa
from ui.api import QUESTION_CHARS
from ui.exports import export_link
from ui.files import store_icon
from ui.pages.builder_common import STYLE, md
from ui.pages.builder_common import lead as _lead
from ui.pages.builder_common import record as _record
from ui.pages.builder_documents import documents_tab, indexed_documents
from ui.pages.builder_documents_view import STYLE as DOCUMENTS_STYLE
from ui.pages.builder_fields import (
    FIELDS,
    field_errors,
    gone_message,
    invalid,
    marked,
    opened,
    redrawn,
    registry_errors,
)
from ui.pages.builder_fields import summary as failed_summary
from ui.pages.builder_publish import (
    VERSION_HEADERS,
    can_publish,
    publish_label,
    published_message,
    restored_message,
    saved_message,
    sharing_status,
    version_rows,
)
from ui.pages.chat import as_text, clean, document_link, replies, source_cards
from ui.sessions import Sessions
from ui.uploads import UploadLedger
from ui.wiring import Services, bot_answerer

VISIBILITY = [("링크가 있는 누구나", "link"), ("로그인한 직원", "staff"), ("봇 부서의 직원만", "department")]
SIGN_IN = "### 로그인이 필요합니다\n부서 담당자나 관리자로 [로그인](/login?next=/builder/)해 주세요."
NOT_LEAD = "### 봇을 만들 권한이 없습니다\n부서 담당자나 관리자만 봇을 만들 수 있습니다. [홈으로](/)"
_PREVIEWS = 8  # preview answerers kept per process (one per draft being tried)
_CONCURRENT = 8  # calls of one builder event that run at once (uploads of several departments, previews)


class Previews:
    """Answerers for drafts, keyed by the draft's definition (building one loads its departments' indexes)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._built: OrderedDict[str, Answerer] = OrderedDict()

    def get(self, definition: BotDefinition) -> Answerer:
        """The preview answerer of a draft."""
        key = definition.model_dump_json()
        if key not in self._built:
            self._built[key] = bot_answerer(self.services, definition, keep_traces=False)
            while len(self._built) > _PREVIEWS:
                self._built.popitem(last=False)
        self._built.move_to_end(key)
        return self._built[key]


def _departments(services: Services, user: User) -> list[str]:
    """The departments whose documents and bots the user manages."""
    names = [d.name for d in services.registry.departments()]
    return names if user.is_admin else [name for name in names if name in user.departments]


def _my_bots(services: Services, user: User) -> list[tuple[str, str]]:
    return [(f"{b.definition.icon} {b.definition.name} ({b.slug})", b.slug)
            for b in services.registry.bots() if can_manage(b, user)]


def share_url(request: gr.Request, bot: BotRecord) -> str:
    """The full share link of a bot, as the visitor's browser reaches this server."""
    headers = {k.lower(): v for k, v in dict(request.headers).items()}
    scheme = headers.get("x-forwarded-proto", "http").split(",")[0].strip() or "http"
    host = headers.get("x-forwarded-host") or headers.get("host") or "127.0.0.1"
    key = f"?key={bot.link_key}" if bot.definition.visibility == "link" else ""
    return f"{scheme}://{host}/b/{bot.slug}{key}"


def qr_code(url: str) -> str:
    """An inline SVG QR code of the link (drawn here: no image service is asked)."""
    import segno

    return f'<div id="share-qr" title="공유 링크 QR 코드">{segno.make(url, error="m").svg_inline(scale=4)}</div>'


def _draft(slug: str, name: str, description: str, icon: str, instructions: str, departments: list[str],
           documents: list[str], starters: str, refusal: str, contact: str, visibility: str, kind: str, model: str,
           temperature: float | None) -> BotDefinition:
    return BotDefinition(
        slug=(slug or "").strip(), name=(name or "").strip(), description=description or "", icon=icon or "🤖",
        instructions=instructions or "", departments=list(departments or []),
        documents=[d for d in documents or [] if d.partition("/")[0] in (departments or [])],
        starters=[line.strip() for line in (starters or "").splitlines() if line.strip()],
        refusal=refusal or "", contact=contact or "", visibility=visibility or "link",
        generator=GeneratorChoice(kind=(kind or "").partition(":")[0], profile=(kind or "").partition(":")[2],
                                  model=(model or "").strip(),
                                  temperature=temperature if (kind or "").startswith("openai") else None))


def build_builder(services: Services, sessions: Sessions, uploads: UploadLedger) -> gr.Blocks:
    """The builder page."""
    previews = Previews(services)
    def upload_key(request: gr.Request) -> str:
        return sessions.key(dict(request.cookies), dict(request.headers))
    generators = [("서버 기본값", ""), ("오프라인 발췌형 (문서 문장 인용)", "extractive")]
    if services.settings.llm.base_url:
        generators.append((f"OpenAI 호환 서버 ({services.settings.llm.model or services.settings.llm.base_url})",
                           "openai"))
    for profile_name, profile in sorted(services.settings.llm_profiles.items()):
        generators.append((f"{profile.label or profile_name} ({profile.model})", f"openai:{profile_name}"))

    def managed(slug: str, request: gr.Request) -> tuple[User, BotRecord] | None:
        user = _lead(sessions, request)
        if user is None or not slug:
            return None
        try:
            bot = services.registry.bot(slug)
        except RegistryError:
            return None
        return (user, bot) if can_manage(bot, user) else None

    # --- the bot tab ------------------------------------------------------------------------------------
    def document_choices(departments: list[str]) -> list[str]:
        return indexed_documents(services, departments)  # a failed file is never offered as knowledge

    def narrow_choices(departments: list[str], chosen: list[str]) -> Any:
        choices = document_choices(departments)
        return gr.update(choices=choices, value=[c for c in chosen or [] if c in choices])

    def form_values(definition: BotDefinition | None, *, new: bool = False) -> list[Any]:
        d = definition or BotDefinition(slug="new-bot", name="", departments=["-"])
        generator = d.generator
        # A narrowed-to document that failed or was deleted since is no choice any more: Gradio would refuse the
        # form with it checked (an English error at every save and preview), so it is left out, and said so.
        choices = document_choices(d.departments if definition else [])
        gone = [document for document in d.documents if document not in choices]
        values = redrawn([gr.update(value="" if definition is None else d.slug, interactive=new),
                          d.name, d.description, d.icon, d.instructions, [] if definition is None else d.departments,
                          gr.update(choices=choices, value=[doc for doc in d.documents if doc not in gone]),
                          "\n".join(d.starters), d.refusal, d.contact, d.visibility,
                          f"{generator.kind}:{generator.profile}" if generator.profile else generator.kind,
                          generator.model, generator.temperature if generator.temperature is not None else 0.2])
        if gone:
            values[FIELDS.index("documents")] |= marked({"documents": gone_message(gone)})[FIELDS.index("documents")]
        return values

    def sharing(bot: BotRecord | None, request: gr.Request) -> list[Any]:
        """The sharing area of a bot's draft: which version is live, what changed since, the link."""
        publish = gr.update(value=publish_label(bot), interactive=can_publish(bot))
        if bot is None:
            return ["저장한 뒤 게시할 수 있습니다.", gr.update(value="", visible=False), "", publish,
                    gr.update(interactive=False), gr.update(interactive=False)]
        live = services.registry.served(bot.slug).definition if bot.has_unpublished_changes else None
        if not bot.published:
            return [sharing_status(bot, None), gr.update(value="", visible=False), "", publish,
                    gr.update(interactive=False), gr.update(interactive=True)]
        url = share_url(request, bot)
        return [sharing_status(bot, live), gr.update(value=url, visible=True), qr_code(url), publish,
                gr.update(interactive=True), gr.update(interactive=True)]

    def versions_table(bot: BotRecord) -> list[list[Any]]:
        return version_rows(services.registry.versions(bot.slug), bot)

    def bot_view(slug: str, request: gr.Request) -> tuple[list[Any], str]:
        """The form, sharing and version values of a bot I manage, and the status line to go with them."""
        found = managed(slug, request)
        bot = found[1] if found else None
        status = "" if bot else "새 봇을 만들거나 목록에서 봇을 고르세요." if not slug else "⚠️ 그 봇을 열 수 없습니다."
        versions = versions_table(bot) if bot else []
        return [*form_values(bot.definition if bot else None, new=bot is None), *sharing(bot, request),
                versions], status

    def show_bot(slug: str, request: gr.Request) -> list[Any]:
        values, status = bot_view(slug, request)
        return [*values, status, [], "", {}]  # and an empty preview

    def new_bot(request: gr.Request) -> list[Any]:
        return [gr.update(value=None), *show_bot("", request)]

    def save(selected: str, slug: str, name: str, description: str, icon: str, instructions: str,
             departments: list[str], documents: list[str], starters: str, refusal: str, contact: str,
             visibility: str, kind: str, model: str, temperature: float | None,
             request: gr.Request) -> list[Any]:
        """Save the form; a failed save leaves every field as typed and says what to fix under the field."""
        user = _lead(sessions, request)
        fields = (slug, name, description, icon, instructions, departments, documents, starters, refusal, contact,
                  visibility, kind, model, temperature)
        if user is None:
            return refused({"": "다시 로그인해 주세요."}, "⚠️ 다시 로그인해 주세요.")
        try:
            definition = _draft(*fields)
        except ValidationError as exc:
            errors = field_errors(exc)
            if not (name or "").strip():
                errors = {"name": "이름을 넣어 주세요"} | errors
            return refused(errors, md(failed_summary(errors)))
        if not definition.name:
            return refused({"name": "이름을 넣어 주세요"}, md(failed_summary({"name": "이름을 넣어 주세요"})))
        if not user.leads(definition.departments):
            errors = {"departments": "내가 담당하는 부서만 고를 수 있습니다"}
            return refused(errors, "⚠️ 저장하지 못했습니다 — 내가 담당하는 부서만 고를 수 있습니다.")
        try:
            record, message = stored(selected, definition, user, request)
        except RegistryError as exc:
            return refused(registry_errors(exc, definition), f"⚠️ 저장하지 못했습니다 — {md(exc.message)}")
        form, share, history = saved_view(record, request)
        return [gr.update(choices=_my_bots(services, user), value=record.slug), message, *form, *opened({}),
                *share, history]

    def refused(errors: dict[str, str], message: str) -> list[Any]:
        """A failed save's outputs: the status line, each field's message; the typed values stay as they are."""
        return [gr.update(), message, *marked(errors), *opened(errors), *[gr.update()] * 6, gr.update()]

    def stored(selected: str, definition: BotDefinition, user: User, request: gr.Request) -> tuple[BotRecord, str]:
        if selected and selected == definition.slug:
            if managed(selected, request) is None:
                raise RegistryError(selected, "이 봇을 고칠 권한이 없습니다")
            record = services.registry.save_bot(definition, author=user.username)
            _record(services, user, request, "bot_saved", record.slug, f"version {record.version}")
            return record, saved_message(record)
        record = services.registry.create_bot(definition, author=user.username, note="새로 만듦")
        _record(services, user, request, "bot_created", record.slug)
        name = record.definition.name
        return record, (f"✅ 새 봇 '{md(name)}'{josa(name, '를')} 만들었습니다. 미리보기로 시험해 보세요.")

    def saved_view(bot: BotRecord, request: gr.Request) -> tuple[list[Any], list[Any], list[list[Any]]]:
        """The form, sharing and versions of a bot just saved, as the registry now has it."""
        return form_values(bot.definition), sharing(bot, request), versions_table(bot)

    def preview(question: str, chat: dict[str, Any], slug: str, name: str, description: str, icon: str,
                instructions: str, departments: list[str], documents: list[str], starters: str, refusal: str,
                contact: str, visibility: str, kind: str, model: str, temperature: float | None,
                request: gr.Request) -> Iterator[list[Any]]:
        # The conversation lives in server-side state (as on the chat page): never taken back from the browser.
        fields = (slug, name, description, icon, instructions, departments, documents, starters, refusal, contact,
                  visibility, kind, model, temperature)
        question = clean((question or "").strip()[:QUESTION_CHARS])
        user = _lead(sessions, request)
        messages = list(chat.get("messages", []))
        if not question or user is None:
            yield [messages, question, gr.update()]
            return
        messages += [{"role": "user", "content": as_text(question)}, {"role": "assistant", "content": ""}]
        chat["messages"] = messages
        try:
            definition = _draft(*fields)
            if not user.leads(definition.departments):
                raise PermissionError
            answerer = previews.get(definition.model_copy(update={"slug": definition.slug or "preview"}))
        except ValidationError as exc:
            messages[-1]["content"] = as_text(invalid(exc).replace("저장하지 못했습니다", "미리볼 수 없습니다"))
            yield [messages, "", ""]
            return
        except PermissionError:
            messages[-1]["content"] = "⚠️ 내가 담당하는 부서만 고를 수 있습니다."
            yield [messages, "", ""]
            return
        except ConnectorError as exc:
            messages[-1]["content"] = as_text(f"⚠️ {exc.message}")
            yield [messages, "", ""]
            return
        history: list[Turn] = list(chat.get("turns", []))
        yield [messages, "", ""]
        link = document_link(services, bot="", key=None)  # a lead opens their departments' documents directly
        try:
            for shown, answer in replies(answerer, question, history):
                messages[-1] = {"role": "assistant", "content": shown}
                if answer is not None:
                    chat.setdefault("turns", []).append(answer.turn(question))
                yield [messages, "", gr.update() if answer is None else source_cards(answer.citations, link)]
        except ConnectorError as exc:
            messages[-1] = {"role": "assistant", "content": as_text(f"⚠️ {exc.message}")}
            yield [messages, question, ""]

    def set_published(slug: str, published: bool, request: gr.Request) -> list[Any]:
        found = managed(slug, request)
        if found is None:
            return [*sharing(None, request), gr.update(), "⚠️ 그 봇을 게시할 권한이 없습니다."]
        bot = services.registry.set_published(slug, published)  # publishing publishes the draft
        _record(services, found[0], request, "bot_published" if published else "bot_unpublished", slug,
                f"version {bot.version}" if published else "")
        return [*sharing(bot, request), versions_table(bot), published_message(bot) if published
                else "게시를 멈췄습니다. 공유 링크로 더는 열리지 않습니다."]

    def upload_icon(path: str | None, request: gr.Request) -> list[Any]:
        try:
            if _lead(sessions, request) is None or not path:
                return [gr.update(), ""]
            value = store_icon(services, Path(path))
        except ConnectorError as exc:
            return [gr.update(), f"⚠️ {md(exc.message)}"]
        finally:
            uploads.release(upload_key(request), [path])
        return [value, "🖼️ 아이콘 이미지를 올렸습니다. 저장하면 봇에 쓰입니다."]

    def publish_bot(slug: str, request: gr.Request) -> list[Any]:
        return set_published(slug, True, request)

    def unpublish_bot(slug: str, request: gr.Request) -> list[Any]:
        return set_published(slug, False, request)

    def rotate(slug: str, request: gr.Request) -> list[Any]:
        found = managed(slug, request)
        if found is None:
            return [*sharing(None, request), "⚠️ 권한이 없습니다."]
        bot = services.registry.rotate_link(slug)
        _record(services, found[0], request, "link_rotated", slug)
        return [*sharing(bot, request), "🔁 새 링크를 만들었습니다. 예전 링크는 이제 열리지 않습니다."]

    def restore(slug: str, number: float | None, request: gr.Request) -> list[Any]:
        found = managed(slug, request)
        if found is None or not number:
            return [*[gr.update()] * 21, "⚠️ 되돌릴 버전 번호를 넣어 주세요."]
        try:
            bot = services.registry.restore(slug, int(number), author=found[0].username)
            _record(services, found[0], request, "bot_restored", slug, f"version {int(number)} -> {bot.version}")
        except RegistryError as exc:
            return [*[gr.update()] * 21, f"⚠️ {md(exc.message)}"]
        # A restore is a draft: the sharing area says which version staff still get.
        return [*form_values(bot.definition), *sharing(bot, request), versions_table(bot),
                restored_message(int(number), bot)]

    def clone(slug: str, new_slug: str, request: gr.Request) -> list[Any]:
        found = managed(slug, request)
        if found is None:
            return [gr.update(), "⚠️ 복제할 봇을 고르세요."]
        try:
            record = services.registry.clone(slug, (new_slug or "").strip(), author=found[0].username)
            _record(services, found[0], request, "bot_cloned", record.slug, f"from {slug}")
        except (RegistryError, ValidationError) as exc:
            text = md(exc.message if isinstance(exc, RegistryError) else invalid(exc))
            return [gr.update(), f"⚠️ {text}"]
        return [gr.update(choices=_my_bots(services, found[0]), value=record.slug),
                f"✅ '{md(slug)}'{josa(slug, '를')} '{md(record.slug)}'{josa(record.slug, '로')} "
                "복제했습니다 (게시되지 않은 상태)."]

    def export(slug: str, request: gr.Request) -> list[Any]:
        # A link to our own route, which checks the session at download time (a Gradio file output would be
        # served to anyone holding its URL, and kept).
        if managed(slug, request) is None:
            return [gr.update(value="", visible=False), "⚠️ 내보낼 봇을 고르세요."]
        return [gr.update(value=export_link("bot", slug, f"{html.escape(slug)}.json 내려받기"), visible=True),
                f"'{md(slug)}'의 정의를 JSON으로 내려받을 수 있습니다."]

    def import_bot(upload: str | None, request: gr.Request) -> list[Any]:
        try:
            return import_from(upload, request)
        finally:
            uploads.release(upload_key(request), [upload])

    def import_from(upload: str | None, request: gr.Request) -> list[Any]:
        user = _lead(sessions, request)
        if user is None or not upload:
            return [gr.update(), "⚠️ 다시 로그인해 주세요." if user is None else ""]
        try:
            if Path(upload).stat().st_size > 1024 * 1024:
                return [gr.update(), "⚠️ JSON 파일이 너무 큽니다 (1MB까지). 내보내기로 만든 .json 파일을 올려 주세요."]
            raw = json.loads(Path(upload).read_text(encoding="utf-8-sig"))
            definition = BotDefinition.model_validate(raw)
            if not user.leads(definition.departments):
                return [gr.update(), "⚠️ 가져온 봇의 부서 중 내가 담당하지 않는 부서가 있습니다."]
            record = services.registry.create_bot(definition, author=user.username, note="JSON에서 가져옴")
            _record(services, user, request, "bot_imported", record.slug)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return [gr.update(), "⚠️ JSON 파일을 읽을 수 없습니다. 내보내기로 만든 .json 파일을 올려 주세요."]
        except ValidationError as exc:
            return [gr.update(), md(invalid(exc).replace("저장하지", "가져오지"))]
        except RegistryError as exc:
            return [gr.update(), f"⚠️ {md(exc.message)}"]
        return [gr.update(choices=_my_bots(services, user), value=record.slug),
                f"✅ '{md(record.definition.name)}'{josa(record.definition.name, '를')} 가져왔습니다."]

    # --- the insights tab -------------------------------------------------------------------------------
    def insights(slug: str, request: gr.Request) -> list[Any]:
        found = managed(slug, request)
        if found is None:
            return ["봇을 고르세요.", None, [], [], gr.update(value="", visible=False)]
        feedback = services.registry.feedback(slug)
        seen = bot_insights(services.traces, feedback, slug)
        import pandas as pd

        plot = pd.DataFrame({"날짜": [d[5:] for d, _ in seen.days], "질문 수": [n for _, n in seen.days]})
        summary = (f"**최근 30일** · 질문 {seen.questions}개 · 거절 {seen.refused}개 (거절률 "
                   f"{seen.refusal_rate:.0%}) · 👍 {seen.ratings_up} · 👎 {seen.ratings_down}"
                   + (f" · 발췌형으로 대체된 답변 {seen.fallbacks}개" if seen.fallbacks else ""))
        if seen.law_warnings:  # cited statutes not yet in force, or a version set aside: what the lead should check
            summary += "\n\n**⚠️ 답변에 붙은 법령 시행 주의** (최근 30일, 답변 수)\n" + "\n".join(
                f"- {md(warning)} ({count}회)" for warning, count in seen.law_warnings)
        cited = [[department, file, count] for department, file, count in seen.top_documents]
        low = [[r.created.replace("T", " ")[:16], r.question, r.answer[:300], r.comment, r.username]
               for r in seen.low_rated]
        link = export_link("questions", slug, "질문 기록 CSV 내려받기 (개인정보 가림)")
        return [summary, plot, cited, low, gr.update(value=link, visible=True)]

    # --- layout -----------------------------------------------------------------------------------------
    with gr.Blocks(title="봇 만들기 · deptbot", analytics_enabled=False) as page:
        header = gr.Markdown("불러오는 중…", elem_id="builder-header")
        with gr.Tabs(visible=False, elem_id="builder-tabs") as tabs:
            with gr.Tab("봇", id="bots", elem_id="tab-bots"):
                with gr.Row():
                    picker = gr.Dropdown(label="내 봇", choices=[], value=None, scale=4, elem_id="bot-picker",
                                         allow_custom_value=True)  # access is decided by the handlers
                    create = gr.Button("➕ 새 봇", scale=1, elem_id="new-bot")
                status = gr.Markdown("", elem_id="builder-status")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        with gr.Row():
                            with gr.Column(scale=1, min_width=120):
                                icon = gr.Textbox(label="아이콘 (이모지)", value="🤖", max_length=40,
                                                  elem_id="bot-icon")
                                icon_upload = gr.UploadButton("이미지 올리기", file_types=["image"], type="filepath",
                                                              size="sm", elem_id="icon-upload")
                            name = gr.Textbox(label="이름", max_length=80, scale=3, elem_id="bot-name")
                            slug = gr.Textbox(label="주소 이름 (slug: 영문 소문자·숫자·-)", max_length=63, scale=2,
                                              elem_id="bot-slug")
                        description = gr.Textbox(label="설명", max_length=300, elem_id="bot-description")
                        instructions = gr.Textbox(label="지침 (봇이 답할 때 따를 내용)", lines=4,
                                                  max_length=4000, elem_id="bot-instructions")
                        departments = gr.CheckboxGroup(label="지식: 부서 문서", choices=[],
                                                       elem_id="bot-departments")
                        with gr.Accordion("지식을 고른 문서로 좁히기 (고르지 않으면 부서의 모든 문서)",
                                          open=False) as narrow_box:
                            narrow = gr.CheckboxGroup(label="문서", choices=[], elem_id="bot-documents")
                        starters = gr.Textbox(label="대화 시작 문구 (한 줄에 하나, 6개까지)", lines=3,
                                              max_length=1200, elem_id="bot-starters")
                        with gr.Accordion("거절 문구, 문의처, 공개 범위, 생성기", open=False) as more_box:
                            refusal = gr.Textbox(label="거절 문구 (비우면 기본 문구; {contact}는 문의처로 바뀜)",
                                                 max_length=500, elem_id="bot-refusal")
                            contact = gr.Textbox(label="문의처 (비우면 부서의 문의처)", max_length=200,
                                                 elem_id="bot-contact")
                            visibility = gr.Radio(VISIBILITY, value="link", label="공개 범위",
                                                  elem_id="bot-visibility")
                            with gr.Row():
                                kind = gr.Dropdown(generators, value="", label="생성기", elem_id="bot-generator")
                                model = gr.Textbox(label="모델 (비우면 서버 기본값)", max_length=120,
                                                   elem_id="bot-model")
                                temperature = gr.Slider(0, 2, value=0.2, step=0.1, label="온도 (OpenAI 호환)",
                                                        elem_id="bot-temperature")
                        save_button = gr.Button("💾 저장", variant="primary", elem_id="save-bot")
                    with gr.Column(scale=2, elem_id="preview"):
                        gr.Markdown("#### 미리보기 (저장하지 않은 내용으로 답합니다)")
                        # Labelled by the heading above: Gradio's floating label would cover the first line.
                        preview_chat = gr.Chatbot(label="미리보기", show_label=False, height=360,
                                                  elem_id="preview-chat", line_breaks=True, render_markdown=False)
                        preview_state = gr.State({})
                        preview_sources = gr.HTML(elem_id="preview-sources")
                        with gr.Row():
                            preview_box = gr.Textbox(placeholder="봇에게 시험 삼아 물어보세요", show_label=False,
                                                     scale=4, max_length=QUESTION_CHARS, elem_id="preview-question")
                            preview_send = gr.Button("보내기", scale=1, elem_id="preview-send")
                with gr.Accordion("게시와 공유 링크", open=True, elem_id="sharing"):
                    share_status = gr.Markdown("", elem_id="share-status")
                    share_link = gr.Textbox(label="공유 링크", buttons=["copy"], interactive=False, visible=False,
                                            elem_id="share-link")
                    qr = gr.HTML("", elem_id="share-qr-box")
                    with gr.Row():
                        publish = gr.Button("🚀 게시", variant="primary", interactive=False, elem_id="publish")
                        unpublish = gr.Button("게시 중지", interactive=False, elem_id="unpublish")
                        rotate_button = gr.Button("🔁 링크 바꾸기", interactive=False, elem_id="rotate")
                with gr.Accordion("버전 기록, 복제, 내보내기·가져오기", open=False, elem_id="versions"):
                    versions = gr.Dataframe(headers=VERSION_HEADERS, interactive=False, elem_id="version-table")
                    with gr.Row():
                        # No minimum: Gradio shows an untouched Number as 0, which a minimum of 1 marked red on
                        # every page; restore refuses 0 and versions that do not exist itself.
                        version_number = gr.Number(label="되돌릴 버전", value=None, precision=0,
                                                   placeholder="버전 번호", elem_id="restore-number")
                        restore_button = gr.Button("이 버전으로 되돌리기", elem_id="restore")
                    with gr.Row():
                        clone_slug = gr.Textbox(label="복제본의 주소 이름 (slug)", max_length=63, elem_id="clone-slug")
                        clone_button = gr.Button("복제", elem_id="clone")
                    with gr.Row():
                        export_button = gr.Button("JSON으로 내보내기", elem_id="export")
                        import_button = gr.UploadButton("JSON 가져오기", file_types=[".json"], type="filepath",
                                                        elem_id="import")
                    export_file = gr.HTML("", visible=False, elem_id="export-file")
            with gr.Tab("문서", id="documents", elem_id="tab-documents"):
                documents = documents_tab(services, sessions, uploads)
            with gr.Tab("사용 현황", id="insights", elem_id="tab-insights") as insights_tab:
                with gr.Row():
                    insight_bot = gr.Dropdown(label="봇", choices=[], value=None, scale=4, elem_id="insight-bot",
                                              allow_custom_value=True)  # access is decided by the handlers
                    refresh = gr.Button("새로 고침", scale=1, elem_id="insight-refresh")
                summary = gr.Markdown("", elem_id="insight-summary")
                per_day = gr.BarPlot(x="날짜", y="질문 수", label="하루 질문 수", x_label_angle=-45, sort="x",
                                     elem_id="insight-plot")
                cited = gr.Dataframe(headers=["부서", "문서", "인용된 답변 수"], interactive=False,
                                     label="많이 인용된 문서", elem_id="insight-cited")
                low = gr.Dataframe(headers=["일시", "질문", "답변", "의견", "사용자"], interactive=False,
                                   label="싫어요를 받은 답변", elem_id="insight-low", wrap=True)
                csv_file = gr.HTML("", visible=False, elem_id="insight-csv")

        # Last on the page, so its empty block adds no gap between the header and the tabs.
        gr.HTML(f"<style>{STYLE}{DOCUMENTS_STYLE}</style>", elem_id="builder-style", js_on_load=None,
                container=False, padding=False)
        form = [slug, name, description, icon, instructions, departments, narrow, starters, refusal, contact,
                visibility, kind, model, temperature]
        share = [share_status, share_link, qr, publish, unpublish, rotate_button]

        def load(request: gr.Request) -> list[Any]:
            user = _lead(sessions, request)
            if user is None:
                signed_in = sessions.user(dict(request.cookies), dict(request.headers))
                return [NOT_LEAD if signed_in else SIGN_IN, gr.update(visible=False), *[gr.update()] * 4]
            mine, bots = _departments(services, user), _my_bots(services, user)
            role = "관리자" if user.is_admin else "부서 담당자"
            admin = " · [관리](/admin/)" if user.is_admin else ""  # the admin pages, for administrators
            head = f"## 🛠️ 봇 만들기\n{md(user.display_name)} 님 ({role}){admin} · [홈](/) · [로그아웃](/logout)"
            return [head, gr.update(visible=True), gr.update(choices=bots, value=None),
                    gr.update(choices=mine), gr.update(choices=mine, value=mine[0] if mine else None),
                    gr.update(choices=bots, value=None)]

        page.load(load, outputs=[header, tabs, picker, departments, documents.department, insight_bot]).then(
            documents.show, inputs=[documents.department], outputs=documents.outputs)
        shown = [*form, *share, versions, status, preview_chat, preview_sources, preview_state]
        picker.input(show_bot, inputs=[picker], outputs=shown)
        icon_upload.upload(upload_icon, inputs=[icon_upload], outputs=[icon, status])
        departments.input(narrow_choices, inputs=[departments, narrow], outputs=[narrow])
        create.click(new_bot, outputs=[picker, *shown])
        # After a clone or import the form is shown again from the registry, but the action's own message stays
        # (show_bot would clear it, often before the browser had drawn it). A save redraws the form itself, and only
        # when it worked: a failed one leaves every field as typed (issue 12), and keeps the preview.
        def show_other(slug: str, request: gr.Request) -> list[Any]:
            return [*bot_view(slug, request)[0], [], "", {}]

        other = [*form, *share, versions, preview_chat, preview_sources, preview_state]
        save_button.click(save, inputs=[picker, *form],
                          outputs=[picker, status, *form, narrow_box, more_box, *share, versions])
        for trigger in (preview_box.submit, preview_send.click):
            trigger(preview, inputs=[preview_box, preview_state, *form],
                    outputs=[preview_chat, preview_box, preview_sources])
        publish.click(publish_bot, inputs=[picker], outputs=[*share, versions, status])
        unpublish.click(unpublish_bot, inputs=[picker], outputs=[*share, versions, status])
        rotate_button.click(rotate, inputs=[picker], outputs=[*share, status])
        restore_button.click(restore, inputs=[picker, version_number], outputs=[*form, *share, versions, status])
        clone_button.click(clone, inputs=[picker, clone_slug], outputs=[picker, status]).then(
            show_other, inputs=[picker], outputs=other)
        export_button.click(export, inputs=[picker], outputs=[export_file, status])
        import_button.upload(import_bot, inputs=[import_button], outputs=[picker, status]).then(
            show_other, inputs=[picker], outputs=other)

        def bot_choices(current: str | None, request: gr.Request) -> Any:
            user = _lead(sessions, request)
            bots = _my_bots(services, user) if user else []
            # The tab opens on a bot (the one chosen before, else the first), never on an empty choice.
            first = bots[0][1] if bots else None
            return gr.update(choices=bots, value=current if current in {b[1] for b in bots} else first)

        insights_tab.select(bot_choices, inputs=[insight_bot], outputs=[insight_bot]).then(
            insights, inputs=[insight_bot], outputs=[summary, per_day, cited, low, csv_file])
        for trigger in (insight_bot.input, refresh.click):
            trigger(insights, inputs=[insight_bot], outputs=[summary, per_day, cited, low, csv_file])
    # Gradio runs one call of each event at a time by default: one lead's long upload would hold every other
    # department's (the per-department locks above keep one department's changes in order).
    page.queue(default_concurrency_limit=_CONCURRENT)
    return page
