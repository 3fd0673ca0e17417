"""Checks the /docs page as headless Chromium rendered it (run by openapi/docs-check.sh)."""

import html
import re
import sys

dom_path, png_path = sys.argv[1], sys.argv[2]
dom = open(dom_path, encoding="utf-8").read()
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


png = open(png_path, "rb").read()
check(png.startswith(b"\x89PNG") and len(png) > 20_000, f"a screenshot of the rendered page ({len(png)} bytes)")

title = re.search(r"<title>(.*?)</title>", dom, re.S)
check(title and "JobIn API" in title.group(1), f"the title names the API: {title and title.group(1)!r}")

# Swagger UI renders each operation's path in a `.opblock-summary-path` with a data-path attribute.
paths = [html.unescape(p) for p in re.findall(r'class="opblock-summary-path"[^>]*data-path="([^"]+)"', dom)]
check(len(paths) >= 40, f"the operations were rendered ({len(paths)} found)")
check(paths and paths[0].startswith("/v1/"), f"the first operation is a /v1 one: {paths[:1]}")
stale = [p for p in paths if not (p.startswith("/v1/") or p.startswith("/api/"))]
check(not stale, f"only current operations are shown; also shown: {stale[:5]}")
check('class="opblock opblock-deprecated' not in dom, "no deprecated (struck-through) operation is shown")

# The expanded search operation (deep link): its 401 example is a credentials error, and request
# ids look like the server's (32 hex characters).
opened = dom[dom.find('id="operations-Jobs-search_jobs"'):]
opened = opened[:max(opened.find('class="opblock ', 1), 0) or len(opened)]
responses = re.findall(r'data-code="(\d+)"', opened)
check("401" in responses, f"the operation's responses were rendered: {responses}")
check('id="operations-Jobs-search_jobs"' in dom, "the deep link opened GET /v1/jobs/search")
text = html.unescape(re.sub(r"<[^>]+>", "", opened))
first_after_401 = re.search(r'"code":\s*"([a-z_]+)"', text[text.find("401"):])
check(first_after_401 is not None and first_after_401.group(1) in ("missing_credentials", "invalid_credentials"),
      f"the 401 example carries a credentials code: {first_after_401 and first_after_401.group(1)}")
ids = re.findall(r'"request_id":\s*"([^"]*)"', text)
check(ids and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids), f"request ids in the real format: {ids[:3]}")

if failures:
    print("docs-check: the rendered /docs page fails:", *failures, sep="\n  - ")
    sys.exit(1)
print(f"docs-check: /docs rendered in Chromium: {len(paths)} operations, all current; title {title.group(1)!r}; "
      f"screenshot {png_path} ({len(png)} bytes)")
