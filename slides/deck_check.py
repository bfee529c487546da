"""Open a built deck in headless Chromium and measure it: every slide fits, nothing is remote.

One implementation for `slides/check_deck.py` (the command) and tests/test_slides.py.

Chromium is driven by Playwright (PyPI `playwright`) through the Chrome DevTools protocol,
using the system browser (/usr/bin/chromium), so nothing is downloaded. Playwright sees
every request the page makes, whatever starts it (a <script src>, a CSS @import, a font,
an ES-module `import`), which a search of the HTML for src/href cannot; every host name
is also made unresolvable (--host-resolver-rules), so a remote request cannot succeed
and hide a missing local file.

A slide is measured at the deck's configured size (reveal.js width x height, 1280x720
for the course), after reveal.js laid it out and MathJax typeset it:
- too tall: the slide's content is taller than the slide, or some box inside it (a
  scrolled output, say) is cut off or scrolls vertically;
- too wide: the content is wider than the slide, or some box inside it (typically the
  <pre> of a code cell with a long line) is cut off or scrolls horizontally
  (scrollWidth > clientWidth);
- and, either way, any visible element whose box lies outside the slide window.
Transitions are switched off first, and each slide is measured after MathJax has finished
re-typesetting it (the deck re-typesets a slide when it is shown).
Every slide is measured, the vertical sub-slides of a slide too, with all its fragments shown.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

TOLERANCE_PX = 4  # sub-pixel rounding, font hinting; a cut line of code is ~10 px or more
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
CHROMIUM_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic", "--no-first-run", "--disable-gpu", "--no-sandbox",
    "--allow-file-access-from-files",
]


def cell_ids(notebook: Path) -> dict[str, int]:
    """Cell id -> index in the notebook's cell list, to name a slide by the cell it starts with."""
    import nbformat

    return {cell.get("id"): index for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells)}


def chromium_path() -> str | None:
    """The system Chromium: $CHROMIUM, or chromium / chromium-browser on the PATH."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Overflow:
    """A slide that does not fit: `h`/`v` are reveal.js indices (the deck's URL #/h/v)."""
    h: int
    v: int
    first_line: str
    too_tall: int
    too_wide: int
    cell: int | None = None  # index of the slide's first notebook cell, when known
    culprit: str = ""        # the box that is cut or scrolls, if that is the problem

    def describe(self, deck: str) -> str:
        parts = [f"{self.too_tall} px too tall"] if self.too_tall > TOLERANCE_PX else []
        parts += [f"{self.too_wide} px too wide"] if self.too_wide > TOLERANCE_PX else []
        where = f"#/{self.h}/{self.v}" + (f" (cell {self.cell})" if self.cell is not None else "")
        culprit = f" [{self.culprit}]" if self.culprit else ""
        return f"{deck} slide {where}: {', '.join(parts)}{culprit}: {self.first_line!r}"


@dataclass
class DeckReport:
    deck: str
    width: int = 0
    height: int = 0
    slides: int = 0                 # horizontal slides
    measured: int = 0               # every slide and sub-slide
    overflows: list[Overflow] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)  # local files that did not load
    outside_folder: list[str] = field(default_factory=list)   # local files outside the deck's folder
    broken_images: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)           # page errors, reveal/MathJax not starting
    first_slide_text: str = ""
    images: int = 0                  # <img> elements that loaded
    mathjax_typeset: int = 0         # formulas MathJax rendered

    @property
    def ok(self) -> bool:
        return not (self.overflows or self.remote_requests or self.failed_requests
                    or self.outside_folder or self.broken_images or self.errors)

    def lines(self) -> list[str]:
        out = [o.describe(self.deck) for o in self.overflows]
        out += [f"{self.deck}: remote request {url}" for url in self.remote_requests]
        out += [f"{self.deck}: local file did not load: {what}" for what in self.failed_requests]
        out += [f"{self.deck}: loads a file outside its folder: {url}" for url in self.outside_folder]
        out += [f"{self.deck}: figure did not load: {src}" for src in self.broken_images]
        out += [f"{self.deck}: {error}" for error in self.errors]
        return out

    def summary(self) -> str:
        state = "ok" if self.ok else f"{len(self.overflows)} slides do not fit"
        return (f"{self.deck}: {self.measured} slides measured at {self.width}x{self.height}, {state}, "
                f"{len(self.remote_requests)} remote requests")


