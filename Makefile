# Two commands on a fresh machine with Python 3.11+ and make:
#   make demo   create .venv, install, compare four strategies on the bundled example; print the table, write the report
#   make test   create .venv, install with test extras, run lint (ruff, mypy) and the whole default suite
#   make test-browser   the web page in Debian's headless Chromium (installed here when missing)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
JOBS   ?= 2

.PHONY: demo lint test test-slow test-browser bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,plots,app,browser]'
	@# numba compiles the branch-and-bound kernel once here and caches it; every later process loads it
	$(BIN)/python -c 'from optimizer.algorithms.branch_and_bound import warm_up; print(warm_up())'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/python examples/compare_strategies.py

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n $(JOBS) -q

# Chromium from the operating system's packages (Playwright drives it; no browser download); where it cannot be
# installed (no apt-get, not root) the browser tests skip and say why
test-browser: $(VENV)/.installed
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || \
		echo "make test-browser: Chromium could not be installed here; the browser tests will skip"
	$(BIN)/python -m pytest -q -m browser -p no:xdist

test-slow: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(JOBS) -q -m slow

bench: $(VENV)/.installed
	$(BIN)/alliance bench run --instances ../shared/instances/qkp-standard --solvers auto,highs --time-limit 120 \
		--jobs $(JOBS) --results benchmarks/out/standard.sqlite --report benchmarks/out/standard-report

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
