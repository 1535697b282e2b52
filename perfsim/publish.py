"""Publish briefing notes: run the briefing notebook with papermill, export self-contained HTML, print PDF.

The note's content is computed here (:func:`perfsim.briefing.note`), where perfsim is
already loaded, and handed to the notebook, which only displays it; the export keeps the
outputs (no code), charts as inline SVG, no script, nothing fetched from a network. The PDF
is printed by Chromium through Playwright (see :func:`print_pdf`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

from .analysis.metrics import require_grading
from .briefing import note, note_html
from .errors import PerfsimError
from .labels import check_lang, pick
from .note_words import TEXT
from .outputs import inside, markup, render_html, safe_name, scratch_folder, write_atomic, write_text
from .scenario import Scenario, find_file, load_scenario


def note_stem(scenario_id: str, params: Mapping[str, float] | None, vs: str | None, lang: str) -> str:
    """A note's file name says what it is: ``<scenario>__<changed parameters>.<lang>`` (readable, stable).

    A very long list of changes is shortened and given a digest, so two variants never share a name.
    """
    parts = [scenario_id]
    if params:
        changed = "_".join(f"{k}={float(v):g}" for k, v in sorted(params.items())).replace(":", "-").replace("/", "-")
        if len(changed) > 80:
            import hashlib

            changed = changed[:70] + "-" + hashlib.sha1(changed.encode()).hexdigest()[:8]
        parts.append(changed)
    if vs:
        parts.append(f"vs-{vs}")
    return safe_name("__".join(parts)) + f".{lang}"


def template_notebook() -> Path:
    """The briefing notebook: installed with the package, else the repository's notebooks/ copy."""
    packaged = resources.files("perfsim").joinpath("templates/briefing_note.ipynb")
    if packaged.is_file():
        return Path(str(packaged))
    beside = Path(__file__).resolve().parent.parent / "notebooks" / "06_briefing_note.ipynb"
    if beside.is_file():  # a source checkout or an editable install
        return beside
    return find_file("notebooks/06_briefing_note.ipynb")


def page(body: str, title: str, lang: str) -> str:
    """A self-contained HTML page around ``body`` (HTML perfsim built from escaped parts): inline CSS,
    a content security policy that lets no script run and nothing be fetched."""
    return render_html("page.html.j2", body=markup(body), title=title, lang=lang)