# Runs inside the page: walks every slide and sub-slide, measures each, returns plain data.
MEASURE_JS = """
async ([tolerance]) => {
  const R = window.Reveal;
  const mathjax = () => new Promise(done => {
    if (window.MathJax && MathJax.Hub && MathJax.Hub.Queue) MathJax.Hub.Queue(done); else done();
  });
  const frames = () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  const { width, height } = R.getConfig();
  const firstLine = (slide) => {
    const text = (slide.innerText || slide.textContent || "").split("\\n").map(s => s.trim());
    return (text.find(s => s.length) || "").slice(0, 80);
  };
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.className && typeof el.className === "string") name += "." + el.className.trim().split(/\\s+/).join(".");
    const text = (el.textContent || "").trim().split("\\n")[0].slice(0, 40);
    return text ? `${name} "${text}"` : name;
  };
  R.configure({transition: "none", backgroundTransition: "none"});  // measure the final layout, not a frame of it
  const results = [];
  const slides = R.getHorizontalSlides();
  for (let h = 0; h < slides.length; h++) {
    const stack = Array.from(slides[h].querySelectorAll(":scope > section"));
    const count = Math.max(stack.length, 1);
    for (let v = 0; v < count; v++) {
      R.slide(h, v, 1000000);  // every fragment shown
      await mathjax();
      await frames();
      R.layout();
      await mathjax();  // the deck re-typesets a slide when it is shown: wait for that too
      await frames();
      const slide = R.getCurrentSlide();
      let tooTall = slide.scrollHeight - height, tooWide = slide.scrollWidth - width, culprit = "";
      // every element's box against the slide window (the .slides box, scaled by reveal.js)
      const frame = document.querySelector(".reveal .slides").getBoundingClientRect();
      const scale = frame.height / height || 1;
      for (const el of slide.querySelectorAll("*")) {
        const style = getComputedStyle(el);
        if (style.display === "none") continue;
        if (style.visibility !== "hidden" && !el.closest("aside.notes")) {
          const box = el.getBoundingClientRect();
          if (box.width > 0 && box.height > 0) {
            const below = Math.max(box.bottom - frame.bottom, frame.top - box.top) / scale;
            const beside = Math.max(box.right - frame.right, frame.left - box.left) / scale;
            const outside = describe(el) + " outside the slide";
            if (below > tolerance && below > tooTall) { tooTall = below; culprit = outside; }
            if (beside > tolerance && beside > tooWide) { tooWide = beside; culprit = outside; }
          }
        }
        const cutX = style.overflowX !== "visible" ? el.scrollWidth - el.clientWidth : 0;
        const cutY = style.overflowY !== "visible" ? el.scrollHeight - el.clientHeight : 0;
        if (cutX > tolerance && cutX > tooWide) { tooWide = cutX; culprit = describe(el) + " cut at the right"; }
        if (cutY > tolerance && cutY > tooTall) { tooTall = cutY; culprit = describe(el) + " cut at the bottom"; }
      }
      const cell = slide.querySelector(".jp-Cell[id]");
      results.push({h, v, tooTall: Math.round(tooTall), tooWide: Math.round(tooWide), culprit,
                    firstLine: firstLine(slide), cellId: cell ? cell.id.replace(/^cell-id=/, "") : null});
    }
  }
  R.slide(0, 0);
  const broken = Array.from(document.images).filter(img => !img.complete || img.naturalWidth === 0)
                      .map(img => (img.getAttribute("src") || "").slice(0, 80));
  return {width, height, slides: slides.length, results, broken, images: document.images.length - broken.length,
          typeset: document.querySelectorAll(".MathJax_CHTML").length};
}
"""

