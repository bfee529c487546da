"""tools/torch_choice.py: which PyTorch build `make setup` installs, and that pip resolves it.

The resolution tests run pip's real resolver (``pip install --dry-run``, nothing is downloaded
or installed) against stand-in wheels served on 127.0.0.1: a "PyPI" index with the plain
version, a "PyTorch CPU index" with the ``+cpu`` build, and a local wheel folder.
"""
from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("course_tools_torch_choice", ROOT / "tools" / "torch_choice.py")
tc = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = tc  # dataclasses look their module up there
spec.loader.exec_module(tc)

VERSION = tc.pinned_version(ROOT / "requirements.txt")
UNREACHABLE = "http://127.0.0.1:9/whl/cpu"  # the discard port: refused at once


# ----------------------------------------------------------------- the decision


@pytest.mark.parametrize("variant,system,gpu,build", [
    ("auto", "Linux", None, "cpu"),
    ("auto", "Linux", "GPU 0: NVIDIA H100", "cuda"),
    ("auto", "Darwin", None, "pypi"),
    ("auto", "Windows", "GPU 0: NVIDIA RTX 4090", "pypi"),
    ("cpu", "Linux", "GPU 0: NVIDIA H100", "cpu"),
    ("cuda", "Linux", None, "cuda"),
])
def test_choice(variant, system, gpu, build):
    assert tc.choose(variant, system, gpu).build == build


def test_requirements_of_each_build():
    assert tc.requirement(tc.Choice("cpu", ""), "2.13.0") == "torch==2.13.0+cpu"
    assert tc.requirement(tc.Choice("cuda", ""), "2.13.0") == "torch===2.13.0"
    assert tc.requirement(tc.Choice("pypi", ""), "2.13.0") == "torch==2.13.0"


def test_a_wrong_value_is_named():
    with pytest.raises(SystemExit, match="not 'gpu'"):
        tc.choose("gpu", "Linux", None)
    with pytest.raises(SystemExit, match="TORCH=cuda is for Linux"):
        tc.choose("cuda", "Darwin", None)


def test_the_version_comes_from_requirements(tmp_path):
    assert VERSION[0].isdigit() and "+" not in VERSION
    (tmp_path / "req.txt").write_text("numpy==2.4.6\ntorch==9.1.2  # pinned\n")
    assert tc.pinned_version(tmp_path / "req.txt") == "9.1.2"
    (tmp_path / "req.txt").write_text("torch>=2\n")
    with pytest.raises(SystemExit, match="torch=="):
        tc.pinned_version(tmp_path / "req.txt")


def fake_nvidia_smi(folder: Path, stdout: str, status: int) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{stdout}'\nexit {status}\n")
    script.chmod(0o755)


def test_gpu_detection(tmp_path, monkeypatch):
    proc = tmp_path / "proc-gpus"
    proc.mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert tc.find_nvidia_gpu(proc) is None  # no driver, no nvidia-smi
    fake_nvidia_smi(tmp_path / "bin", "NVIDIA-SMI has failed because it couldn't communicate with the driver", 9)
    assert tc.find_nvidia_gpu(proc) is None
    fake_nvidia_smi(tmp_path / "bin", "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)", 0)
    assert tc.find_nvidia_gpu(proc) == "GPU 0: NVIDIA H100 80GB HBM3"
    shutil.rmtree(tmp_path / "bin")
    (proc / "0000:65:00.0").mkdir()
    assert "1 GPU" in tc.find_nvidia_gpu(proc)


