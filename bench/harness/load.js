// k6 load script shared by the benchmarks (no remote imports: the machine may be offline).
//
// Environment:
//   ENDPOINT       URL to POST to
//   BODY_FILE      absolute path of the JSON request body, or of a JSON array of bodies that each
//                  iteration sends in order (e.g. add to cart, then check out)
//   EXPECTED_FILE  absolute path of the reference response ({"data": ...}) every response must equal
//                  (empty: only status and errors are checked, e.g. for mutations)
//   HEADERS_JSON   extra request headers as a JSON object (e.g. an Authorization header), or an
//                  array of such objects: virtual user N uses element (N - 1) modulo its length
//   VUS            virtual users (default 50)
//   DURATION       run time (default 30s)
//   SUMMARY_FILE   where the JSON summary goes
//
// Every response is checked: status 200, no "errors", and the same data as the reference. The
// data check compares the body text with the last body this VU already proved equal (cheap), and
// only parses and compares deeply when the text differs, so k6 does not become the bottleneck.
import http from "k6/http";
import { check } from "k6";

const endpoint = __ENV.ENDPOINT;
const bodyText = open(__ENV.BODY_FILE);
const bodies = bodyText.trim().startsWith("[")
  ? JSON.parse(bodyText).map((b) => JSON.stringify(b))
  : [bodyText];
const expected = __ENV.EXPECTED_FILE ? JSON.parse(open(__ENV.EXPECTED_FILE)) : null;
const extraHeaders = JSON.parse(__ENV.HEADERS_JSON || "{}");

function paramsFor(vu) {
  const extra = Array.isArray(extraHeaders)
    ? extraHeaders[(vu - 1) % extraHeaders.length]
    : extraHeaders;
  return { headers: Object.assign({ "content-type": "application/json" }, extra) };
}

export const options = {
  vus: Number(__ENV.VUS || 50),
  duration: __ENV.DURATION || "30s",
  summaryTrendStats: ["avg", "min", "med", "p(95)", "p(99)", "max"],
  discardResponseBodies: false,
  noConnectionReuse: false,
};

function sameValue(a, b) {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(b, key) || !sameValue(a[key], b[key])) return false;
  }
  return true;
}

let provenBody = null; // per VU: a body text already shown to carry the reference data

function verdict(res) {
  if (res.status !== 200) return { status: false, errors: false, data: false };
  if (res.body === provenBody) return { status: true, errors: true, data: true };
  let parsed;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    return { status: true, errors: false, data: false };
  }
  const noErrors = parsed.errors === undefined;
  const sameData = noErrors && (expected === null || sameValue(parsed.data, expected.data));
  if (sameData) provenBody = res.body;
  return { status: true, errors: noErrors, data: sameData };
}

export default function () {
  const params = paramsFor(__VU);
  for (const body of bodies) {
    const res = http.post(endpoint, body, params);
    const v = verdict(res);
    check(res, {
      "status 200": () => v.status,
      "no errors": () => v.errors,
      "same data as reference": () => v.data,
    });
  }
}

export function handleSummary(data) {
  const reqs = data.metrics.http_reqs ? data.metrics.http_reqs.values : { count: 0, rate: 0 };
  const line = `k6: ${reqs.count} requests, ${reqs.rate.toFixed(1)}/s\n`;
  return { stdout: line, [__ENV.SUMMARY_FILE]: JSON.stringify(data) };
}
