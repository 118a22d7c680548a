# The two commands in the README:
#   make run    talk to Limber locally (console, speech if available, SQLite progress)
#   make test   install what the tests need and run the whole suite
.PHONY: run test lint models build bench

run:
	@scripts/setup.sh --speech
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