def test_make_passes_the_variable_on():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    printed = subprocess.run(["make", "-n", "-B", "setup", "TORCH=cuda"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert "tools/tasks.py setup --torch cuda" in printed


def test_setup_asks_torch_choice_for_the_build_it_was_given():
    printed = subprocess.run([sys.executable, "tools/tasks.py", "--dry-run", "setup", "--torch", "cuda"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    if "is up to date (torch build: cuda)" in printed:
        pytest.skip("this environment was set up with TORCH=cuda: nothing to install")
    assert "tools/torch_choice.py --torch cuda" in printed
    assert "-m pip install --quiet '<torch pip arguments>' -r requirements.txt" in printed


# ------------------------------------------------------------- pip's resolution


def wheel(folder: Path, version: str) -> Path:
    """A minimal pure-Python wheel called torch: enough for pip to read its metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"torch-{version}-py3-none-any.whl"
    info = f"torch-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: torch\nVersion: {version}\n")
        zf.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr(f"{info}/RECORD", f"{info}/METADATA,,\n{info}/WHEEL,,\n{info}/RECORD,,\n")
    return path


def simple_index(root: Path, *versions: str) -> None:
    """A PEP 503 index under ``root`` with torch in the given versions."""
    project = root / "torch"
    links = [wheel(project, v).name for v in versions]
    (project / "index.html").write_text(
        "".join(f'<a href="{name.replace("+", "%2B")}">{name}</a>\n' for name in links))


@pytest.fixture
def indexes(tmp_path, monkeypatch):
    """Serve "PyPI" (plain version) and "the CPU index" (+cpu) on 127.0.0.1; pip sees only them."""
    www = tmp_path / "www"
    simple_index(www / "pypi", VERSION)
    simple_index(www / "cpu", f"{VERSION}+cpu")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    for name in [k for k in os.environ if k.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no pip.conf of this machine
    monkeypatch.setenv("PIP_INDEX_URL", f"{base}/pypi")
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    yield base
    httpd.shutdown()
    httpd.server_close()


def resolve(args: list[str], tmp_path: Path) -> tuple[str, str]:
    """The torch version and URL pip would install for ``args`` plus requirements.txt's pin."""
    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-deps",
                    "--quiet", "--report", str(report), *args, f"torch=={VERSION}"],
                   check=True, capture_output=True, timeout=120)
    [item] = json.loads(report.read_text())["install"]
    return item["metadata"]["version"], item["download_info"]["url"]


def choose_and_resolve(variant: str, cpu_index: str, tmp_path: Path) -> tuple[list[str], tuple[str, str]]:
    args, _ = tc.pip_args(tc.choose(variant, "Linux", None), VERSION, cpu_index)
    return args, resolve(args, tmp_path)


def test_cpu_from_a_local_wheel_asks_no_other_index(indexes, tmp_path, monkeypatch):
    """This machine: the +cpu wheel in pip's find-links; the PyTorch index is unreachable and not asked."""
    wheel(tmp_path / "wheels", f"{VERSION}+cpu")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))
    args, (version, url) = choose_and_resolve("cpu", UNREACHABLE, tmp_path)
    assert args == [f"torch=={VERSION}+cpu"]
    assert version == f"{VERSION}+cpu" and url.startswith("file:")


def test_cpu_elsewhere_comes_from_the_pytorch_cpu_index(indexes, tmp_path):
    args, (version, url) = choose_and_resolve("cpu", f"{indexes}/cpu", tmp_path)
    assert args == [f"torch=={VERSION}+cpu", "--extra-index-url", f"{indexes}/cpu"]
    assert version == f"{VERSION}+cpu" and url.startswith(f"{indexes}/cpu/")


def test_cpu_with_no_wheel_and_no_index_stops_at_once_with_the_remedies(indexes):
    with pytest.raises(SystemExit) as err:
        tc.pip_args(tc.Choice("cpu", ""), VERSION, UNREACHABLE)
    assert "cannot be reached" in str(err.value) and "PIP_FIND_LINKS" in str(err.value)


def test_cuda_takes_pypis_wheel_even_beside_a_local_cpu_wheel(indexes, tmp_path, monkeypatch):
    wheel(tmp_path / "wheels", f"{VERSION}+cpu")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))
    args, (version, url) = choose_and_resolve("cuda", UNREACHABLE, tmp_path)
    assert version == VERSION and url.startswith(f"{indexes}/pypi/")


@pytest.mark.integration  # a pip dry run against this machine's configuration
def test_this_machines_pip_config_resolves_the_cpu_build_locally(tmp_path):
    """With the pip configuration as it is: a local +cpu wheel, when pip has one, is what setup takes."""
    requirement = f"torch=={VERSION}+cpu"
    if not tc.locally_available(requirement):
        pytest.skip(f"pip's find-links hold no {requirement} here")
    args, origin = tc.pip_args(tc.Choice("cpu", ""), VERSION)
    assert args == [requirement] and "local" in origin
    version, url = resolve(args, tmp_path)
    assert version == f"{VERSION}+cpu" and url.startswith("file:")
