"""`make lab` as students and presenters see it: the real JupyterLab server, started by the
Makefile's own command line, serves every figure a notebook links, and RISE shows only the slide.

The server listens on 127.0.0.1 at a free port with a random token, keeps its runtime files
and workspaces in a temporary folder, and is stopped at the end of the module.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .conftest import NOTEBOOKS, ROOT, linked_images

pytestmark = pytest.mark.integration  # a browser / a Jupyter server: not in `make unit`

START_TIMEOUT_S = 120  # two loaded cores start JupyterLab in 5-20 s


def server_path(notebook: Path, link: str) -> str:
    """The path JupyterLab asks its server for: the link resolved against the notebook's folder."""
    target = (notebook.parent / urllib.parse.unquote(link.split("#")[0].split("?")[0])).resolve()
    return target.relative_to(ROOT).as_posix()  # ValueError: outside the served tree, never loads


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_command(extra_args: list[str]) -> list[str]:
    """`make lab`'s JupyterLab command line (tools/tasks.py, which the Makefile calls), as its dry run prints it."""
    printed = subprocess.run(
        [sys.executable, "tools/tasks.py", "--dry-run", "lab", "--", *extra_args],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    lines = [line for line in printed if "-m jupyter lab" in line]
    assert len(lines) == 1, printed
    return shlex.split(lines[0])


class Lab:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def get(self, path: str, redirect: bool = True) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"token {self.token}"})
        opener = urllib.request.build_opener(*(() if redirect else (NoRedirect(),)))
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("jupyter")
    port, token = free_port(), secrets.token_hex(16)
    args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Docker, CI: what the README says to pass
        args.append("--allow-root")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"))
    log = open(home / "server.log", "w+")
    server = subprocess.Popen(lab_command(args), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    client = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                log.seek(0)
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read()[-3000:]}")
            try:
                if client.get("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.5)
        yield client
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_the_notebooks_link_figures():
    """The image test below must have something to fetch (lecture 03 shows a diagram)."""
    assert any(link.startswith("../images/") for _, link in linked_images())


@pytest.mark.parametrize("notebook,link", linked_images(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_linked_figure_loads_through_the_server(lab, notebook, link):
    try:
        path = server_path(notebook, link)
    except ValueError:
        pytest.fail(f"{notebook.name} links {link}, outside the repository that `make lab` serves")
    status, headers, body = lab.get("/files/" + urllib.parse.quote(path))
    assert status == 200, f"{notebook.name}: {link} -> /files/{path} answered {status}"
    assert headers.get("Content-Type", "").startswith("image/"), headers.get("Content-Type")
    assert body == (ROOT / path).read_bytes()


def test_lab_opens_on_the_lectures_folder(lab):
    status, headers, _ = lab.get("/", redirect=False)
    assert status in (301, 302) and headers["Location"].split("?")[0].endswith("/lab/tree/notebooks"), headers
    status, _, body = lab.get("/api/contents/notebooks?content=1")
    names = {item["name"] for item in json.loads(body)["content"]}
    assert status == 200 and {nb.name for nb in NOTEBOOKS} <= names


def test_rise_presents_a_notebook_of_the_served_tree(lab):
    status, _, body = lab.get("/rise/" + NOTEBOOKS[0].relative_to(ROOT).as_posix())
    assert status == 200 and b"<html" in body.lower()


def test_rise_settings_hide_the_add_a_cell_bar(lab):
    """The settings `make setup` installs reach the server (and so RISE, which reads the same).

    overrides.json replaces the defaults of the settings' schema; a user's own settings still win.
    """
    status, _, body = lab.get("/lab/api/settings/jupyterlab-rise:plugin")
    assert status == 200
    header = json.loads(body)["schema"]["properties"]["header"]["default"]
    assert re.search(r"\.jp-Notebook-footer\b[^{]*\{\s*display:\s*none", header), (
        f"RISE's header setting is {header!r}: this environment lacks tools/lab-overrides.json "
        "in .venv/share/jupyter/lab/settings/overrides.json; run `make setup`")


def test_a_presented_slide_shows_no_add_a_cell_bar(lab):
    """In a real browser, RISE's slide of lecture 03 has no visible 'Click to add a cell' bar."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    playwright = pytest.importorskip("playwright.sync_api")
    if chromium is None:
        pytest.skip("Chromium is not installed")
    notebook = next(nb for nb in NOTEBOOKS if nb.name.startswith("03_"))
    url = f"{lab.base}/rise/{notebook.relative_to(ROOT).as_posix()}?token={lab.token}"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url)
            page.wait_for_selector(".reveal .slides section", timeout=90_000)
            page.wait_for_selector(".jp-Notebook-footer", state="attached", timeout=30_000)
            page.wait_for_selector("#rise-overlay", state="attached", timeout=30_000)
            visible = [f.bounding_box() for f in page.query_selector_all(".jp-Notebook-footer") if f.is_visible()]
        finally:
            browser.close()
    assert visible == [], f"the 'Click to add a cell' bar is shown at {visible}"
