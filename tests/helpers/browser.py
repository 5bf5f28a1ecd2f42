"""An annotator in Label Studio's web UI: Debian's Chromium driven by Playwright, with real mouse selections.

Everything goes through what a person sees and does: the login form, the label stream, label buttons, a mouse
press on a span's first character and a release on its last, clicks on highlights, the Create Relation button,
the Relations tab, checkboxes, Submit, Skip and Cancel skip. Offsets are turned into screen positions through a
DOM Range over the rendered text nodes (the UI draws line breaks as elements, so the rendered text is the task
text without `\\r` and `\\n`, in UTF-16 units).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TEXT = ".lsf-richtext__container"
TIMEOUT_MS = 30_000

# the screen boxes of the first and last character of a span given in code points of the rendered text
_BOXES = """([start, end]) => {
  const root = document.querySelector('.lsf-richtext__container');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = []; let n; while ((n = walker.nextNode())) nodes.push(n);
  const full = nodes.map(x => x.data).join('');
  const pos = []; let u = 0; for (const c of Array.from(full)) { pos.push(u); u += c.length; } pos.push(u);
  function at(off) { let acc = 0; for (const x of nodes) { if (off < acc + x.data.length) return [x, off - acc];
                     acc += x.data.length; } return null; }
  function box(off) { const [node, o] = at(off); const r = document.createRange(); r.setStart(node, o);
                      r.setEnd(node, o + 1); const b = r.getClientRects()[0] || r.getBoundingClientRect();
                      return {x: b.left, y: b.top, w: b.width, h: b.height}; }
  return {first: box(pos[start]), last: box(pos[end] - 1), text: full};
}"""
_RENDERED = """() => { const w = document.createTreeWalker(document.querySelector('.lsf-richtext__container'),
  NodeFilter.SHOW_TEXT); let s = ''; let n; while ((n = w.nextNode())) s += n.data; return s; }"""


def ensure_chromium() -> str:
    """The path of Debian's Chromium, installed with apt-get when missing and allowed (root); otherwise the test
    fails (it must run in CI, never skip), saying how to install it."""
    found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
            if done.returncode:
                pytest.fail(f"{' '.join(cmd)} failed: {done.stderr[-600:]}", pytrace=False)
        found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if not found:
        pytest.fail("Debian's chromium is not installed: run `apt-get install -y chromium` as root "
                    "(.ci/run and the test setup do it when they run as root)", pytrace=False)
    return found


def launch(playwright: Any) -> Any:
    """Debian's Chromium under Playwright (`playwright install` downloads browsers, which cannot work here)."""
    return playwright.chromium.launch(executable_path=ensure_chromium(), headless=True, args=ARGS)


def _rendered_offset(text: str, offset: int) -> int:
    return len(text[:offset].replace("\r", "").replace("\n", ""))


