# binwatch: two commands set everything up on a fresh machine.
#   make run    the monitoring center on the demo cameras (prints the URL and a one-time login)
#   make test   lint, type-check and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export BINWATCH_CACHE ?= $(CURDIR)/.cache

APT_PACKAGES := python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good espeak-ng chromium fonts-noto-cjk

.PHONY: run test lint clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/binwatch run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# System packages the tests need (a real RTSP server). Installed with apt when missing and root.
system-deps:
	@if /usr/bin/python3 scripts/rtsp_server.py --check >/dev/null 2>&1 && command -v espeak-ng >/dev/null \
		&& [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	else echo "note: the RTSP, speech and browser tests need: sudo apt-get install $(APT_PACKAGES)"; fi

test: lint system-deps
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .cache out .pytest_cache .mypy_cache .ruff_cache
