"""Many distinct questions on the sample manuals, for bench/load.py's `--questions-file`.

    python bench/varied_questions.py [--count 1000] [--seed 7] > /tmp/varied.jsonl
    python bench/load.py --questions-file /tmp/varied.jsonl

tests/data/sample_questions.jsonl has 17 questions, which the load benchmark asks in turn: every cache on the
answer path (analysed sentences, chunks read) is as warm as it can be. These questions are made from the topics
of the sample manuals (an article's title, a manual's heading) in several phrasings, so that few repeat and the
chunks and sentences they need vary as they do when many staff ask about many things.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from connectors.chunking import chunk_document  # noqa: E402
from connectors.parsers import parse_bytes  # noqa: E402

SAMPLES = REPO / "sample_manuals"
# About a quarter of these are refused (a heading alone is often too little evidence); "…을 요약해 주세요" was
# refused twice as often (요약 is in no passage) and is left out: a refusal skips the generator, a lighter load.
TEMPLATES = ("{topic}에 대해 알려 주세요.", "{topic}은 어떻게 하나요?", "{topic}의 기준은 무엇인가요?",
             "{topic} 관련해서 담당자가 확인할 것은?", "{topic}은 언제까지 해야 하나요?",
             "{topic} 규정이 어떻게 되나요?", "{topic}에 필요한 서류는?", "{topic}은 누가 하나요?")
_ARTICLE_TITLE = re.compile(r"^제\d+조(?:의\d+)?\(([^)]{2,40})\)")
_NUMBERING = re.compile(r"^(?:[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩ]+\.|\d+(?:\.\d+)*\.?|[가-하]\.|□|○)\s*")


def topics() -> list[str]:
    """Article titles and manual headings of every sample document, each once."""
    found: dict[str, None] = {}
    for path in sorted(SAMPLES.rglob("*.*")):
        for chunk in chunk_document(parse_bytes(path.read_bytes(), path.name)):
            title = _ARTICLE_TITLE.match(chunk.text.strip())
            topic = title.group(1) if title else _NUMBERING.sub("", chunk.heading.split(" > ")[-1]).strip()
            if 2 <= len(topic) <= 40 and topic not in {"목적", "정의", "문의", "개요"}:
                found[topic] = None
    return list(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="questions to write (default 1000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    questions = [template.format(topic=topic) for topic in topics() for template in TEMPLATES]
    random.Random(args.seed).shuffle(questions)
    for number, question in enumerate(questions[:args.count], 1):
        print(json.dumps({"id": f"v{number:04d}", "question": question}, ensure_ascii=False))
    print(f"{min(args.count, len(questions))} of {len(questions)} distinct questions", file=sys.stderr)


if __name__ == "__main__":
    main()
