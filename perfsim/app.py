"""``perfsim explore``: the scheme explorer as a standalone web app on localhost (Voilà).

Voilà runs the explorer notebook (``notebooks/01_scheme_explorer.ipynb``, installed with the
package) and shows its outputs only: no code cell, no editor, and a browser can send the kernel
widget messages but no code. The command's scenario and folders reach the notebook's kernel in
the environment (:data:`SETTINGS_ENV`). A kernel is started and the notebook run
before the first visit (Voilà's pre-heated kernel), so the page shows results at once.

The page fetches nothing from outside localhost: the widgets' and the chart's JavaScript come
from the installed Jupyter extensions and Altair's offline bundle, and a template based on
Voilà's ``lab`` template drops its two CDN stylesheets. Briefing notes written from the app are
served under ``/perfsim/briefings/``. Ctrl-C (or SIGTERM) stops the server and its kernels.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import threading
import webbrowser
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import PerfsimError
from .scenario import is_scenario_file, list_scenarios, load_scenario, resolve_scenario

SETTINGS_ENV = "PERFSIM_EXPLORE"
"""JSON settings ``perfsim explore`` hands to the explorer notebook's kernel: scenario, scenario folders,
save folder, briefing folder, the URL briefing notes are served under, and the language at start."""
BRIEFINGS_URL = "/perfsim/briefings/"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "voila"


def explorer_notebook() -> Path:
    """The explorer notebook: installed with the package, else the repository's ``notebooks/`` copy."""
    packaged = resources.files("perfsim").joinpath("templates/scheme_explorer.ipynb")
    if packaged.is_file():
        return Path(str(packaged))
    beside = Path(__file__).resolve().parent.parent / "notebooks" / "01_scheme_explorer.ipynb"
    if beside.is_file():
        return beside
    raise PerfsimError(
        "the explorer notebook is not installed", hint="reinstall perfsim (pip install .) from a full source tree"
    )


@dataclass
class Settings:
    """What ``perfsim explore`` serves.

    Attributes
    ----------
    scenario
        The scenario shown first.
    scenario_folders
        Folders whose scenarios the dropdown lists (the scenario's own folder first).
    save_folder
        Where saved scenarios go (also listed in the dropdown).
    briefing_folder
        Where "Brief from these settings" writes notes.
    lang
        ``zh`` or ``en`` at start.
    """

    scenario: Path
    scenario_folders: list[Path]
    save_folder: Path
    briefing_folder: Path
    lang: str = "zh"

    def environment(self) -> str:
        """The settings as the notebook's kernel reads them (:data:`SETTINGS_ENV`)."""
        return json.dumps(
            {
                "scenario": str(self.scenario),
                "scenario_folders": [str(f) for f in self.scenario_folders],
                "save_folder": str(self.save_folder),
                "briefing_folder": str(self.briefing_folder),
                "briefing_url": BRIEFINGS_URL,
                "lang": self.lang,
            }
        )


def settings_for(
    scenario: Path | None,
    save_folder: Path,
    briefing_folder: Path,
    lang: str = "zh",
    scenarios: Path = Path("scenarios"),
) -> Settings:
    """Resolve the command line into :class:`Settings`, checking every path before a server starts.

    Without ``scenario``, the first scenario in ``scenarios`` (the bundled folder) is shown.

    Raises
    ------
    PerfsimError
        For a scenario that is not a scenario file, or no scenario to show.
    """
    folders = [scenarios.resolve()] if scenarios.is_dir() else []
    if scenario is None:
        found = list_scenarios(scenarios) if scenarios.is_dir() else []
        if not found:
            raise PerfsimError(
                "no scenario to explore",
                hint="name one (perfsim explore scenarios/qitai-county.yaml) or run where scenarios/ is",
            )
        qitai = [p for p, _ in found if p.name == "qitai-county.yaml"]
        scenario = qitai[0] if qitai else found[0][0]
    elif not is_scenario_file(scenario := resolve_scenario(scenario)):  # a file or a bundled name
        raise PerfsimError(f"{scenario} is not a scenario file", hint="explore a scenarios/<name>.yaml file")
    load_scenario(scenario)  # every mistake in it, its scheme or its data reported here, before a server starts
    scenario = scenario.resolve()
    if scenario.parent not in folders:
        folders.insert(0, scenario.parent)
    for folder, what in ((save_folder, "save folder"), (briefing_folder, "briefing folder")):
        if folder.exists() and not folder.is_dir():
            raise PerfsimError(f"the {what} is a file", file=folder, hint="name a folder")
    return Settings(scenario, folders, save_folder.resolve(), briefing_folder.resolve(), lang)


