#!/usr/bin/env python3
"""The Jobo Feed document's sync workflow, pointed at JobIn's Jobo-compatible pair.

POST {BASE}/feed and GET {BASE}/expired answer like Jobo's, so this is the document's example with
only the base URL and key changed (and the standard library instead of `requests`):
  1. Record this run's start before the first request.
  2. Page /feed with posted_after = last run's start - 15 min (none on the first run: the
     backfill), upserting by id; the cursor is checkpointed after every page, so a crash resumes
     mid-stream. On 400 invalid cursor, drop the cursor and restart paging.
  3. Sweep /expired?expired_since=<last run's start> and drop every id returned.
  4. Only then save this run's start as the new checkpoint.
On 503, wait Retry-After seconds and retry.

Usage:
  JOBO_BASE=http://127.0.0.1:8080/api/jobs JOBO_API_KEY=jl_live_... python3 examples/jobo_sync.py [state_dir]
The copy is state_dir/store.json (default ./jobo-sync).
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

BASE = os.environ.get("JOBO_BASE", "http://127.0.0.1:8080/api/jobs").rstrip("/")
API_KEY = os.environ.get("JOBO_API_KEY") or sys.exit("set JOBO_API_KEY to a Pro (or higher) API key")
DIR = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "jobo-sync")
STATE, STORE = DIR / "sync_state.json", DIR / "store.json"
OVERLAP = dt.timedelta(minutes=15)


class InvalidCursor(Exception):
    pass


def request(method, url, body=None):
    while True:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("X-Api-Key", API_KEY)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            err = json.loads(e.read() or b"{}")
            if e.code == 503:
                time.sleep(int(e.headers.get("Retry-After", "5")))
                continue
            if e.code == 400 and err.get("code") == "invalid_cursor":
                raise InvalidCursor() from None
            raise SystemExit(f"{method} {url}: {e.code} {err.get('code')}: {err.get('error')}")


def save(path, value):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value))
    tmp.replace(path)  # atomic: a crash never leaves half a file


def main():
    DIR.mkdir(parents=True, exist_ok=True)
    state = json.loads(STATE.read_text()) if STATE.exists() else {"last_run_at": None, "cursor": None}
    store = json.loads(STORE.read_text()) if STORE.exists() else {}
    this_run_at = dt.datetime.now(dt.timezone.utc).isoformat()

    # 1. Page the feed with posted_after = last run - overlap.
    posted_after = None
    if state["last_run_at"]:
        posted_after = (dt.datetime.fromisoformat(state["last_run_at"]) - OVERLAP).isoformat()
    cursor, restarts = state.get("cursor"), 0
    while True:
        body = {"batch_size": 1000}
        if posted_after:
            body["posted_after"] = posted_after
        if cursor:
            body["cursor"] = cursor
        try:
            data = request("POST", f"{BASE}/feed", body)
        except InvalidCursor:
            # The document's rule: drop the cursor and restart pagination, never loop on it.
            restarts += 1
            if restarts > 3:
                raise SystemExit("the feed keeps refusing a fresh cursor")
            cursor = None
            continue
        for job in data["jobs"]:
            store[job["id"]] = job  # upsert
        cursor = data["next_cursor"]
        save(STORE, store)
        save(STATE, {**state, "cursor": cursor})  # checkpoint
        if not data["has_more"]:
            break

    # 2. Sweep expired ids since the last successful run.
    removed = 0
    if state["last_run_at"]:
        cursor = None
        while True:
            params = {"expired_since": state["last_run_at"], "batch_size": 10000}
            if cursor:
                params["cursor"] = cursor
            try:
                r = request("GET", f"{BASE}/expired?" + urllib.parse.urlencode(params))
            except InvalidCursor:
                cursor = None
                continue
            for jid in r["job_ids"]:
                removed += store.pop(jid, None) is not None
            cursor = r["next_cursor"]
            if not r["has_more"]:
                break
        save(STORE, store)

    # 3. Commit the new checkpoint only after both halves succeeded.
    save(STATE, {"last_run_at": this_run_at, "cursor": None})
    print(json.dumps({"active": len(store), "removed": removed, "restarts": restarts}))


if __name__ == "__main__":
    main()