def export_html(notebook: Path, lang: str, title: str) -> str:
    """The executed notebook's outputs only (no code, no markdown), wrapped in :func:`page`.

    Outputs are taken as their richest safe form: HTML (the briefing's own escaped sections),
    inline SVG, PNG as a data URI, or escaped plain text. This is what nbconvert's HTML exporter
    does with ``exclude_input``; done directly it costs milliseconds instead of the tenth of a
    second nbconvert's template rendering takes per note, which matters for batches.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    pieces = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                pieces.append(render_html("pre.html.j2", text=output.get("text", "")))
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                if "text/html" in data:
                    pieces.append(data["text/html"])
                elif "image/svg+xml" in data:
                    pieces.append(data["image/svg+xml"])
                elif "text/plain" in data:
                    pieces.append(render_html("pre.html.j2", text=data["text/plain"]))
    return page("\n".join(pieces), title, lang)


@cache
def _kernel_manager() -> type:
    """A kernel manager whose connection file (and, where the path is short enough, Unix sockets)
    live in the scratch folder, so that they go when it goes.

    Unix sockets mean nothing listens on a TCP port; a socket path is limited to about 100 bytes,
    so a deep temp folder falls back to TCP on the loopback address.
    """
    import os
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ScratchKernelManager(AsyncKernelManager):  # type: ignore[misc]
        @default("connection_file")
        def _scratch_connection_file(self) -> str:
            return os.path.join(os.environ["JUPYTER_RUNTIME_DIR"], f"kernel-{uuid.uuid4().hex[:12]}.json")

        @default("transport")
        def _unix_sockets_if_they_fit(self) -> str:
            return "ipc" if len(os.environ["JUPYTER_RUNTIME_DIR"]) < 70 else "tcp"

    return ScratchKernelManager


def brief(
    scenario: str | Path | Scenario,
    out_dir: str | Path,
    *,
    vs: str | Path | Scenario | None = None,
    params: Mapping[str, float] | None = None,
    lang: str = "zh",
    name: str | None = None,
    pdf: bool = False,
) -> Path:
    """Execute the briefing notebook (papermill) and write a self-contained HTML briefing note.

    Parameters
    ----------
    scenario
        A scenario file or a loaded scenario.
    out_dir
        The folder the note goes into (made if missing).
    vs
        A baseline scenario on the same units (a file, a bundled name or a loaded scenario).
    params
        Parameter changes (a variant of ``scenario``).
    lang
        ``zh`` or ``en``.
    name
        The file name without ``.html`` (default ``<scenario>__<changes>.<lang>``).
    pdf
        Also print the note to a PDF beside it (Chromium through Playwright).

    Returns
    -------
    pathlib.Path
        The HTML file, written atomically into ``out_dir``.
    """
    import papermill

    check_lang(lang)
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)  # errors before any kernel
    spec = loaded.spec
    baseline = vs if isinstance(vs, Scenario) or vs is None else load_scenario(vs)
    for which in (loaded, baseline):
        if which is not None:
            require_grading(which.compiled, f"scenario '{which.spec.id}': a briefing note, which compares grades,")
    body = note_html(note(loaded, params, baseline, lang))
    target = inside(
        out_dir, (name or note_stem(spec.id, params, baseline.spec.id if baseline else None, lang)) + ".html"
    )
    if pdf:
        _chromium()  # a missing browser is reported before any work
    with scratch_folder() as tmp:
        executed = Path(tmp) / "briefing.ipynb"
        content = Path(tmp) / "content.json"
        content.write_text(json.dumps([body], ensure_ascii=False), encoding="utf-8")
        papermill.execute_notebook(
            str(template_notebook()),
            str(executed),
            kernel_name="python3",
            kernel_manager_class=_kernel_manager(),
            # the kernel's own log (transport notices) is not for a note's reader; errors still show
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            progress_bar=False,
            log_output=False,
            parameters={
                "scenario": str(loaded.path.resolve()),
                "baseline": str(baseline.path.resolve()) if baseline else "",
                "params": dict(params or {}),
                "lang": lang,
                "content": str(content),
            },
            cwd=tmp,
        )
        text = export_html(executed, lang, f"{TEXT[lang]['title']}: {pick(spec.name, lang)}")
        written = write_text(target, text)
        if pdf:
            print_pdf(written, written.with_suffix(".pdf"))
    return written


def _chromium() -> str:
    """The Chromium that prints PDFs: ``PERFSIM_CHROMIUM``, else the system's (Debian's ``chromium``)."""
    import os
    import shutil

    found = os.environ.get("PERFSIM_CHROMIUM") or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
    )
    try:
        import playwright  # noqa: F401
    except ImportError:
        found = None
    if not found:
        raise PerfsimError(
            "a PDF needs Chromium and the playwright package",
            field="--pdf",
            hint="pip install 'perfsim[pdf]' and install chromium (Debian: apt-get install chromium fonts-noto-cjk), "
            "or drop --pdf",
        )
    return found


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print a note to an A4 PDF with Chromium (fonts embedded, as the browser shows it), offline.

    Chromium prints exactly what the HTML note shows (the same CSS, the inline SVG chart), and
    the project already drives it for its browser tests; every request other than the note
    itself is refused, so printing cannot reach a network.
    """
    from playwright.sync_api import sync_playwright

    url = html_path.resolve().as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
            page.goto(url)
            data = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()
    return write_atomic(pdf_path, lambda tmp: tmp.write_bytes(data))
