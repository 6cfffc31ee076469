# The two commands a newcomer types are `make run` and `make test`; both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench messages clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot db upgrade
	$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/engine.py --citizens 300 --batch 64
	$(BIN)/python bench/engine.py --citizens 64 --batch 1
	$(BIN)/python bench/delivery.py --rates 30,1000
	$(BIN)/python bench/updates.py --updates 2000
	$(BIN)/python bench/certificate.py --count 50
	$(BIN)/python bench/broadcast.py --people 100000 --rate 1000 --segments 100000,1000000
	$(BIN)/python bench/report.py --citizens 1000000
	$(BIN)/python bench/console.py --submissions 100000

# Re-extract interface texts from the code into the catalogs after changing messages.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o content/locales/messages.pot --no-location --sort-output --width 100 .
	$(BIN)/pybabel update -i content/locales/messages.pot -d content/locales -D messages --no-fuzzy-matching --ignore-obsolete --width 100

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
