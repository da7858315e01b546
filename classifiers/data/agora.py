"""The held-out Agora evaluation set: real darknet listings the classifier has never
seen, labeled by hand.

`agora_labels.jsonl` holds, for each of the 113 product pages a crawl of the
saved Agora Weapons section (2014-04-06, `shared/data/`) reaches, the page id,
its title and the labels a careful analyst gives it by `shared/LABELING.md`
(with a note where the call needs one). It holds no listing text: the text is
read from the saved pages with the demo source's own selectors, the way the
crawler reads it, when the set is built:

    .venv/bin/python -m classifiers.data.agora [OUT.jsonl]
    .venv/bin/armswatch evaluate agora_eval.jsonl

These pages are never trained or tuned on (`build.py` excludes every catalogue
row of that time); this set only measures.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import parsel

from armswatch.config import load_config
from armswatch.demo.agora import find_agora_dir
from crawlers.extraction import extract_fields

LABELS_FILE = Path(__file__).resolve().parent / "agora_labels.jsonl"
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "demo"


def build(out: Path, pages: Path | None = None) -> int:
    """Write the evaluation set (the guide's JSON Lines) to `out`; returns its size."""
    root = find_agora_dir(pages)
    if root is None:
        raise FileNotFoundError(
            "the saved Agora pages were not found: put shared/data/ beside the checkout "
            "or set ARMSWATCH_AGORA_DIR"
        )
    fields = load_config(DEMO_CONFIG).sources["agora"].fields
    records = []
    for line in LABELS_FILE.read_text(encoding="utf-8").splitlines():
        labeled = json.loads(line)
        page = root / "p" / labeled["page"]
        html = page.read_bytes().decode("utf-8", errors="replace")
        url = f"http://agora.example/p/{labeled['page']}"
        extracted = extract_fields(parsel.Selector(text=html), url, fields)
        if extracted.title != labeled["title"]:
            raise ValueError(f"{page}: title {extracted.title!r}, labeled {labeled['title']!r}")
        records.append(
            {
                "id": f"agora-{labeled['page']}",
                "title": extracted.title,
                "text": extracted.text,
                "lang": "en",
                "labels": labeled["labels"],
                "source": "agora-2014-04-06-weapons-html",
                "split": "test",
            }
        )
    out.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return len(records)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path("agora_eval.jsonl"))
    args = parser.parse_args(argv)
    try:
        count = build(args.out)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{count} labeled Agora listings written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
