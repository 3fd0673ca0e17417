"""A real MCP client session against /mcp on a live demo server.

Run by tests/mcp/smoke.sh, which starts the server and sets JOBIN_URL (its address) and
JOBIN_SET_PLAN (a command taking an email and a plan). The client is the official Python SDK
(`mcp`): it initializes, lists the tools, calls each one and compares its answer with the REST
operation's, and meets the refusal a key without a scope gets.
"""

import asyncio
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "openapi"))
from smoke_checks import Checks  # noqa: E402

import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

BASE = os.environ["JOBIN_URL"]
check = Checks("mcp smoke")


def rest(method, path, key, **kw):
    r = httpx2.request(method, f"{BASE}{path}", headers={"X-API-Key": key, **kw.pop("headers", {})}, timeout=30, **kw)
    check(r.status_code < 300, f"REST {method} {path}: {r.status_code} {r.text[:300]}")
    return r.json()


def account():
    email = f"mcp-{uuid.uuid4().hex[:12]}@example.com"
    r = httpx2.post(f"{BASE}/v1/auth/register", json={"email": email, "password": "correct horse"}, timeout=30)
    check(r.status_code == 201, f"register: {r.status_code} {r.text}")
    subprocess.run([*os.environ["JOBIN_SET_PLAN"].split(), email, "scale"], check=True, capture_output=True)
    return r.json()["api_key"]


async def session(key, body):
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        async with streamable_http_client(f"{BASE}/mcp", http_client=http) as (read, write):
            async with ClientSession(read, write) as s:
                init = await s.initialize()
                check(init.server_info.name == "jobin", f"server info: {init.server_info}")
                await body(s)


async def call(s, name, args):
    r = await s.call_tool(name, args)
    check(not r.is_error, f"{name}: {r.content}")
    check(isinstance(r.structured_content, dict), f"{name}: structured content")
    return r.structured_content


def without(body, *fields):
    return {k: v for k, v in body.items() if k not in fields}


async def every_tool(s):
    listed = await s.list_tools()
    names = {t.name for t in listed.tools}
    check(names == readme_tools(), f"tools: {sorted(names)}, the README lists {sorted(readme_tools())}")
    for t in listed.tools:
        check(t.input_schema.get("type") == "object", f"{t.name}: input schema")
        check(bool(t.description), f"{t.name}: description")

    found = await call(s, "search_jobs", {"q": "python developer", "country": "gb"})
    check(len(found["jobs"]) > 0, "search_jobs: jobs")
    same = rest("GET", "/v1/jobs/search?q=python+developer&country=gb", KEY)
    check(found["jobs"] == same["jobs"], "search_jobs: the REST answer's jobs")

    job_id = found["jobs"][0]["id"]
    job = await call(s, "get_job", {"id": job_id})
    check(job == rest("GET", f"/v1/jobs/{job_id}", KEY), "get_job: the REST answer")

    args = {"q": "developer", "country": ["gb", "de"], "facets": ["source", "seniority"], "limit": 3}
    corpus = await call(s, "search_corpus", args)
    same = rest("GET", "/v1/jobs?q=developer&country=gb&country=de&facets=source,seniority&limit=3", KEY)
    check(corpus == same, f"search_corpus: the REST answer ({corpus.get('meta')} vs {same.get('meta')})")
    check(len(corpus["jobs"]) > 0 and corpus["meta"]["total"] >= len(corpus["jobs"]), "search_corpus: postings")
    if corpus["meta"]["nextCursor"]:
        more = await call(s, "search_corpus", {**args, "cursor": corpus["meta"]["nextCursor"]})
        ids = {j["id"] for j in corpus["jobs"]}
        check(not ids & {j["id"] for j in more["jobs"]}, "search_corpus: the next page repeats nothing")

    salary = await call(s, "salary_stats", {"q": "python developer", "country": "gb"})
    same = rest("GET", "/v1/jobs/salary?q=python+developer&country=gb", KEY)
    check(without(salary, "cached") == without(same, "cached"), f"salary_stats: {salary} vs {same}")

    ai = {"q": "python developer", "country": "gb", "ai_provider": "local", "ai_model": "rules"}
    headers = {"X-AI-Provider": "local", "X-AI-Model": "rules"}
    for tool, path in (("skill_trends", "trends"), ("market_insight", "insight")):
        answer = await call(s, tool, ai)
        same = rest("GET", f"/v1/jobs/{path}?q=python+developer&country=gb", KEY, headers=headers)
        check(without(answer, "cached") == without(same, "cached"), f"{tool}: the REST answer")

    saved = await call(s, "save_application", {"job_id": job_id, "tags": ["mcp"]})
    check(saved["data"]["job_id"] == job_id and saved["data"]["status"] == "saved", f"save_application: {saved}")
    listed_apps = await call(s, "list_applications", {"tag": "mcp"})
    check(listed_apps == rest("GET", "/v1/applications?tag=mcp", KEY), "list_applications: the REST answer")
    check([a["id"] for a in listed_apps["data"]] == [saved["data"]["id"]], "list_applications: the saved one")

    search = await call(s, "create_saved_search", {"q": "rust", "country": "gb"})
    stored = rest("GET", f"/v1/searches/{search['data']['id']}", KEY)
    check(stored["data"]["q"] == "rust", "create_saved_search: stored")

    bad = await s.call_tool("search_jobs", {"q": "rust", "limit": 5})
    check(bad.is_error and bad.structured_content["code"] == "validation_failed", f"bad arguments: {bad.content}")


async def narrow_key(s):
    found = await call(s, "search_jobs", {"q": "python"})
    check("jobs" in found, "a jobs:read key searches")
    refused = await s.call_tool("salary_stats", {"q": "python"})
    check(refused.is_error, "salary_stats without analytics:read is refused")
    e = refused.structured_content
    check(e["code"] == "insufficient_scope" and e["status"] == 403, f"refusal: {e}")
    check(e["details"]["required"] == "analytics:read", f"refusal names the scope: {e}")


def readme():
    return open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md"), encoding="utf-8").read()


def readme_tools():
    """The tools the README's MCP table lists (first column)."""
    section = readme().split("## MCP", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {row.split("`")[1] for row in rows}


def readme_snippet(key):
    """The README's Python example, run as written but for the key and the address."""
    blocks = [b.split("```", 1)[0] for b in readme().split("```python\n")[1:]]
    snippet = next((b for b in blocks if "streamable_http_client" in b), None)
    check(snippet is not None, "README: the MCP Python example")
    snippet = snippet.replace("jl_live_…", key).replace("http://127.0.0.1:8080", BASE)
    r = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"README example: {r.stderr[-2000:]}")
    check(r.stdout.strip() != "", "README example prints a job title")


async def main():
    global KEY
    KEY = account()
    await session(KEY, every_tool)
    narrow = rest("POST", "/v1/auth/keys", KEY, json={"name": "mcp read-only", "scopes": ["jobs:read"]})["key"]
    await session(narrow, narrow_key)

    readme_snippet(KEY)

    r = httpx2.post(f"{BASE}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=30,
                    headers={"Accept": "application/json, text/event-stream"})
    check(r.status_code == 401 and r.json()["code"] == "missing_credentials", f"no key: {r.status_code} {r.text}")
    print(f"mcp smoke: {check.count} checks passed")


asyncio.run(main())
