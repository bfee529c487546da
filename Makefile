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
STAMP    := $(VENV)/.installed
TORCH    ?= $(or $(shell cat $(VENV)/torch-variant 2>/dev/null),auto)
LAB_ARGS ?=
# Settings every JupyterLab (and RISE) of this environment starts with.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
NBEXEC := $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800
# then merge each cell's stream outputs: a progress bar keeps only its final state (no \r history)
NBTIDY := $(BIN)/jupyter nbconvert --coalesce-streams --inplace --log-level=WARN

.PHONY: setup data lab test unit lint notebooks slides bench pretrain experiments clean FORCE

setup: $(STAMP) $(LAB_SETTINGS)  ## virtual environment, pinned requirements, the package, the Jupyter kernel

# The TORCH value of the last setup; a different one re-runs setup.
$(VENV)/torch-variant: FORCE
	@case "$(TORCH)" in auto|cpu|cuda) ;; *) echo "TORCH must be auto, cpu or cuda, not '$(TORCH)'" >&2; exit 1;; esac
	@mkdir -p $(VENV)
	@[ "$$(cat $@ 2>/dev/null)" = "$(TORCH)" ] || echo "$(TORCH)" > $@

$(STAMP): requirements.txt pyproject.toml tools/torch_choice.py $(VENV)/torch-variant
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python tools/torch_choice.py --torch $(TORCH) > $(VENV)/torch-pip-args
	$(BIN)/python -m pip install --quiet $$(cat $(VENV)/torch-pip-args) -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name rnn-course --display-name "Python (RNN course)"
	touch $@

$(LAB_SETTINGS): tools/lab-overrides.json $(STAMP)
	mkdir -p $(dir $@)
	cp tools/lab-overrides.json $@

data: setup  ## fetch and verify every dataset into data/ (or $$LECTURE_DATA_DIR)
	$(BIN)/python -m lecture_utils.data

# Served from the repository root, so that the notebooks' ../images/ figures load;
# the browser opens on the lectures folder.
lab: setup data  ## open the lectures in JupyterLab
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks $(LAB_ARGS)

test: setup data slides  ## unit tests, notebook hygiene, slides, and every notebook in smoke mode (nbval)
	LECTURE_SMOKE=1 $(BIN)/python -m pytest --nbval-lax --nbval-current-env tests notebooks

# The inner loop of development: no npm, no Chromium, no notebook runs (tests marked
# `integration` are left out: slides, JupyterLab, the shipped checkpoint's full re-score).
unit: setup  ## the unit tests alone, in well under a minute (datasets are fetched on first use)
	LECTURE_SMOKE=1 $(BIN)/python -m pytest -q -m "not integration" tests

lint: setup  ## ruff over the package, tests, tools, bench, slides and the notebooks' code (rules: pyproject.toml)
	$(BIN)/ruff check --no-cache .

notebooks: setup data  ## re-execute every notebook in full mode, in place (the committed outputs)
	for nb in notebooks/*.ipynb; do env -u LECTURE_SMOKE $(NBEXEC) "$$nb" && $(NBTIDY) "$$nb" || exit 1; done

slides/node_modules/.package-lock.json: slides/package-lock.json
	npm ci --prefix slides --no-audit --no-fund

slides: setup slides/node_modules/.package-lock.json  ## offline reveal.js decks into build/slides/
	$(BIN)/python slides/build.py

# Lecture 05's shipped model: hours on a 2-core CPU, minutes on a GPU. Commit both files.
pretrain: setup data  ## train lecture 05's LSTM for long: pretrained/anna_lstm.pt and .json
	$(BIN)/python tools/pretrain.py $(PRETRAIN_ARGS)

# The lectures' sweeps (configurations x seeds): results/<lecture>_<name>.json, with provenance. Resumable.
experiments: setup data  ## run the lectures' declared sweeps; SWEEP=NN_name for one, FRESH=1 to start afresh
	$(BIN)/python tools/experiments.py $(if $(SWEEP),--only $(SWEEP)) $(if $(FRESH),--fresh)

bench: setup data  ## benchmarks; writes bench/RESULTS.md and the README's table
	$(BIN)/python bench/run.py

clean:
	rm -rf build $(VENV) slides/node_modules .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
