#!/usr/bin/env python3
"""Keep a local copy of JobIn's active jobs in sync (the README's "Keeping a copy in sync").

One run = one incremental sync:
  1. Record this run's start time before the first request.
  2. Page POST /jobs/feed (posted_after = last run's start - 15 min; nothing on the first run,
     which is the backfill), upserting every job by id. The cursor is checkpointed after each page,
     so a crash resumes mid-stream. On 400 invalid_cursor the cursor is dropped and paging restarts.
  3. Page GET /jobs/expired?expired_since=<last run's start> and delete every id returned.
  4. Only then save this run's start as the new checkpoint.

Usage (standard library only):
  JOBIN_API=http://127.0.0.1:8080/v1 JOBIN_KEY=jl_live_... python3 examples/sync_client.py [state_dir]
Run it on a schedule (every 15-60 minutes). The copy is state_dir/jobs.json (default ./jobin-sync).
"""
import datetime as dt
import json
import os
import pathlib
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

API = os.environ.get("JOBIN_API", "http://127.0.0.1:8080/v1").rstrip("/")
KEY = os.environ.get("JOBIN_KEY") or sys.exit("set JOBIN_KEY to a Pro (or higher) API key")
DIR = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "jobin-sync")
STATE, STORE = DIR / "state.json", DIR / "jobs.json"
OVERLAP = dt.timedelta(minutes=15)


class InvalidCursor(Exception):
    """400 invalid_cursor: the cursor is garbled or belongs to other filters; restart without it."""


def call(method, path, body=None):
    """One request; waits out 429/503 (Retry-After) and raises on other errors."""
    while True:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(API + path, data=data, method=method)
        req.add_header("X-API-Key", KEY)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            err = json.loads(e.read() or b"{}")
            if e.code in (429, 503) and err.get("code") != "quota_exceeded":
                time.sleep(int(e.headers.get("Retry-After", "5")))
                continue
            if e.code == 400 and err.get("code") == "invalid_cursor":
                raise InvalidCursor() from None
            raise SystemExit(f"{method} {path}: {e.code} {err.get('code')}: {err.get('error')}")


def save(path, value):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value))
    tmp.replace(path)  # atomic: a crash never leaves half a file


def main():
    DIR.mkdir(parents=True, exist_ok=True)
    state = json.loads(STATE.read_text()) if STATE.exists() else {"last_run_at": None, "cursor": None}
    store = json.loads(STORE.read_text()) if STORE.exists() else {}
    # A resumed run keeps its start time; a new one records now.
    this_run_at = state.get("run_started_at") or dt.datetime.now(dt.timezone.utc).isoformat()
    state["run_started_at"] = this_run_at

    last = state["last_run_at"]
    body = {"batch_size": 1000}
    if last:
        body["posted_after"] = (dt.datetime.fromisoformat(last) - OVERLAP).isoformat()
    cursor, upserted, restarts = state.get("cursor"), 0, 0
    while True:
        try:
            page = call("POST", "/jobs/feed", {**body, **({"cursor": cursor} if cursor else {})})
        except InvalidCursor:
            # Drop the cursor and restart paging (never loop on the same value).
            restarts += 1
            if restarts > 3:
                raise SystemExit("the feed keeps refusing a fresh cursor")
            cursor = None
            continue
        for job in page["jobs"]:
            old = store.get(job["id"])
            if old is None or old.get("updatedAt") != job["updatedAt"]:
                store[job["id"]] = job
                upserted += 1
        cursor = page["next_cursor"]
        save(STORE, store)
        save(STATE, {**state, "cursor": cursor})  # checkpoint after every page
        if not page["has_more"]:
            break

    removed = 0
    if last:
        cursor = None
        while True:
            q = {"expired_since": last, "batch_size": 10000}
            if cursor:
                q["cursor"] = cursor
            try:
                page = call("GET", "/jobs/expired?" + urllib.parse.urlencode(q))
            except InvalidCursor:
                cursor = None
                continue
            for job_id in page["job_ids"]:
                removed += store.pop(job_id, None) is not None
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        save(STORE, store)

    save(STATE, {"last_run_at": this_run_at, "cursor": None})
    print(f"synced: {upserted} new or changed, {removed} expired removed, {len(store)} active jobs in {STORE}")


if __name__ == "__main__":
    main()
