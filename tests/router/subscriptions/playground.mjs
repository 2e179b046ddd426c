// Drives the router's GraphiQL playground in headless Chromium (Debian's) on `make dev`'s stack:
// sets the subscriber's token, runs a query with its plan shown, starts the notificationAdded
// subscription (its plan shown too), waits until the page shows a test notification the
// subscriber sends itself (the subscription is live end to end), assigns a task to the
// subscriber through the router, waits for that event on the page, and saves a screenshot.
// Prints one JSON line; exits non-zero on failure.
// Usage: node playground.mjs '{"router": URL, "token": T, "assigner": T, "taskId": ID,
//   "assigneeId": ID, "query": Q, "subscription": S, "expect": [TEXT...], "screenshot": PATH}'
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "..", "peers", "package.json"));
const { chromium } = require("playwright-core");

const args = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const out = { ok: false, steps: [] };
const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
const offOrigin = [];  // every request the page makes must go to the router itself
page.on("request", (r) => { if (!r.url().startsWith(args.router)) offOrigin.push(r.url()); });

async function graphql(token, query, variables = {}) {  // from outside the page
  const r = await fetch(args.router + "/graphql", { method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer " + token },
    body: JSON.stringify({ query, variables }) });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
async function open(query) {  // the page, with `query` in its editor (a /graphql?query= link)
  await page.goto(args.router + "/graphql?query=" + encodeURIComponent(query));
  await page.waitForFunction((q) => {
    const cm = document.querySelector(".graphiql-query-editor .CodeMirror");
    return cm && cm.CodeMirror.getValue() === q;
  }, query, { timeout: 20000 });
}
const response = () => page.evaluate(
  () => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? "");
async function waitFor(needles, timeout = 20000) {  // all of `needles` in the response pane
  await page.waitForFunction((ns) => {
    const cm = document.querySelector(".graphiql-response .CodeMirror");
    return cm && ns.every((n) => cm.CodeMirror.getValue().includes(n));
  }, needles, { timeout });
}
const planShows = (text) => page.waitForFunction(
  (t) => document.getElementById("plan").textContent.includes(t), text, { timeout: 20000 });

try {
  await open(args.query);
  await page.fill("#token", args.token);
  await page.click("#apply");
  await page.check("#show-plan");
  out.steps.push("loaded");
  await page.click(".graphiql-execute-button");
  await waitFor(['"data"']);
  await planShows("QueryPlan");
  out.plan = await page.textContent("#plan");
  out.query = await response();
  out.steps.push("query");

  await open(args.subscription);  // token and plan box kept (localStorage)
  await page.click(".graphiql-execute-button");
  const deadline = Date.now() + 60000;
  for (let round = 1; ; round++) {  // until the page shows a notification: the gate
    if (Date.now() > deadline) throw new Error("no test notification reached the page");
    await graphql(args.token, "mutation ($t: String!) { sendTestNotification(title: $t) { id } }",
      { t: "warm-up " + round });
    try { await waitFor(["warm-up"], 1000); break; } catch { /* not live yet: send another */ }
  }
  await planShows("Subscription {");
  out.subscriptionPlan = await page.textContent("#plan");
  out.steps.push("subscribed");
  await graphql(args.assigner, "mutation ($id: ID!, $to: ID!) { assignTask(id: $id, assigneeId: $to) { id } }",
    { id: args.taskId, to: args.assigneeId });
  await waitFor(args.expect);
  out.event = await response();
  out.steps.push("event");
  out.ok = true;
} catch (error) {
  out.error = String(error);
} finally {
  out.offOrigin = offOrigin;
  await page.screenshot({ path: args.screenshot }).catch(() => {});
  await browser.close();
}
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
