# Two commands for a new user: `make demo` and `make test`.
# Both create .venv with $(PYTHON), install the pinned stack (constraints.txt)
# and this package, then run.  A second run reuses the venv.

PYTHON ?= python3.11
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
OUT    ?= runs/demo
# Env steps per agent of `make demo`; empty: bin/demo.py's default.
STEPS  ?=

.PHONY: demo test bench lock check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 9) <= sys.version_info[:2] <= (3, 11) else 3)' 2>/dev/null; \
	case $$? in \
	  0) ;; \
	  3) echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); TensorFlow 2.15 needs Python 3.9-3.11. Install Python 3.11 or pass one: make PYTHON=/path/to/python3.11"; exit 1;; \
	  *) echo "error: '$(PYTHON)' does not run. Install Python 3.11 (3.9-3.11 work) or pass one: make PYTHON=/path/to/python3.11"; exit 1;; \
	esac

$(STAMP): setup.py constraints.txt | check-python
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -c constraints.txt -e '.[test]'
	@touch $(STAMP)

demo: check-python $(STAMP)
	$(VPY) bin/demo.py --out_dir=$(OUT) $(if $(STEPS),--num_env_steps=$(STEPS))

test: check-python $(STAMP)
	$(VPY) -m pytest -q -n 2 --durations=15 tests

bench: check-python $(STAMP)
	for b in bench/*_bench.py; do $(VPY) $$b || exit 1; done

# Regenerates constraints.txt: resolve setup.py's requirements afresh in a
# scratch venv and freeze every resolved package.
lock: check-python
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install -q --upgrade pip
	.lockvenv/bin/python -m pip install -q -e '.[test]'
	{ echo '# Lock of every resolved package (Python 3.11, Linux x86-64). Regenerate: make lock'; \
	  .lockvenv/bin/python -m pip freeze --exclude-editable | grep -v '^-e'; } > constraints.txt
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) .lockvenv
