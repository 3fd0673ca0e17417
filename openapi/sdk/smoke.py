"""Smoke test of the generated Python client (target/sdk/python) against a live demo server.

Run by openapi/sdk/smoke.sh, which starts the server and sets JOBIN_URL (its address) and
JOBIN_SET_PLAN (a command taking an email and a plan). Every call goes through the generated
client, and every answer is parsed into its generated model: a field the document misdescribes
fails here as it would in a user's code.
"""

import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from smoke_checks import Checks  # noqa: E402

import feedparser
import httpx

from jobin_api_client import AuthenticatedClient, Client
from jobin_api_client.api.account import create_api_key, get_account, register_account
from jobin_api_client.api.feed import jobs_feed
from jobin_api_client.api.jobs import get_job, salary_stats, search_corpus, search_jobs, skill_trends
from jobin_api_client.api.searches import create_feed_token, create_saved_search, list_saved_search_matches
from jobin_api_client.api.tracker import create_application, score_application
from jobin_api_client.models import (
    ApplicationEnvelope,
    CorpusBody,
    CorpusSort,
    Country,
    Credentials,
    ErrorBody,
    ErrorCode,
    Facet,
    FeedBody,
    FeedJob,
    FeedPageBody,
    FeedTokenEnvelope,
    KeyRequest,
    MatchPageEnvelope,
    MeBody,
    NewApplication,
    NewKey,
    NewSavedSearch,
    Plan,
    Registered,
    SalaryBody,
    SavedSearchEnvelope,
    ScoreEnvelope,
    ScoreRequest,
    SearchBody,
    Scope,
)
from jobin_api_client.types import UNSET

BASE = os.environ["JOBIN_URL"]
check = Checks("python smoke")


