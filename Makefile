# The course's commands. Each target works on a fresh clone with nothing done before it.
# Data: set LECTURE_DATA_MIRROR to a folder holding the files (CI uses ../shared/data; a
# relative path is taken from the repository root), otherwise they are downloaded.
#
# Variables (make VAR=value target):
#   PYTHON    the Python 3.11+ that creates the environment (default: python3)
#   TORCH     auto | cpu | cuda: which PyTorch build `make setup` installs (tools/torch_choice.py);
#             auto: CUDA on Linux with an NVIDIA GPU, CPU-only on Linux without one, PyPI's
#             wheel on macOS and Windows. Remembered in .venv/torch-variant for later runs.
#   PRETRAIN_ARGS  arguments of tools/pretrain.py, e.g. PRETRAIN_ARGS="--epochs 30"
#   LAB_ARGS  extra arguments of `jupyter lab`, e.g. LAB_ARGS=--allow-root (root in Docker),
#             LAB_ARGS="--no-browser --ip=0.0.0.0 --port=8888" (a remote machine)

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
TORCH    ?=
LAB_ARGS ?=
# setup, data, lab, test and unit live in tools/tasks.py, which also serves machines without make
TASKS    := $(PYTHON) tools/tasks.py
NBEXEC := $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800
# then merge each cell's stream outputs: a progress bar keeps only its final state (no \r history)
NBTIDY := $(BIN)/jupyter nbconvert --coalesce-streams --inplace --log-level=WARN

.PHONY: setup data lab test unit lint notebooks slides bench pretrain experiments student clean

setup:  ## virtual environment, pinned requirements, the package, the Jupyter kernel (skipped when current)
	$(TASKS) setup $(if $(TORCH),--torch $(TORCH))

data: setup  ## fetch and verify every dataset into data/ (or $$LECTURE_DATA_DIR)
	$(TASKS) data

# Served from the repository root, so that the notebooks' ../images/ figures load;
# the browser opens on the lectures folder.
lab:  ## set up, fetch the data, open the lectures in JupyterLab
	$(TASKS) lab -- $(LAB_ARGS)

test:  ## set up, fetch the data, build the slides; unit tests, notebook hygiene, slides, every notebook in smoke mode (nbval)
	$(TASKS) test

# The inner loop of development: no npm, no Chromium, no notebook runs (tests marked
# `integration` are left out: slides, JupyterLab, the shipped checkpoint's full re-score).
unit:  ## the unit tests alone, in well under a minute (datasets are fetched on first use)
	$(TASKS) unit

lint: setup  ## ruff over the package, tests, tools, bench, slides and the notebooks' code (rules: pyproject.toml)
	$(BIN)/ruff check --no-cache .

notebooks: setup data  ## re-execute every notebook in full mode, in place (the committed outputs)
	for nb in notebooks/*.ipynb; do env -u LECTURE_SMOKE $(NBEXEC) "$$nb" && $(NBTIDY) "$$nb" || exit 1; done

slides:  ## offline reveal.js decks into build/slides/ (npm ci for reveal.js and MathJax when needed)
	$(TASKS) slides

# Lecture 05's shipped model: hours on a 2-core CPU, minutes on a GPU. Commit both files.
pretrain: setup data  ## train lecture 05's LSTM for long: pretrained/anna_lstm.pt and .json
	$(BIN)/python tools/pretrain.py $(PRETRAIN_ARGS)

# The lectures' sweeps (configurations x seeds): results/<lecture>_<name>.json, with provenance. Resumable.
experiments: setup data  ## run the lectures' declared sweeps; SWEEP=NN_name for one, FRESH=1 to start afresh
	$(BIN)/python tools/experiments.py $(if $(SWEEP),--only $(SWEEP)) $(if $(FRESH),--fresh)

bench: setup data  ## benchmarks; writes bench/RESULTS.md and the README's table
	$(BIN)/python bench/run.py

student: setup  ## the student's edition into build/student/: no solutions, no answers, no outputs (tools/student.py)
	$(BIN)/python tools/student.py

clean:
	rm -rf build $(VENV) slides/node_modules .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
