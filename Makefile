# Two entry points, both from nothing on a fresh machine:
#   make demo   set up .venv, then run the main job on the bundled sample data
#   make test   set up .venv, then run the default (fast) test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-slow evals bench clean

setup: $(STAMP)

# torch is installed first and pinned: pip takes the local CPU build of 2.13.0;
# a bare "torch" would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	touch $(STAMP)

demo: setup
	$(BIN)/feedbackiq themes datasets/samples/ --out runs/demo
	$(BIN)/feedbackiq personas runs/demo --by company_size
	$(BIN)/feedbackiq translate runs/demo --features datasets/features.yaml --by company_size

# pytest exits 5 when it collected no tests: that is neither a pass nor an
# ordinary failure, so say so plainly and fail (CI must never go green on nothing).
test: setup
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: nothing was tested (exit 5)"; fi; \
	exit $$rc

test-slow: setup
	$(BIN)/python -m pytest -m slow

evals: setup
	$(BIN)/python evals/run_themes.py

bench: setup
	$(BIN)/python evals/bench_themes.py

clean:
	rm -rf $(VENV) runs .pytest_cache