def ok(resp, model, what):
    check(resp.status_code // 100 == 2, f"{what}: HTTP {resp.status_code} {resp.content[:300]!r}")
    check(isinstance(resp.parsed, model), f"{what}: parsed as {type(resp.parsed).__name__}, not {model.__name__}")
    return resp.parsed


def error(resp, status, code, what):
    check(resp.status_code == status, f"{what}: HTTP {resp.status_code}, expected {status}")
    body = resp.parsed
    check(isinstance(body, ErrorBody), f"{what}: the error parsed as {type(body).__name__}, not ErrorBody")
    check(body.code == code, f"{what}: code {body.code}, expected {code}")
    check(body.request_id == resp.headers.get("x-request-id"), f"{what}: request_id matches X-Request-Id")
    return body


anonymous = Client(base_url=BASE)
email = f"sdk-{uuid.uuid4().hex[:12]}@example.com"

# Register, then move the account to Scale (every board, unsalaried jobs among them).
reg = ok(register_account.sync_detailed(client=anonymous, body=Credentials(email=email, password="correct horse battery")),
         Registered, "register")
check(reg.plan == Plan.FREE, "a new account is on Free")
subprocess.run([*os.environ["JOBIN_SET_PLAN"].split(), email, "scale"], check=True, capture_output=True)
api = AuthenticatedClient(base_url=BASE, token=reg.api_key)

me = ok(get_account.sync_detailed(client=api), MeBody, "me")
check(me.plan == Plan.SCALE, f"me: plan {me.plan}")
check(len(me.api_keys) == 1 and me.api_keys[0].last_used_at is not UNSET, "me: the registration key is listed")

key = ok(create_api_key.sync_detailed(client=api, body=KeyRequest(name="sdk read-only", scopes=[Scope.JOBSREAD])),
         NewKey, "create a key")
read_only = AuthenticatedClient(base_url=BASE, token=key.key)

# A saved search with its Atom feed on, saved before the search below lands postings.
saved = ok(create_saved_search.sync_detailed(client=api, body=NewSavedSearch(q="developer", name="Developers")),
           SavedSearchEnvelope, "save a search")
feed_token = ok(create_feed_token.sync_detailed(saved.data.id, client=api), FeedTokenEnvelope, "feed token")

# Search on Scale: salaried and unsalaried jobs parse alike.
found = ok(search_jobs.sync_detailed(client=api, q="developer"), SearchBody, "search")
check(len(found.jobs) > 0, "search: jobs found")
salaried = [j for j in found.jobs if j.salary is not None and j.salary is not UNSET]
unsalaried = [j for j in found.jobs if j.salary is None or j.salary is UNSET]
check(salaried and unsalaried, f"search: both salaried ({len(salaried)}) and unsalaried ({len(unsalaried)}) jobs")
check(all(s.status is not None for s in found.meta.sources), "search: every board's status parsed")

job = ok(get_job.sync_detailed(found.jobs[0].id, client=api), FeedJob, "one job")
check(job.id == found.jobs[0].id, "one job: the same id")

salary = ok(salary_stats.sync_detailed(client=api, q="developer"), SalaryBody, "salary")
check(salary.coverage.postings > 0, "salary: computed over stored postings")

# The stored corpus: every page parses, no posting twice, facets count over everything.
seen, cursor, pages = set(), UNSET, 0
while True:
    page = ok(search_corpus.sync_detailed(client=api, q="developer", country=[Country.GB, Country.DE], limit=4,
                                          facets=[Facet.SOURCE, Facet.SALARY], cursor=cursor), CorpusBody, "corpus")
    pages += 1
    ids = [j.id for j in page.jobs]
    check(not (seen & set(ids)), "corpus: no posting on two pages")
    seen.update(ids)
    check(page.facets is not UNSET and len(page.facets.source) > 0, "corpus: the source facet")
    if not page.meta.next_cursor:
        break
    cursor = page.meta.next_cursor
    check(pages < 1000, "corpus: the walk ends")
check(len(seen) > 0 and page.meta.total_exact, f"corpus: {len(seen)} postings over {pages} pages")
error(search_corpus.sync_detailed(client=api, sort=CorpusSort.SALARY), 400, ErrorCode.VALIDATION_FAILED,
      "corpus: sort=salary without a currency")

# Feed paging: every page parses, no job twice, the cursor ends the walk.
seen, cursor, pages = set(), UNSET, 0
while True:
    page = ok(jobs_feed.sync_detailed(client=api, body=FeedBody(batch_size=3, cursor=cursor)), FeedPageBody, "feed")
    pages += 1
    ids = [j.id for j in page.jobs]
    check(not (seen & set(ids)), "feed: no job on two pages")
    seen.update(ids)
    if not page.has_more:
        break
    cursor = page.next_cursor
    check(pages < 1000, "feed: the walk ends")
check(pages > 1 and len(seen) >= len(found.jobs), f"feed: {len(seen)} jobs over {pages} pages")

# Matching runs every few seconds: the search's matches, then its Atom feed read by feedparser.
for _ in range(60):
    matched = ok(list_saved_search_matches.sync_detailed(saved.data.id, client=api, limit=100), MatchPageEnvelope,
                 "matches")
    if matched.data:
        break
    time.sleep(0.5)
check(len(matched.data) > 0, "saved search: the postings the search landed matched")
check(all(e.data.search_id == saved.data.id and e.data.job is not UNSET for e in matched.data),
      "matches: each event with its search and posting")
atom = httpx.get(f"{BASE}/v1/searches/{saved.data.id}/feed.atom", params={"token": feed_token.data.token})
check(atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml"), "feed: Atom")
parsed = feedparser.parse(atom.content)
check(not parsed.bozo, f"feed: well-formed ({parsed.get('bozo_exception')})")
check(parsed.version == "atom10", f"feed: read as Atom 1.0 ({parsed.version})")
check(parsed.feed.title == "JobIn: Developers", f"feed: title {parsed.feed.get('title')}")
check(len(parsed.entries) == min(50, len(matched.data)), f"feed: {len(parsed.entries)} entries")
check(all(e.get("id") and e.get("link", "").startswith("http") and e.get("updated_parsed") for e in parsed.entries),
      "feed: every entry has an id, a link and a date")

# The tracker: an application from a search result, scored once, then the AI limit (see smoke.sh).
app = ok(create_application.sync_detailed(client=api, body=NewApplication(job_id=found.jobs[0].id)),
         ApplicationEnvelope, "create an application")
score = ok(score_application.sync_detailed(app.data.id, client=api, body=ScoreRequest(skills=["python"])),
           ScoreEnvelope, "score")
check(0 <= score.data.score <= 100, "score: 0-100")

# An error of each class, parsed into the error model.
error(search_jobs.sync_detailed(client=api, q=" "), 400, ErrorCode.VALIDATION_FAILED, "blank q")
error(get_account.sync_detailed(client=AuthenticatedClient(base_url=BASE, token="jl_live_" + "0" * 40)), 401,
      ErrorCode.INVALID_CREDENTIALS, "unknown key")
error(salary_stats.sync_detailed(client=read_only, q="developer"), 403, ErrorCode.INSUFFICIENT_SCOPE, "missing scope")
error(get_job.sync_detailed("reed:does-not-exist", client=api), 404, ErrorCode.JOB_NOT_FOUND, "unknown job")
bare = ok(create_application.sync_detailed(client=api, body=NewApplication(company_name="Acme", job_title="Engineer")),
          ApplicationEnvelope, "an application without a job")
error(score_application.sync_detailed(bare.data.id, client=api, body=ScoreRequest()), 409, ErrorCode.NO_LINKED_JOB,
      "score without a job")
limited = error(score_application.sync_detailed(app.data.id, client=api, body=ScoreRequest()), 429,
                ErrorCode.RATE_LIMITED, "the AI limit")
check(isinstance(limited.retry_after, int) and limited.retry_after > 0, "429: retry_after parsed")
error(skill_trends.sync_detailed(client=api, q="developer", x_ai_provider="nobody", x_ai_model="x"), 400,
      ErrorCode.UNKNOWN_AI_PROVIDER, "unknown AI provider")

print(f"python smoke: ok ({check.count} checks)")
