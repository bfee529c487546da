"""The course's commands, for machines with or without GNU make (Windows included).

    python tools/tasks.py setup [--torch auto|cpu|cuda]   # .venv, pinned requirements, the kernel
    python tools/tasks.py data                            # fetch and verify every dataset
    python tools/tasks.py lab [-- JUPYTER LAB ARGS]       # setup + data, then JupyterLab
    python tools/tasks.py test                            # setup + data (+ slides), then every test
    python tools/tasks.py unit                            # setup, then the unit tests alone

On Windows: ``py tools\\tasks.py lab``. The Makefile's ``setup``, ``data``, ``lab``, ``test`` and
``unit`` call this file, so both paths run one implementation. ``--dry-run`` prints the commands
instead of running them. Standard library only: it runs before the environment exists.
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
STAMP = VENV / ".installed"
VARIANT_FILE = VENV / "torch-variant"
VARIANTS = ("auto", "cpu", "cuda")
SETUP_INPUTS = ("requirements.txt", "pyproject.toml", "tools/torch_choice.py")
LAB_SETTINGS = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
KERNEL = ["--name", "rnn-course", "--display-name", "Python (RNN course)"]
DRY_RUN = False


class TaskError(RuntimeError):
    """A command cannot run: the message says why and what to do."""


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def shown(command) -> str:
    return shlex.join(str(part) for part in command)


def run(command, env: dict | None = None) -> None:
    print(shown(command), flush=True)
    if not DRY_RUN:
        subprocess.run([str(part) for part in command], cwd=ROOT, check=True,
                       env=None if env is None else {**os.environ, **env})


def setup_is_current(variant: str) -> bool:
    if not (STAMP.exists() and venv_python().exists()):
        return False
    if not VARIANT_FILE.exists() or VARIANT_FILE.read_text(encoding="utf-8").strip() != variant:
        return False
    return all(STAMP.stat().st_mtime >= (ROOT / name).stat().st_mtime for name in SETUP_INPUTS)


def remembered_variant() -> str:
    return VARIANT_FILE.read_text(encoding="utf-8").strip() if VARIANT_FILE.exists() else "auto"


def setup(torch: str | None = None) -> None:
    """The virtual environment with the pinned requirements (PyTorch in the build that fits the
    machine, tools/torch_choice.py), the package installed editable, the Jupyter kernel, and the
    JupyterLab/RISE settings. Skipped when nothing it depends on changed since the last run."""
    variant = torch or remembered_variant()
    if variant not in VARIANTS:
        raise TaskError(f"--torch must be one of {', '.join(VARIANTS)}, not {variant!r}")
    if setup_is_current(variant):
        print(f"setup: {VENV.name} is up to date (torch build: {variant})")
    else:
        python = venv_python()
        run([sys.executable, "-m", "venv", VENV])
        run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        choice = [python, "tools/torch_choice.py", "--torch", variant]
        print(shown(choice), flush=True)
        torch_args = ["<torch pip arguments>"] if DRY_RUN else shlex.split(subprocess.run(
            [str(p) for p in choice], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout)
        run([python, "-m", "pip", "install", "--quiet", *torch_args, "-r", "requirements.txt"])
        run([python, "-m", "pip", "install", "--quiet", "--no-deps", "-e", "."])
        run([python, "-m", "ipykernel", "install", "--sys-prefix", *KERNEL])
        if not DRY_RUN:
            VARIANT_FILE.write_text(variant + "\n", encoding="utf-8")
            STAMP.touch()
    source = ROOT / "tools" / "lab-overrides.json"
    if DRY_RUN:
        print(f"copy {source.relative_to(ROOT)} -> {LAB_SETTINGS.relative_to(ROOT)}")
    elif not LAB_SETTINGS.exists() or LAB_SETTINGS.read_bytes() != source.read_bytes():
        LAB_SETTINGS.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, LAB_SETTINGS)


def data() -> None:
    """Fetch and verify every dataset (cache, then $LECTURE_DATA_MIRROR, then the download)."""
    run([venv_python(), "-m", "lecture_utils.data"])


def lab(extra: list[str]) -> None:
    """JupyterLab serving the repository root (so the notebooks' ../images/ load), opened on notebooks/."""
    run([venv_python(), "-m", "jupyter", "lab", f"--ServerApp.root_dir={ROOT}",
         "--LabApp.default_url=/lab/tree/notebooks", *extra])


def slides() -> bool:
    """The offline decks into build/slides/; needs npm for reveal.js and MathJax. False without npm."""
    npm = shutil.which("npm")
    if npm is None:
        if os.environ.get("CI"):
            raise TaskError("npm is needed to build the slide decks (install Node.js 20 with npm)")
        print("slides: npm is not installed, so the decks are not built and their tests are skipped")
        return False
    lock, installed = ROOT / "slides" / "package-lock.json", ROOT / "slides" / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        run([npm, "ci", "--prefix", "slides", "--no-audit", "--no-fund"])
    run([venv_python(), "slides/build.py"])
    return True


def test() -> None:
    """Unit tests, notebook hygiene, the slides, and every notebook in smoke mode (nbval)."""
    slides()
    run([venv_python(), "-m", "pytest", "--nbval-lax", "--nbval-current-env", "tests", "notebooks"],
        env={"LECTURE_SMOKE": "1"})


def unit() -> None:
    """The unit tests alone (no notebooks, no browser), in well under a minute."""
    run([venv_python(), "-m", "pytest", "-q", "-m", "not integration", "tests"], env={"LECTURE_SMOKE": "1"})


def main(argv: list[str] | None = None) -> int:
    global DRY_RUN
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n")[1])
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    commands = parser.add_subparsers(dest="command", required=True)
    setup_parser = commands.add_parser("setup", help=setup.__doc__.split(".")[0])
    setup_parser.add_argument("--torch", choices=VARIANTS, default=None,
                              help="the PyTorch build (default: the last one chosen, else auto)")
    commands.add_parser("data", help=data.__doc__.split(".")[0])
    lab_parser = commands.add_parser("lab", help="setup + data, then JupyterLab")
    lab_parser.add_argument("extra", nargs=argparse.REMAINDER, help="arguments for jupyter lab, after --")
    commands.add_parser("test", help="setup + data, then every test (notebooks in smoke mode)")
    commands.add_parser("unit", help="setup, then the unit tests alone")
    commands.add_parser("slides", help="the offline slide decks into build/slides/")
    args = parser.parse_args(argv)
    DRY_RUN = args.dry_run
    try:
        if args.command == "setup":
            setup(args.torch)
        elif args.command == "data":
            data()
        elif args.command == "lab":
            setup()
            data()
            lab([a for a in args.extra if a != "--"])
        elif args.command == "test":
            setup()
            data()
            test()
        elif args.command == "unit":
            setup()
            unit()
        elif args.command == "slides":
            setup()
            if not slides():
                return 1
    except TaskError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as err:
        print(f"error: {shown(err.cmd)} failed with exit code {err.returncode}", file=sys.stderr)
        return err.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
