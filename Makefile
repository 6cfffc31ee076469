# The two commands a newcomer types are `make run` and `make test`; both set up .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency (with the dev extras) pinned with hashes: every machine gets the same.
LOCK := requirements.lock

.PHONY: run test lint format bench messages clean lock screenshots

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
		echo "$(LOCK) lacks what pyproject.toml asks for: run make lock" >&2; exit 1; }
	touch $(STAMP)

# After changing the dependencies in pyproject.toml (or to take new releases): pin them all
# again, for every platform and Python >= 3.11, and commit the lock with pyproject.toml.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.5'
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --quiet --output-file $(LOCK)

run: $(STAMP)
	$(BIN)/python -m bot db upgrade
	$(BIN)/python -m bot run

test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

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
	$(BIN)/python bench/updates.py --updates 1000 --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres --rate 200 --workers 1,2
	$(BIN)/python bench/claims.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
	$(BIN)/python bench/workers.py --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres --rounds 3
	$(BIN)/python bench/memory.py --people 100000
	$(BIN)/python bench/certificate.py --count 50
	$(BIN)/python bench/broadcast.py --people 100000 --rate 1000 --segments 100000,1000000
	$(BIN)/python bench/report.py --citizens 1000000 --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
	$(BIN)/python bench/console.py --submissions 100000
	$(BIN)/python bench/conversation.py

# Re-extract interface texts from the code into the catalogs after changing messages.
screenshots: $(STAMP)
	$(BIN)/python docs/screenshots.py

messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o content/locales/messages.pot --no-location --sort-output --width 100 .
	$(BIN)/pybabel update -i content/locales/messages.pot -d content/locales -D messages --no-fuzzy-matching --ignore-obsolete --width 100

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