def _check_port(host: str, port: int) -> None:
    """A port given on the command line must be free: said plainly, not as a server's log line."""
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PerfsimError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc})",
                field="--port",
                hint="choose another port, or leave --port out to take the next free one from 8866",
            ) from None


def _voila_class() -> type:
    """Voilà's app with the perfsim template, the briefing folder served, and the URL printed when ready."""
    from jupyter_server.base.handlers import AuthenticatedFileHandler
    from voila.app import Voila

    class PerfsimVoila(Voila):  # type: ignore[misc]
        briefing_folder = ""
        show_url: Any = None
        """Called with the URL once the server listens (Voilà's place to open a browser)."""

        def setup_template_dirs(self) -> None:
            super().setup_template_dirs()
            found: list[str] = list(self.template_paths)  # type: ignore[has-type]
            self.template_paths = [str(TEMPLATE_DIR), *found]

        def init_handlers(self) -> list:
            handlers = super().init_handlers()
            served = (f"{BRIEFINGS_URL}(.*)", AuthenticatedFileHandler, {"path": self.briefing_folder})
            return [served, *handlers]  # before the notebook's catch-all route

        def launch_browser(self) -> None:
            if self.show_url is not None:
                self.show_url(self)

    return PerfsimVoila


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    open_browser: bool = True,
    token: str | None = None,
) -> int:
    """Serve the explorer until Ctrl-C; prints its URL (with the access token) once it listens.

    Parameters
    ----------
    settings
        From :func:`settings_for`.
    host
        The address to listen on (localhost by default; the app has no other protection than its token).
    port
        The port (default 8866, or the next free one).
    open_browser
        Also open the URL in the default browser.
    token
        The access token in the URL (default: a new random one).

    Returns
    -------
    int
        0 once stopped.
    """
    from traitlets.config import Config

    if port is not None:
        _check_port(host, port)
    notebook = explorer_notebook()
    token = secrets.token_urlsafe(24) if token is None else token
    os.environ[SETTINGS_ENV] = settings.environment()
    config = Config()
    config.Voila.ip = host
    config.Voila.port = port if port is not None else 8866
    config.Voila.port_retries = 0 if port is not None else 50
    config.Voila.open_browser = True  # the hook below prints the URL; it opens a browser only if asked
    config.Voila.token = token
    config.Voila.log_level = "WARN"
    config.VoilaConfiguration.preheat_kernel = True  # the notebook runs before the first visit
    config.VoilaConfiguration.default_pool_size = 1
    # the next visit's kernel is started a while after the first is taken, not while its page is still loading
    config.VoilaKernelManager.fill_delay = 30.0
    config.VoilaConfiguration.show_tracebacks = False
    # only the front-end extensions the explorer uses: others installed for JupyterLab (jupytext's, say)
    # expect JupyterLab's document manager, which Voilà does not have, and fail in the console
    config.VoilaConfiguration.extension_allowlist = [
        "@voila-dashboards/widgets-manager8",
        "@voila-dashboards/widgets-manager7",
        "@jupyter-widgets/jupyterlab-manager",
        "anywidget",
    ]
    config.KernelManager.transport = "ipc"  # kernel sockets in Voilà's private folder, not on TCP ports

    app = _voila_class()(config=config)
    app.briefing_folder = str(settings.briefing_folder)

    def show_url(running: Any) -> None:
        url = f"http://{host}:{running.port}/?token={token}"
        print(f"perfsim explore: {url}", flush=True)
        print("  (Ctrl-C stops the server)", flush=True)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    app.show_url = show_url
    app.initialize([str(notebook)])
    app.start()  # returns after Ctrl-C or SIGTERM, kernels shut down
    print("perfsim explore: stopped", file=sys.stderr, flush=True)
    return 0
