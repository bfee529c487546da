"""Choose the PyTorch build for ``make setup`` and print the pip arguments that install it.

    python tools/torch_choice.py [--torch auto|cpu|cuda]

requirements.txt pins the version (``torch==2.13.0``); this script picks the build:

* ``cpu``  -- the CPU-only build ``torch==2.13.0+cpu`` (about 200 MB). Linux only:
  PyPI's Linux wheel is built with CUDA and pulls the CUDA libraries (several GB),
  so the CPU build comes from a local wheel folder that pip already knows
  (``find-links``) or, only when none holds it, from the PyTorch CPU index.
* ``cuda`` -- PyPI's Linux wheel, built with CUDA (``torch===2.13.0``: exactly that
  version, so a local ``+cpu`` wheel is not taken instead).
* ``auto`` (default) -- ``cuda`` on Linux with an NVIDIA GPU, ``cpu`` on Linux
  without one; on macOS and Windows PyPI's normal wheel (there it has no CUDA
  libraries to avoid: Apple GPUs are used through MPS, and on Windows it is the
  CPU build).

The arguments go to stdout, one line; what was chosen and why goes to stderr.
Standard library only: it runs in the new virtual environment before anything
is installed.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
VARIANTS = ("auto", "cpu", "cuda")
NVIDIA_PROC = Path("/proc/driver/nvidia/gpus")


@dataclass(frozen=True)
class Choice:
    build: str  # "cpu", "cuda" or "pypi" (PyPI's wheel as it is, on macOS and Windows)
    reason: str


def pinned_version(requirements: Path) -> str:
    """The version of ``torch==X`` in a requirements file."""
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\s*torch\s*==\s*([0-9][^\s;#+]*)\s*(#.*)?", line)
        if match:
            return match[1]
    raise SystemExit(f"torch_choice: no 'torch==<version>' line in {requirements}")


def find_nvidia_gpu(proc_dir: Path = NVIDIA_PROC) -> str | None:
    """A short description of the NVIDIA GPU this machine has, or None.

    A loaded NVIDIA driver lists its GPUs in /proc/driver/nvidia/gpus (also inside
    containers started with GPU access); otherwise ``nvidia-smi -L`` is asked.
    """
    try:
        gpus = sorted(p.name for p in proc_dir.iterdir())
    except OSError:
        gpus = []
    if gpus:
        return f"NVIDIA driver lists {len(gpus)} GPU(s) in {proc_dir}"
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        result = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = [line for line in result.stdout.splitlines() if line.startswith("GPU ")]
    if result.returncode != 0 or not lines:
        return None  # e.g. nvidia-smi installed but no driver or no device
    return lines[0].split(" (UUID")[0]


def choose(variant: str, system: str, gpu: str | None) -> Choice:
    """The build for ``TORCH=variant`` on ``system`` (platform.system()) with ``gpu`` (or None)."""
    if variant not in VARIANTS:
        raise SystemExit(f"torch_choice: TORCH must be one of {', '.join(VARIANTS)}, not {variant!r}")
    if variant != "auto":
        if system != "Linux":
            raise SystemExit(
                f"torch_choice: TORCH={variant} is for Linux; on {system} PyPI's wheel is the one to use "
                "(leave TORCH unset)")
        return Choice(variant, f"TORCH={variant} given")
    if system != "Linux":
        return Choice("pypi", f"{system}: PyPI's wheel has no CUDA libraries to avoid")
    if gpu:
        return Choice("cuda", f"Linux with an NVIDIA GPU ({gpu}); TORCH=cpu for the CPU build")
    return Choice("cpu", "Linux without an NVIDIA GPU; TORCH=cuda for the CUDA build")


def requirement(choice: Choice, version: str) -> str:
    if choice.build == "cpu":
        return f"torch=={version}+cpu"
    if choice.build == "cuda":
        return f"torch==={version}"  # '===': the plain version, never a local '+cpu' wheel
    return f"torch=={version}"


def locally_available(req: str, python: str = sys.executable) -> bool:
    """Whether pip finds ``req`` without any index: in its configured find-links (no network)."""
    command = [python, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps",
               "--ignore-installed", "--quiet", req]
    try:
        return subprocess.run(command, capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def reachable(index_url: str, timeout: float = 15.0) -> str | None:
    """None when the index answers (any HTTP status), else why not."""
    try:
        with urllib.request.urlopen(index_url.rstrip("/") + "/torch/", timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as err:
        return str(getattr(err, "reason", err))


def pip_args(choice: Choice, version: str, cpu_index: str = CPU_INDEX,
             python: str = sys.executable) -> tuple[list[str], str]:
    """The pip arguments for ``choice`` and where the wheel will come from.

    The CPU index is added only when no local wheel has the CPU build: pip asks
    every index it is given, and an unreachable one costs retries and timeouts.
    """
    req = requirement(choice, version)
    if choice.build != "cpu":
        return [req], "PyPI"
    if locally_available(req, python):
        return [req], "a local wheel folder (pip's find-links)"
    problem = reachable(cpu_index)
    if problem:
        raise SystemExit(
            f"torch_choice: {req} is in no local wheel folder and the PyTorch CPU index {cpu_index} "
            f"cannot be reached ({problem}).\n"
            f"  - put the wheel in a folder and tell pip: PIP_FIND_LINKS=/path/to/wheels make setup, or\n"
            f"  - take PyPI's wheel (on Linux the CUDA build, several GB): make setup TORCH=cuda")
    return [req, "--extra-index-url", cpu_index], cpu_index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--torch", default=os.environ.get("TORCH") or "auto",
                        help="auto (default), cpu or cuda")
    parser.add_argument("--requirements", type=Path,
                        default=Path(__file__).resolve().parents[1] / "requirements.txt")
    parser.add_argument("--cpu-index", default=CPU_INDEX, help="the PyTorch CPU wheel index")
    args = parser.parse_args(argv)

    version = pinned_version(args.requirements)
    choice = choose(args.torch, platform.system(), find_nvidia_gpu() if args.torch == "auto" else None)
    pip, origin = pip_args(choice, version, args.cpu_index)
    print(f"torch: {pip[0]} ({choice.build} build) from {origin}: {choice.reason}", file=sys.stderr)
    print(" ".join(pip))
    return 0


if __name__ == "__main__":
    sys.exit(main())
