"""Schemathesis hooks for the contract fuzz run (openapi/fuzz/run.sh).

The document states every rule a schema can state. What no schema can state is supplied here,
so that a schema-valid request is one the server must accept:
  - server-issued values: a fresh Idempotency-Key per request (a reused key with another body
    is rightly refused), refresh tokens and cursors the server handed out, the run's own login;
  - relations between fields or with the clock: an application's `applied_at` not in the
    future, `applied_after` before `applied_before`, a salary's `min` <= `max` with one given,
    a new application with its title and company or a job to copy them from, a saved search's
    salary floor with its currency (and a currency only with a floor), the corpus search's salary
    bounds and salary sort with a currency and a company named by letters or digits;
Each fix is made just before the call (`before_call`), so it holds in every phase.
  - Stripe's signature over the exact bytes of a webhook event (JOBIN_FUZZ_WEBHOOK_SECRET);
  - saved searches' webhooks point at the fuzzed server itself (a 404 sink), so no event is sent
    to a host the generator made up.
"""

import datetime
import hashlib
import hmac
import json
import os
import time
import uuid

import requests
import schemathesis

BASE = os.environ["JOBIN_FUZZ_URL"]
EMAIL = os.environ["JOBIN_FUZZ_EMAIL"]
PASSWORD = os.environ["JOBIN_FUZZ_PASSWORD"]
WEBHOOK_SECRET = os.environ["JOBIN_FUZZ_WEBHOOK_SECRET"]
JOB_ID = os.environ["JOBIN_FUZZ_JOB_ID"]


def op_id(ctx):
    op = getattr(ctx, "operation", None)
    definition = getattr(op, "definition", None)
    raw = getattr(definition, "raw", None) or {}
    return (raw.get("operationId") or "").removesuffix("_unversioned")


def parse_when(raw):
    if not isinstance(raw, str):
        return None
    try:
        if "T" in raw or "t" in raw:
            value = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
            if value.tzinfo is None:
                value = value.replace(tzinfo=datetime.timezone.utc)
            return value
        d = datetime.date.fromisoformat(raw)
        return datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def in_future(raw):
    when = parse_when(raw)
    return when is not None and when > datetime.datetime.now(datetime.timezone.utc)


def past(raw):
    """`raw`, or a moment in the past when `raw` lies ahead."""
    when = parse_when(raw)
    if when is not None and when > datetime.datetime.now(datetime.timezone.utc):
        return "2020-01-01T00:00:00Z"
    return raw


def fix_body(op, body):
    """Only for schema-valid cases: an invalid one (negative mode) is sent as generated."""
    if not isinstance(body, dict):
        return
    if op in ("jobs_feed", "jobo_jobs_feed"):
        body.pop("cursor", None)  # only a cursor the server issued is valid
    if op == "login":
        body.update(email=EMAIL, password=PASSWORD)
    if op == "change_password":
        body["current_password"] = PASSWORD
        body["new_password"] = PASSWORD  # the run keeps logging in with it
    if op in ("create_application", "update_application") and "applied_at" in body:
        body["applied_at"] = past(body["applied_at"])
    if op == "create_application" and not body.get("job_id"):
        body["job_title"] = body.get("job_title") or "Engineer"
        body["company_name"] = body.get("company_name") or "Acme"
    if op in ("create_application", "update_application") and isinstance(body.get("job_id"), str):
        body["job_id"] = JOB_ID  # a job the store holds
    if op in ("create_saved_search", "update_saved_search"):
        fix_floor(body)
        if isinstance(body.get("webhook_url"), str):
            body["webhook_url"] = f"{BASE}/fuzz-webhook-sink"  # this machine: no event leaves it
    salary = body.get("salary")
    if isinstance(salary, dict):
        lo, hi = salary.get("min"), salary.get("max")
        number = (int, float)
        if lo is None and hi is None:
            salary["min"] = 1.0
        elif isinstance(lo, number) and isinstance(hi, number) and lo > hi:
            salary["min"], salary["max"] = hi, lo


def fix_floor(body):
    """A salary floor names its currency, a currency comes with a floor, and clearing the
    currency clears the floor (the pinned search's country may have been cleared)."""
    floor, currency = body.get("salary_min"), body.get("salary_currency")
    if isinstance(floor, int):
        if not isinstance(currency, str):
            body["salary_currency"] = "USD"
    elif isinstance(currency, str):
        body["salary_min"] = 50000
    elif "salary_currency" in body:
        body["salary_min"] = None  # a stored floor without a country has no currency to fall back on


def fix_query(op, query):
    if not isinstance(query, dict):
        return
    if op in ("jobs_expired", "jobo_jobs_expired", "search_corpus"):
        query.pop("cursor", None)
    if op == "search_corpus":
        # Salaries are compared in one currency: bounds and sort=salary come with it, min <= max.
        lo, hi = query.get("salary_min"), query.get("salary_max")
        if (lo is not None or hi is not None or query.get("sort") == "salary") and not query.get("salary_currency"):
            query["salary_currency"] = "USD"
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo > hi:
            query["salary_max"] = lo
        company = query.get("company")
        if isinstance(company, str) and not any(c.isalnum() for c in company):
            query["company"] = "Acme"  # a company is named by its letters or digits
    after, before = parse_when(query.get("applied_after")), parse_when(query.get("applied_before"))
    if after is not None and before is not None and after >= before:
        query.pop("applied_before")


def fresh_refresh_token():
    r = requests.post(f"{BASE}/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=30)
    r.raise_for_status()
    return r.json()["refresh_token"]


@schemathesis.hook
def before_call(ctx, case, kwargs):
    op = op_id(ctx)
    headers = dict(case.headers or {})
    if any(k.lower() == "idempotency-key" for k in headers):
        headers = {k: v for k, v in headers.items() if k.lower() != "idempotency-key"}
        headers["Idempotency-Key"] = str(uuid.uuid4())
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    if mode is None or getattr(mode, "is_positive", True):
        fix_body(op, case.body)
        fix_query(op, case.query)
    if op == "refresh_session" and isinstance(case.body, dict):
        case.body["refresh_token"] = fresh_refresh_token()
    if op == "stripe_webhook":
        try:
            raw = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
        except TypeError:
            raw = None  # no body (a negative case): sent unsigned
    if op == "stripe_webhook" and raw is not None:
        stamp = int(time.time())
        mac = hmac.new(WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + raw, hashlib.sha256).hexdigest()
        headers["Stripe-Signature"] = f"t={stamp},v1={mac}"
        case.body = raw
    case.headers = headers