START_JS = """
async () => {
  if (window.MathJax && MathJax.Hub && MathJax.Hub.Register)
    await new Promise(done => MathJax.Hub.Register.StartupHook("End", done));
  await new Promise(done => (window.MathJax && MathJax.Hub) ? MathJax.Hub.Queue(done) : done());
  await document.fonts.ready;
  const slide = window.Reveal.getCurrentSlide();
  return (slide.innerText || "").trim().split("\\n")[0];
}
"""


def check_deck(deck: Path, cell_ids: dict[str, int] | None = None, *, browser=None,
               timeout_s: float = 60) -> DeckReport:
    """Open `deck` (an HTML file) and measure every slide; `cell_ids` maps cell ids to indices.

    Pass a Playwright `browser` to reuse one; otherwise one Chromium is started for this deck.
    """
    if browser is None:
        with open_browser() as own:
            return check_deck(deck, cell_ids, browser=own, timeout_s=timeout_s)
    report = DeckReport(deck.name.removesuffix(".slides.html"))
    context = browser.new_context(viewport={"width": 1280, "height": 720}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(timeout_s * 1000)

    folder = deck.resolve().parent.as_uri() + "/"

    def on_request(request):
        if not request.url.startswith(LOCAL_SCHEMES):
            report.remote_requests.append(request.url)
        elif request.url.startswith("file:") and not request.url.startswith(folder):
            report.outside_folder.append(request.url)

    def on_failed(request):
        if request.url.startswith("file:"):
            report.failed_requests.append(f"{request.url} ({request.failure})")

    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("pageerror", lambda error: report.errors.append(f"script error: {error}"))
    try:
        page.goto(deck.resolve().as_uri(), wait_until="load")
        try:
            page.wait_for_function("() => window.Reveal && window.Reveal.isReady && window.Reveal.isReady()",
                                   timeout=timeout_s * 1000)
        except Exception:  # noqa: BLE001 -- reported, not raised: the rest of the report still helps
            report.errors.append("reveal.js did not start (is vendor/ next to the deck?)")
            return report
        report.first_slide_text = page.evaluate(START_JS)
        config = page.evaluate("() => window.Reveal.getConfig()")
        page.set_viewport_size({"width": int(config["width"]), "height": int(config["height"])})
        measured = page.evaluate(MEASURE_JS, [TOLERANCE_PX])
    finally:
        context.close()
    report.width, report.height = measured["width"], measured["height"]
    report.slides, report.measured = measured["slides"], len(measured["results"])
    report.broken_images = measured["broken"]
    report.images = measured["images"]
    report.mathjax_typeset = measured["typeset"]
    for r in measured["results"]:
        if r["tooTall"] > TOLERANCE_PX or r["tooWide"] > TOLERANCE_PX:
            cell = (cell_ids or {}).get(r["cellId"]) if r["cellId"] else None
            report.overflows.append(Overflow(r["h"], r["v"], r["firstLine"], max(r["tooTall"], 0),
                                             max(r["tooWide"], 0), cell, r["culprit"]))
    return report


class open_browser:
    """Headless system Chromium under Playwright, closed on exit (a context manager)."""

    def __enter__(self):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as error:
            raise RuntimeError("the deck check needs Playwright: pip install -r requirements.txt") from error
        executable = chromium_path()
        if executable is None:
            raise RuntimeError("Chromium is needed to check the decks: apt-get install chromium")
        self._playwright = sync_playwright().start()
        try:
            self.browser = self._playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception:
            self._playwright.stop()
            raise
        return self.browser

    def __exit__(self, *exc):
        self.browser.close()
        self._playwright.stop()
