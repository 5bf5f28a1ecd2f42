"""preview.html and the Parquet the Hub's viewer reads, on a release built from the test project: the page as
Chromium renders it, its highlighted spans against the Parquet rows, and the files' row groups and page index."""

from __future__ import annotations

from collections import defaultdict

import pyarrow.parquet as pq
import pytest

from builder.config import load_config
from builder.release.build import build_release
from builder.release.layout import CDC, ROW_GROUP_ROWS
from builder.release.preview import ROWS, highlighted
from tests.helpers.browser_fixture import browser  # noqa: F401
from tests.helpers.release_fixture import release_project


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("preview")
    return build_release(load_config(release_project(root))).path


def test_highlighted_pieces_carry_their_spans():
    text = "Presiden Joko Widodo tiba di Jakarta."
    page = highlighted(text, [("e0", "PER", 9, 20), ("e1", "LOC", 29, 36)], [("c0", "claim yes", 0, 36)])
    assert page.count('data-id="c0"') == 4  # the claim is cut by the entities' boundaries into four pieces
    assert page.count('data-id="e0"') == 1 and 'data-start="29" data-end="36"' in page
    assert highlighted("a < b", [], []) == "a &lt; b"


def test_preview_in_chromium_shows_the_parquet_spans(release, browser, tmp_path):  # noqa: F811
    assert (release / "preview.html").is_file()
    assert "preview.html" in __import__("json").loads((release / "manifest.json").read_text())["files"]
    page = browser.new_page(viewport={"width": 1200, "height": 1600})
    page.goto((release / "preview.html").as_uri())
    for config in ("documents", "claims", "ner"):
        for split in ("train", "validation", "test"):
            files = sorted((release / "data" / config).glob(f"{split}-*.parquet"))
            if not files:
                continue
            rows = pq.read_table(files[0]).slice(0, ROWS).to_pylist()
            section = page.locator(f'section[data-config="{config}"][data-split="{split}"]')
            assert section.locator(".row").count() == len(rows)
            if config == "ner":
                continue  # its spans come from tags; checked through documents, whose entities they are
            kind = "ent" if config == "documents" else "claim"
            for r in rows:
                shown: dict[str, list[str]] = defaultdict(list)
                bounds: dict[str, tuple[int, int]] = {}
                for piece in section.locator(f'.row[data-row="{r["id"]}"] span.{kind}').all():
                    sid = piece.get_attribute("data-id")
                    shown[sid].append(piece.inner_text())
                    bounds[sid] = (int(piece.get_attribute("data-start")), int(piece.get_attribute("data-end")))
                shift = 0 if config == "documents" else r["start"]  # claims: offsets into the document
                layer = (r["entities"] if config == "documents" else r["claims"]) or []
                assert set(shown) == {span["id"] for span in layer}
                for span in layer:
                    a, b = span["offsets"][0][0] - shift, span["offsets"][-1][1] - shift
                    assert bounds[span["id"]] == (a, b)
                    if len(span["offsets"]) == 1 and 0 <= a and b <= len(r["text"]):
                        # the rendered pieces put together are the span's text
                        assert "".join(shown[span["id"]]).replace("\n", "") == r["text"][a:b].replace("\n", "")
                        assert r["text"][a:b] == "".join(span["text"])
    shot = tmp_path / "preview.png"
    page.screenshot(path=str(shot), full_page=True)
    from PIL import Image

    image = Image.open(shot).convert("L")
    assert image.getextrema()[0] < 100 and sum(1 for n in image.histogram() if n) > 20  # text and charts drawn
    page.close()


def test_parquet_has_a_page_index_and_viewer_sized_row_groups(release):
    for path in sorted((release / "data").rglob("*.parquet")):
        meta = pq.ParquetFile(path).metadata
        assert all(meta.row_group(k).num_rows <= ROW_GROUP_ROWS for k in range(meta.num_row_groups))
        assert all(meta.row_group(k).total_byte_size <= 300 << 20 for k in range(meta.num_row_groups))
        column = meta.row_group(0).column(0)
        assert column.has_offset_index and column.has_column_index is not None
    assert CDC  # pyarrow >= 21 (constraints.txt pins 24): content-defined chunking is on
