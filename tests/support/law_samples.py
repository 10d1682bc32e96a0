"""Laws for the test law portal (tests/support/law_portal.py): made up for the tests, in the portal's shape.

공공시설 안전관리법 has 장 headings, 항, 호 and 목, a 부칙, two 별표 with text and a form; 주민참여 활성화법 can be
amended (`amend_participation`); 도시공원 특례법 is repealed; 디지털 민원 기본법 is not in force until 2028; 공공시설
안전관리법 시행령 shares the law's name as a prefix, so only an exact name match finds the law itself.
"""

from __future__ import annotations

from tests.support.law_portal import PortalLaw

SAFETY = "공공시설 안전관리법"
PARTICIPATION = "주민참여 활성화법"
REPEALED = "도시공원 특례법"
FUTURE = "디지털 민원 기본법"
FUTURE_ID = "009004"


def _safety() -> PortalLaw:
    return PortalLaw("009001", "200001", SAFETY, "20250701", "20250107", "20001", change="일부개정", articles=[
        ("heading", "제1장 총칙"),
        ("1", "목적", "제1조(목적) 이 법은 공공시설의 안전점검과 보수에 필요한 사항을 정하여 시민의 생명과 재산을 "
         "보호함을 목적으로 한다.", []),
        ("2", "정의", "제2조(정의) 이 법에서 사용하는 용어의 뜻은 다음과 같다.", [("", "", [
            ("1. \"공공시설\"이란 다음 각 목의 시설을 말한다.",
             ["가. 도로·교량 및 터널", "나. 공원·체육시설 및 어린이놀이시설"]),
            ("2. \"안전점검\"이란 시설의 결함을 찾아내기 위하여 육안이나 장비로 조사하는 행위를 말한다.", []),
        ])]),
        ("heading", "제2장 안전점검"),
        ("5", "정기안전점검", "제5조(정기안전점검)", [
            ("①", "① 관리주체는 공공시설에 대하여 반기마다 1회 이상 정기안전점검을 실시하여야 한다.", []),
            ("②", "② 어린이놀이시설의 정기안전점검은 매월 1회 이상 실시하여야 한다. <개정 2025. 1. 7.>", []),
            ("③", "③ 관리주체는 점검 결과를 점검을 마친 날부터 30일 이내에 시장에게 보고하여야 한다.", []),
        ]),
        ("6", "긴급안전점검", "제6조(긴급안전점검) 시장은 재난이 발생할 우려가 있다고 인정하면 관리주체에게 "
         "긴급안전점검을 명할 수 있다.", []),
        ("7", "보수·보강", "제7조(보수·보강) 관리주체는 안전점검 결과 결함이 발견된 시설을 지체 없이 보수하거나 "
         "보강하여야 한다.", []),
    ], addenda=[("20250107", "20001", "부칙 <제20001호, 2025. 1. 7.>\n이 법은 2025년 7월 1일부터 시행한다.")],
        annexes=[
            ("0001", "00", "별표", "과태료의 부과기준(제10조 관련)",
             "■ 공공시설 안전관리법 [별표 1] <개정 2025. 1. 7.>\n과태료의 부과기준(제10조 관련)\n"
             "┌─────────────────────┬─────────┐\n│ 위반행위 │ 과태료 │\n├─────────────────────┼─────────┤\n"
             "│ 정기안전점검을 실시하지 않은 경우 │ 200만원 │\n│ 점검 결과를 보고하지 않은 경우 │ 100만원 │\n"
             "└─────────────────────┴─────────┘"),
            ("0001", "02", "별표", "안전점검 기관의 등록기준(제8조 관련)",
             "안전점검 기관의 등록기준(제8조 관련)\n1. 기술인력: 안전진단 전문인력 2명 이상"),
            ("0001", "00", "서식", "안전점검 결과 보고서", ""),  # a form: only its HWP and PDF files
        ])


def _participation(share: str = "1", amended: bool = False) -> PortalLaw:
    version = ("200010", "20260101", "20250915", "20500", "일부개정") if amended else (
        "200002", "20240101", "20230620", "19500", "제정")
    mst, effective, promulgated, number, change = version
    return PortalLaw("009002", mst, PARTICIPATION, effective, promulgated, number, change=change, articles=[
        ("1", "목적", "제1조(목적) 이 법은 주민이 지방자치단체의 정책 결정에 참여하는 절차를 정함을 목적으로 "
         "한다.", []),
        ("2", "주민참여위원회", "제2조(주민참여위원회)", [
            ("①", "① 시장은 주민참여위원회를 둔다.", []),
            ("②", "② 위원회는 위원장 1명을 포함한 20명 이내의 위원으로 구성한다.", []),
        ]),
        ("3", "참여예산", f"제3조(참여예산) 주민참여예산의 규모는 전체 예산의 100분의 {share} 이상으로 한다.", []),
        ("4", "공개", "제4조(공개) 시장은 위원회의 회의록을 인터넷 누리집에 공개하여야 한다.", []),
    ], addenda=[(promulgated, number, f"부칙 <제{number}호, {promulgated[:4]}. {int(promulgated[4:6])}. "
                 f"{int(promulgated[6:])}.>\n이 법은 공포 후 6개월이 경과한 날부터 시행한다.")])


def amend_participation(law: PortalLaw) -> None:
    """The portal publishes an amendment of 주민참여 활성화법 (a new version: 제3조 changed)."""
    amended = _participation("2", amended=True)
    for name in ("mst", "effective", "promulgated", "number", "change", "articles", "addenda"):
        setattr(law, name, getattr(amended, name))


def _simple(law_id: str, mst: str, name: str, effective: str, promulgated: str, number: str,
            **options: str) -> PortalLaw:
    return PortalLaw(law_id, mst, name, effective, promulgated, number, articles=[
        ("1", "목적", f"제1조(목적) 이 법은 {name}의 목적을 정한다.", []),
        ("2", "적용 범위", "제2조(적용 범위) 이 법은 시의 모든 민원에 적용한다.", []),
        ("3", "전자 처리", "제3조(전자 처리) 민원은 전자적으로 처리함을 원칙으로 한다.", []),
    ], **options)  # type: ignore[arg-type]


def sample_laws() -> list[PortalLaw]:
    """The portal's laws, fresh for each test."""
    return [
        _safety(),
        _simple("009005", "200005", f"{SAFETY} 시행령", "20250701", "20250630", "35001", kind="대통령령"),
        _participation(),
        _simple("009003", "200003", REPEALED, "20240301", "20240301", "19800", change="폐지", current="연혁"),
        _simple(FUTURE_ID, "200004", FUTURE, "20280101", "20260310", "21445", change="제정"),
    ]
