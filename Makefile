# The two commands in the README:
#   make run    talk to Limber locally (console, speech if available, SQLite progress); installs
#               only what running needs (limber[local])
#   make test   install the rest - the dev extras, Debian's audio tools, the npm tools - and run
#               the whole suite
.PHONY: run test lint models build bench

run:
	@scripts/setup.sh --run
	@.venv/bin/limber

test:
	@scripts/setup.sh --system
	@.venv/bin/ruff check lambda tests bench scripts
	@.venv/bin/python -m pytest

lint:
	@.venv/bin/ruff check lambda tests bench scripts

models:
	@.venv/bin/python scripts/generate_models.py

build:
	@.venv/bin/python scripts/build.py

bench:
	@for b in bench/*.py; do .venv/bin/python $$b || exit 1; done
