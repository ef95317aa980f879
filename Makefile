# Two commands (see README.md):  make demo   and   make test
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
STAMP  := $(VENV)/.installed
DEMO_DATA ?= data/shanxi

.PHONY: demo test venv bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements.lock
	$(VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/supplyopt solve $(DEMO_DATA) --model models/default.yaml --out results/demo --report

test: $(STAMP)
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python -m pip install --quiet --target benchmarks/out/linopy-site linopy==0.10.1
	$(VENV)/bin/python benchmarks/run.py --sizes tiny small medium large national --methods medium:dual,devex,ipm,dual-built,ipm-built,race large:dual,devex,ipm,dual-built,ipm-built,race national:dual,devex,ipm,ipm-built,race --many shanxi national --many-families network --cases 20 --shanxi-cases 60 --reference-limit 900 --method-limit 240 --fixed 7 --warm-whatifs 6 5 40 --readme

clean:
	rm -rf $(VENV) results .pytest_cache
