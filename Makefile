# OneWindow: `make demo` and `make test` work on a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-requirements
HOST   ?= 127.0.0.1
PORT   ?= 8000
# localstripe (the offline Stripe) beside the demo server, on loopback.
STRIPE_PORT ?= 8420
# Links in QR codes, contract footers and emails: where `make demo` serves, unless PUBLIC_BASE_URL says.
DEMO_BASE_URL = $(or $(PUBLIC_BASE_URL),http://$(HOST):$(PORT))
# Test processes (pytest-xdist); 2 matches the 2-core machines this project targets.
WORKERS ?= 2

.PHONY: install demo serve test test-fast e2e lint messages vendor-axe vendor-scan bench clean

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
		|| { echo "OneWindow needs Python 3.11 or newer (found: $$($(PYTHON) --version))."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --noinput -v 0
	PUBLIC_BASE_URL=$(DEMO_BASE_URL) $(PY) manage.py load_demo
	@echo ""
	@echo "OneWindow is starting on http://$(HOST):$(PORT)/  (中文: http://$(HOST):$(PORT)/zh-hans/)"
	@echo "Log in with one of the accounts above. Stop with Ctrl+C."
	@echo "Card payments go to localstripe on http://127.0.0.1:$(STRIPE_PORT)/ (test card 4242 4242 4242 4242)."
	@mkdir -p var
	@$(PY) -m marketplace.payments.devstripe --port $(STRIPE_PORT) \
		--webhook-url http://$(HOST):$(PORT)/payments/stripe/webhook/ --webhook-secret whsec_onewindow_localstripe \
		> var/localstripe.log 2>&1 & LS=$$!; \
	trap 'kill $$LS 2>/dev/null' EXIT INT TERM; \
	PUBLIC_BASE_URL=$(DEMO_BASE_URL) STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) STRIPE_JS_URL=http://127.0.0.1:$(STRIPE_PORT)/js.stripe.com/v3/ \
	STRIPE_WEBHOOK_SECRET=whsec_onewindow_localstripe $(PY) manage.py runserver $(HOST):$(PORT)

# The production shape, locally: DEBUG=False, a generated secret key, seal key-encryption key and
# webhook secret (var/serve/env, made once), its own PKI, database and a cache the workers share
# (files; set CACHE_URL=redis://… for Redis) under var/serve/, mail written to var/serve/mail/
# (set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST to send it), static files
# collected and served by WhiteNoise, gunicorn with SERVE_WORKERS processes, JSON logs, /healthz.
# Plain http on 127.0.0.1, so secure cookies and the TLS redirect are off; behind a TLS proxy
# (README, "Running in production") they stay on.
SERVE_WORKERS ?= 3
SERVE_ENV = DEBUG=False SECURE_SSL_REDIRECT=False SECURE_COOKIES=False SECURE_HSTS_SECONDS=0 LOG_FORMAT=json \
	DATABASE_URL=$(or $(DATABASE_URL),sqlite:///$(CURDIR)/var/serve/db.sqlite3) \
	CACHE_URL=$(or $(CACHE_URL),filecache://$(CURDIR)/var/serve/cache) \
	SIGNING_PKI_DIR=$(CURDIR)/var/serve/pki STATIC_ROOT=$(CURDIR)/var/serve/static \
	PRIVATE_MEDIA_ROOT=$(CURDIR)/var/serve/private MEDIA_ROOT=$(CURDIR)/var/serve/media \
	EMAIL_BACKEND=$(or $(EMAIL_BACKEND),django.core.mail.backends.filebased.EmailBackend) \
	EMAIL_FILE_PATH=$(or $(EMAIL_FILE_PATH),$(CURDIR)/var/serve/mail) \
	PUBLIC_BASE_URL=$(DEMO_BASE_URL)
serve: install
	@mkdir -p var/serve
	@test -f var/serve/env || $(PY) -c "import base64, secrets; \
		print('SECRET_KEY=' + secrets.token_urlsafe(50)); \
		print('SEAL_KEY_ENCRYPTION_KEY=' + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()); \
		print('STRIPE_WEBHOOK_SECRET=whsec_' + secrets.token_hex(24))" > var/serve/env
	set -a && . var/serve/env && set +a && $(SERVE_ENV) $(PY) manage.py migrate --noinput -v 0
	set -a && . var/serve/env && set +a && $(SERVE_ENV) $(PY) manage.py load_demo
	set -a && . var/serve/env && set +a && $(SERVE_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@echo "OneWindow (production shape) on http://$(HOST):$(PORT)/ — health: http://$(HOST):$(PORT)/healthz"
	set -a && . var/serve/env && set +a && $(SERVE_ENV) $(VENV)/bin/gunicorn marketplace.wsgi \
		--bind $(HOST):$(PORT) --workers $(SERVE_WORKERS) --graceful-timeout 20

test: install
	$(PY) -m pytest -n $(WORKERS)

test-fast: install
	$(PY) -m pytest -n $(WORKERS) -m "not e2e and not slow"

e2e: install
	$(PY) -m pytest -m e2e

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

# axe-core for the accessibility checks in tests/e2e, vendored so the suite needs no Node.
vendor-axe:
	rm -rf var/axe && mkdir -p var/axe tests/e2e/vendor/axe-core
	cd var/axe && npm pack --silent axe-core > name && tar xzf "$$(cat name)"
	cp var/axe/package/axe.min.js var/axe/package/LICENSE tests/e2e/vendor/axe-core/
	node -p "require('./var/axe/package/package.json').version" > tests/e2e/vendor/axe-core/VERSION

# The offline verifier's QR decoder (zxing-wasm: zxing-cpp, the decoder `verify_qr` uses, built for the
# browser) and CBOR reader (cbor-x, its no-eval build), vendored into static files: the page loads
# nothing from a CDN and `make demo` needs no Node. Bump a version here, run this, commit the result.
ZXING_WASM ?= zxing-wasm@3.1.8
CBOR_X     ?= cbor-x@1.6.9
vendor-scan:
	rm -rf var/scan static/vendor/zxing-wasm static/vendor/cbor-x
	mkdir -p var/scan/zxing var/scan/cbor static/vendor/zxing-wasm static/vendor/cbor-x
	cd var/scan/zxing && npm pack --silent $(ZXING_WASM) > name && tar xzf "$$(cat name)"
	cd var/scan/cbor && npm pack --silent $(CBOR_X) > name && tar xzf "$$(cat name)"
	cp var/scan/zxing/package/dist/iife/reader/index.js static/vendor/zxing-wasm/zxing-reader.js
	cp var/scan/zxing/package/dist/reader/zxing_reader.wasm var/scan/zxing/package/LICENSE static/vendor/zxing-wasm/
	node -p "require('./var/scan/zxing/package/package.json').version" > static/vendor/zxing-wasm/VERSION
	cp var/scan/cbor/package/dist/index-no-eval.min.js static/vendor/cbor-x/cbor-x.min.js
	cp var/scan/cbor/package/dist/index-no-eval.min.js.map static/vendor/cbor-x/  # the build names it
	cp var/scan/cbor/package/LICENSE static/vendor/cbor-x/
	node -p "require('./var/scan/cbor/package/package.json').version" > static/vendor/cbor-x/VERSION

clean:
	rm -rf $(VENV) var db.sqlite3 .pytest_cache .ruff_cache
