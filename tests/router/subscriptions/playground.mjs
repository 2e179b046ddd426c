// Drives the router's GraphiQL playground in headless Chromium (Debian's): sets a token, runs a
// query with its plan shown, starts a subscription, makes the subgraph emit, waits for the event
// on the page, and saves a screenshot. Prints one JSON line; exits non-zero on failure.
// Usage: node playground.mjs '{"router": URL, "inbox": URL, "token": T, "screenshot": PATH}'
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

async function open(query) {  // the page, with `query` in its editor (a /graphql?query= link)
  await page.goto(args.router + "/graphql?query=" + encodeURIComponent(query));
  await page.waitForFunction((q) => {
    const cm = document.querySelector(".graphiql-query-editor .CodeMirror");
    return cm && cm.CodeMirror.getValue() === q;
  }, query, { timeout: 20000 });
}
const response = () => page.evaluate(
  () => document.querySelector(".graphiql-response .CodeMirror")?.CodeMirror.getValue() ?? "");
async function waitForResponse(needle) {
  await page.waitForFunction((n) => {
    const cm = document.querySelector(".graphiql-response .CodeMirror");
    return cm && cm.CodeMirror.getValue().includes(n);
  }, needle, { timeout: 20000 });
}
async function inboxActive() {
  const r = await fetch(args.inbox + "/graphql", { method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ activeSubscriptions }" }) });
  return (await r.json()).data.activeSubscriptions;
}

try {
  await open('{ person(id: "u1") { name } }');
  await page.fill("#token", args.token);
  await page.click("#apply");
  await page.check("#show-plan");
  out.steps.push("loaded");
  await page.click(".graphiql-execute-button");
  await waitForResponse('"Ada"');
  await page.waitForFunction(() => document.getElementById("plan").textContent.includes("QueryPlan"),
    null, { timeout: 20000 });
  out.plan = await page.textContent("#plan");
  out.query = await response();
  out.steps.push("query");

  await open("subscription { messageAdded { text author { name } } }");  // token kept
  await page.click(".graphiql-execute-button");
  const deadline = Date.now() + 20000;
  while ((await inboxActive()) < 1) {
    if (Date.now() > deadline) throw new Error("the subscription never reached the inbox");
    await new Promise((r) => setTimeout(r, 50));
  }
  const mutation = 'mutation { send(to: "' + args.token + '", text: "from the browser", author: "u2") { id } }';
  await fetch(args.inbox + "/graphql", { method: "POST",
    headers: { "content-type": "application/json" }, body: JSON.stringify({ query: mutation }) });
  await waitForResponse("from the browser");
  out.event = await response();
  out.steps.push("subscription");
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
