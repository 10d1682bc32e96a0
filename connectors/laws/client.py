"""The law portal's Open API over HTTP: law search (lawSearch.do) and law text (lawService.do), XML.

Requests follow the Open API guide (open.law.go.kr lsNwListGuide, lsNwInfoGuide): `lawSearch.do?OC=…&target=law
&type=XML&query=…&display=100` and `lawService.do?OC=…&target=law&type=XML&MST=…` (or `ID=…`, the law's current
text). Only the configured address is asked, with a timeout; a mirror inside the city network answers the same.
"""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from connectors.errors import LawPortalError
from connectors.laws.parse import LawText, LawVersion, parse_law, parse_search

log = logging.getLogger(__name__)
_MAX_BYTES = 64 * 1024 * 1024  # the longest codes are a few MB of XML
_NETWORK_ACTION = ("네트워크와 DEPTBOT_LAW__URL을 확인한 뒤 다시 실행해 주세요 (인터넷이 막힌 곳에서는 시청 내부 "
                   "미러 주소를 설정합니다). 부서 문서는 바뀌지 않았습니다")


@dataclass(frozen=True, slots=True)
class LawPortal:
    """A client of the law portal (or its mirror) at `base_url`, e.g. https://www.law.go.kr/DRF."""

    base_url: str
    key: str = ""
    timeout: float = 20.0

    def search(self, name: str) -> list[LawVersion]:
        """The laws whose names contain `name` (the portal's own matching; callers pick the exact name)."""
        return parse_search(self._get("lawSearch.do", {"query": name, "display": "100"}, name), name)

    def law_text(self, label: str, *, mst: str = "", law_id: str = "") -> LawText:
        """One law's text: the version `mst`, else the current text of law `law_id`."""
        params = {"MST": mst} if mst else {"ID": law_id}
        return parse_law(self._get("lawService.do", params, label), label, mst)

    def _get(self, service: str, params: dict[str, str], label: str) -> bytes:
        query = {"OC": self.key, "target": "law", "type": "XML", **params} if self.key else {
            "target": "law", "type": "XML", **params}
        url = f"{self.base_url.rstrip('/')}/{service}?{urllib.parse.urlencode(query)}"
        # law.go.kr refuses a valid key without a Referer (korean-law-mcp pull request 45): send the site's own.
        parts = urllib.parse.urlsplit(self.base_url)
        request = urllib.request.Request(url, headers={"Referer": f"{parts.scheme}://{parts.netloc}/",
                                                       "Accept": "application/xml, text/xml"})
        log.info("law portal request service=%s law=%s", service, label)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return bytes(response.read(_MAX_BYTES))
        except urllib.error.HTTPError as exc:
            raise LawPortalError(label, f"법령 포털이 HTTP {exc.code} 오류로 답했습니다 ({self.base_url})",
                                 _NETWORK_ACTION) from exc
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, cut short
            reason = getattr(exc, "reason", exc)
            raise LawPortalError(label, f"법령 포털({self.base_url})에 연결할 수 없습니다 ({reason})",
                                 _NETWORK_ACTION) from exc
