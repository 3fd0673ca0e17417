// Smoke test of the generated TypeScript types (target/sdk/typescript/api.d.ts) through
// openapi-fetch, against a live demo server. Type-checked with `tsc --strict` first (a request or
// a field the document misdescribes fails to compile), then run by openapi/sdk/smoke-ts.sh with
// JOBIN_URL and JOBIN_SET_PLAN as for the Python smoke test.
import createClient from "openapi-fetch";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { components, paths } from "./api.js";

type ErrorBody = components["schemas"]["ErrorBody"];
type ErrorCode = components["schemas"]["ErrorCode"];

const base = process.env.JOBIN_URL!;
let checks = 0;

function check(cond: unknown, what: string): asserts cond {
  if (!cond) {
    console.error(`ts smoke: FAILED: ${what}`);
    process.exit(1);
  }
  checks++;
}

function data<T>(r: { data?: T; error?: unknown; response: Response }, what: string): T {
  check(r.response.ok && r.data !== undefined, `${what}: HTTP ${r.response.status} ${JSON.stringify(r.error)}`);
  return r.data;
}

function failure(r: { error?: ErrorBody; response: Response }, status: number, code: ErrorCode, what: string): ErrorBody {
  check(r.response.status === status, `${what}: HTTP ${r.response.status}, expected ${status}`);
  const e = r.error;
  check(e !== undefined, `${what}: an error body`);
  check(e.code === code, `${what}: code ${e.code}, expected ${code}`);
  check(e.request_id === r.response.headers.get("x-request-id"), `${what}: request_id matches X-Request-Id`);
  return e;
}

const anonymous = createClient<paths>({ baseUrl: base });
const email = `sdk-ts-${randomUUID().slice(0, 12)}@example.com`;

const reg = data(
  await anonymous.POST("/v1/auth/register", { body: { email, password: "correct horse battery" } }),
  "register",
);
check(reg.plan === "free", "a new account is on Free");
const [cmd, ...args] = process.env.JOBIN_SET_PLAN!.split(" ");
execFileSync(cmd, [...args, email, "scale"], { stdio: "pipe" });

const api = createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${reg.api_key}` } });
const me = data(await api.GET("/v1/auth/me"), "me");
check(me.plan === "scale", `me: plan ${me.plan}`);

const key = data(await api.POST("/v1/auth/keys", { body: { name: "ts read-only", scopes: ["jobs:read"] } }), "key");
const readOnly = createClient<paths>({ baseUrl: base, headers: { "X-API-Key": key.key } });

const found = data(await api.GET("/v1/jobs/search", { params: { query: { q: "developer", country: "gb" } } }), "search");
check(found.jobs.length > 0, "search: jobs found");
const unsalaried = found.jobs.filter((j) => j.salary == null);
const salaried = found.jobs.filter((j) => j.salary != null);
check(unsalaried.length > 0 && salaried.length > 0, "search: both salaried and unsalaried jobs");
for (const j of salaried) {
  check(typeof j.salary?.currency === "string", "search: a salary has its currency");
}

const job = data(await api.GET("/v1/jobs/{id}", { params: { path: { id: found.jobs[0].id } } }), "one job");
check(job.id === found.jobs[0].id, "one job: the same id");

const salary = data(await api.GET("/v1/jobs/salary", { params: { query: { q: "developer" } } }), "salary");
check(salary.coverage.postings > 0, "salary: computed over stored postings");

const seen = new Set<string>();
let cursor: string | undefined;
let pages = 0;
for (;;) {
  const page = data(await api.POST("/v1/jobs/feed", { body: { batch_size: 3, cursor } }), "feed");
  pages++;
  for (const j of page.jobs) {
    check(!seen.has(j.id), "feed: no job on two pages");
    seen.add(j.id);
  }
  if (!page.has_more) break;
  cursor = page.next_cursor ?? undefined;
  check(pages < 1000, "feed: the walk ends");
}
check(pages > 1 && seen.size >= found.jobs.length, `feed: ${seen.size} jobs over ${pages} pages`);

// The stored corpus: every page parses, no posting twice, facets count over everything.
const corpusSeen = new Set<string>();
let corpusCursor: string | undefined;
let corpusPages = 0;
for (;;) {
  const page = data(
    await api.GET("/v1/jobs", {
      params: { query: { q: "developer", country: ["gb", "de"], limit: 4, facets: ["source"], cursor: corpusCursor } },
    }),
    "corpus",
  );
  corpusPages++;
  for (const j of page.jobs) {
    check(!corpusSeen.has(j.id), "corpus: no posting on two pages");
    corpusSeen.add(j.id);
  }
  check((page.facets?.source ?? []).length > 0, "corpus: the source facet");
  if (!page.meta.nextCursor) break;
  corpusCursor = page.meta.nextCursor;
  check(corpusPages < 1000, "corpus: the walk ends");
}
check(corpusSeen.size > 0, `corpus: ${corpusSeen.size} postings over ${corpusPages} pages`);
failure(await api.GET("/v1/jobs", { params: { query: { sort: "salary" } } }), 400, "validation_failed", "corpus: sort=salary without a currency");

const app = data(await api.POST("/v1/applications", { body: { job_id: found.jobs[0].id } }), "application");
const score = data(
  await api.POST("/v1/applications/{id}/score", { params: { path: { id: app.data.id } }, body: { skills: ["python"] } }),
  "score",
);
check(score.data.score >= 0 && score.data.score <= 100, "score: 0-100");

failure(await api.GET("/v1/jobs/search", { params: { query: { q: " " } } }), 400, "validation_failed", "blank q");
const stranger = createClient<paths>({ baseUrl: base, headers: { "X-API-Key": "jl_live_" + "0".repeat(40) } });
failure(await stranger.GET("/v1/auth/me"), 401, "invalid_credentials", "unknown key");
failure(
  await readOnly.GET("/v1/jobs/salary", { params: { query: { q: "developer" } } }),
  403,
  "insufficient_scope",
  "missing scope",
);
failure(await api.GET("/v1/jobs/{id}", { params: { path: { id: "reed:does-not-exist" } } }), 404, "job_not_found", "unknown job");
const bare = data(await api.POST("/v1/applications", { body: { company_name: "Acme", job_title: "Engineer" } }), "bare");
failure(
  await api.POST("/v1/applications/{id}/score", { params: { path: { id: bare.data.id } }, body: {} }),
  409,
  "no_linked_job",
  "score without a job",
);
const limited = failure(
  await api.POST("/v1/applications/{id}/score", { params: { path: { id: app.data.id } }, body: {} }),
  429,
  "rate_limited",
  "the AI limit",
);
check(typeof limited.retry_after === "number" && limited.retry_after > 0, "429: retry_after");

console.log(`ts smoke: ok (${checks} checks)`);