class Annotator:
    """One person's browser page."""

    def __init__(self, browser: Any, url: str, email: str, password: str, shots: Path) -> None:
        self.url, self.email, self.password, self.shots = url.rstrip("/"), email, password, shots
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda d: d.accept())  # "delete all regions?" asks the browser's confirm
        self.text = ""

    # ---- pages -----------------------------------------------------------------------------------------------

    def login(self) -> None:
        self.page.goto(f"{self.url}/user/login/")
        self.page.fill('input[name="email"]', self.email)
        self.page.fill('input[name="password"]', self.password)
        self.page.click('button[type="submit"]')
        self.page.wait_for_url(lambda u: "/user/login" not in u)

    def _loaded(self, text: str) -> None:
        self.page.wait_for_selector(TEXT)
        self.page.keyboard.press("Escape")  # the instructions open first
        self.page.wait_for_timeout(500)
        self.text = text
        rendered = self.page.evaluate(_RENDERED)
        assert rendered == text.replace("\r", "").replace("\n", ""), "the UI shows another text than the task's"

    def open_stream(self, project_id: int, texts: dict[str, str]) -> str:
        """The next task of the label stream; returns its document id, read from the task's header."""
        self.page.goto(f"{self.url}/projects/{project_id}/data?labeling=1")
        return self._identify(texts)

    def _identify(self, texts: dict[str, str]) -> str:
        self.page.wait_for_selector(TEXT)
        header = self.header()
        # a review task's header is the document's, followed by what is disputed in parentheses
        doc = next((d for d in texts if header == d or header.startswith(f"{d} (")), None)
        assert doc is not None, f"the task header shows {header!r}, not a document id or title"
        self._loaded(texts[doc])
        return doc

    def open_task(self, project_id: int, task_id: int, text: str) -> None:
        self.page.goto(f"{self.url}/projects/{project_id}/data?task={task_id}")
        self._loaded(text)

    def header(self) -> str:
        return self.page.locator("h3").first.inner_text()  # the config's first Header: $title

    def screenshot(self, name: str) -> Path:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # ---- regions ---------------------------------------------------------------------------------------------

    def highlights(self) -> list[str]:
        return [h.inner_text() for h in self.page.locator(".htx-highlight").all()]

    def delete_all_regions(self) -> None:
        self.page.locator(TEXT).click(position={"x": 2, "y": 2})
        self.page.keyboard.press("Control+Backspace")
        self.page.wait_for_timeout(400)

    def use_label(self, name: str) -> None:
        """Make `name` the only active label button (several controls can each keep one active)."""
        for lab in self.page.locator(".lsf-label.lsf-label_selected").all():
            if lab.locator(".lsf-label__text").inner_text() != name:
                lab.click()
        target = self.page.locator(".lsf-label").filter(
            has=self.page.locator(".lsf-label__text", has_text=name)).first
        if "lsf-label_selected" not in (target.get_attribute("class") or ""):
            target.click()

    def _clear_labels(self) -> None:
        for lab in self.page.locator(".lsf-label.lsf-label_selected").all():
            lab.click()

    def mark(self, label: str, start: int, end: int) -> None:
        """Choose the label, then press the mouse on the span's first character and release on its last."""
        self.page.keyboard.press("Escape")  # no region selected: a new one is made
        self.use_label(label)
        s, e = _rendered_offset(self.text, start), _rendered_offset(self.text, end)
        boxes = self.page.evaluate(_BOXES, [s, e])
        first, last = boxes["first"], boxes["last"]
        if not (0 <= first["y"] <= 900 and 0 <= last["y"] <= 900):
            self.page.mouse.wheel(0, first["y"] - 400)
            self.page.wait_for_timeout(300)
            boxes = self.page.evaluate(_BOXES, [s, e])
            first, last = boxes["first"], boxes["last"]
        before = self.page.locator(".htx-highlight").count()
        self.page.mouse.move(first["x"] + 1, first["y"] + first["h"] / 2)
        self.page.mouse.down()
        self.page.mouse.move(last["x"] + last["w"] - 1, last["y"] + last["h"] / 2, steps=5)
        self.page.mouse.up()
        self.page.wait_for_timeout(300)
        assert self.page.locator(".htx-highlight").count() > before, f"no region was made for {label} {start}:{end}"
        self._clear_labels()

    def click_region(self, start: int) -> None:
        """Select the region whose first character is at `start` by clicking that character."""
        s = _rendered_offset(self.text, start)
        box = self.page.evaluate(_BOXES, [s, s + 1])["first"]
        self.page.mouse.click(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
        self.page.wait_for_timeout(400)

    def delete_region(self, start: int) -> None:
        self.click_region(start)
        self.page.get_by_role("button", name="Delete selected region").click()
        self.page.wait_for_timeout(300)

    def check(self, value: str) -> None:
        """Tick the (visible) choice `value`: a per-region choice of the selected region, or a document label."""
        box = self.page.locator(f'input.ant-checkbox-input[name="{value}"]').first
        if not box.is_checked():  # a click on a ticked box would untick it
            box.click()
        assert box.is_checked(), f"choice {value} did not stick"

    def relate(self, target_start: int, label: str) -> None:
        """Draw a relation from the selected region to the one at `target_start` and label it. (Clicking the
        selected region again would unselect it.)"""
        self.page.get_by_role("button", name="Create Relation").click()
        self.page.wait_for_timeout(300)
        self.click_region(target_start)
        tab = self.page.locator(".lsf-panel-tabs__tab").filter(has_text="Relations").first
        tab.click()
        item = self.page.locator(".lsf-relations__item").last
        item.hover()
        self.page.locator('.lsf-relations [aria-label="Show Relation Labels"]').last.click()
        self.page.get_by_text("Select labels").last.click()
        self.page.get_by_text(label, exact=True).last.click()
        self.page.keyboard.press("Escape")
        self.page.locator(".lsf-panel-tabs__tab").filter(has_text="Regions").first.click()

    def claim(self, start: int, end: int, checkworthy: str, kind: str, speaker_start: int | None = None) -> None:
        """Mark a claim, choose its check-worthiness and kind, and draw its `said_by` speaker when given."""
        self.mark("CLAIM", start, end)
        self.click_region(start)
        self.check(checkworthy)
        self.check(kind)
        if speaker_start is not None:
            self.relate(speaker_start, "said_by")
            self.page.keyboard.press("Escape")

    # ---- versions: other annotations and predictions of the task -----------------------------------------------

    def version_tabs(self) -> list[str]:
        return [t.inner_text().split("\n")[0] for t in self.page.locator(".lsf-annotation-button").all()]

    def duplicate_version(self, name: str) -> None:
        """Take over the version (prediction or annotation tab) named `name`: its menu, Duplicate Annotation."""
        tab = self.page.locator(".lsf-annotation-button").filter(has_text=name).first
        tab.click()
        self.page.wait_for_timeout(400)
        tab.hover()
        tab.locator(".lsf-annotation-button__trigger").click()
        self.page.get_by_text("Duplicate Annotation").click()
        self.page.wait_for_timeout(800)

    # ---- submit, skip ----------------------------------------------------------------------------------------

    def warnings(self) -> list[str]:
        return [line for line in self.page.inner_text("body").splitlines() if "required" in line.lower()]

    def submit(self) -> None:
        self.page.get_by_role("button", name="Submit current annotation").click()
        self.page.wait_for_timeout(1500)
        assert not self.warnings(), f"Submit was refused: {self.warnings()}"

    def update(self) -> None:
        """Save changes to an annotation submitted before (the button reads Update)."""
        self.page.locator('button[aria-label="submit"]').filter(has_text="Update").click()
        self.page.wait_for_timeout(1500)
        assert not self.warnings(), f"Update was refused: {self.warnings()}"

    def skip(self) -> None:
        self.page.locator('button[aria-label="skip-task"]').click()
        self.page.wait_for_timeout(1500)

    def cancel_skip(self) -> None:
        self.page.locator('button[aria-label="cancel-skip"]').click()
        self.page.wait_for_timeout(1500)

    def close(self) -> None:
        self.context.close()


@contextmanager
def screenshots_on_failure(people: list[Annotator], name: str) -> Iterator[None]:
    """Save every page's screenshot when the block fails, and say where they are."""
    try:
        yield
    except BaseException:
        saved = []
        for who in people:
            try:
                saved.append(str(who.screenshot(f"{name}-{who.email.split('@')[0]}")))
            except Exception:  # the page may be gone; the original failure matters more
                pass
        print(f"screenshots: {', '.join(saved) or 'none could be taken'}")
        raise
