# Set-up and the two entry points the README documents: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: install install-test demo test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(PY)
	$(PY) -m pip install -q -e .

install-test: $(PY)
	$(PY) -m pip install -q -e '.[test]'

demo: install
	$(PY) -m sparsehess demo

test: install-test
	$(PY) -m pytest -q

bench: install
	$(PY) -m pip install -q -e '.[bench,plot]'
	$(PY) benchmarks/detection.py
	$(PY) benchmarks/hessian.py
	$(PY) benchmarks/coloring.py
	$(PY) benchmarks/optimize.py

clean:
	rm -rf $(VENV) build *.egg-info
