# The course's commands. Each target works on a fresh clone with nothing done before it.
# Data: set LECTURE_DATA_MIRROR to a folder holding the files (CI uses ../shared/data),
# otherwise they are downloaded from their original sources.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NBEXEC := $(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800

.PHONY: setup data lab test notebooks slides bench clean

setup: $(STAMP)  ## virtual environment, pinned requirements, the package, the Jupyter kernel

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name rnn-course --display-name "Python (RNN course)"
	touch $@

data: setup  ## fetch and verify every dataset into data/
	$(BIN)/python -m lecture_utils.data

lab: setup data  ## open the lectures in JupyterLab
	$(BIN)/jupyter lab notebooks/

test: setup data slides  ## unit tests, notebook hygiene, slides, and every notebook in smoke mode (nbval)
	LECTURE_SMOKE=1 $(BIN)/python -m pytest --nbval-lax --nbval-current-env tests notebooks

notebooks: setup data  ## re-execute every notebook in full mode, in place (the committed outputs)
	for nb in notebooks/*.ipynb; do env -u LECTURE_SMOKE $(NBEXEC) "$$nb" || exit 1; done

slides/node_modules/.package-lock.json: slides/package-lock.json
	npm ci --prefix slides --no-audit --no-fund

slides: setup slides/node_modules/.package-lock.json  ## offline reveal.js decks into build/slides/
	$(BIN)/python slides/build.py

bench: setup data  ## benchmarks; writes bench/RESULTS.md and the README's table
	$(BIN)/python bench/run.py

clean:
	rm -rf build $(VENV) slides/node_modules .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
