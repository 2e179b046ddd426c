// The issue's flow with real clients against `make dev`'s router: the `graphql-ws` client, Apollo
// Client with GraphQLWsLink and Apollo Client with HttpLink (multipart subscriptions) each
// subscribe to notificationAdded with fields of three subgraphs (notifications, users, tasks).
// Once every subscription delivers (gate: test notifications the subscriber sends itself, until
// each client has seen one), a mutation through the router assigns a task to the subscriber and
// each client must receive that notification. Prints one JSON line; exits non-zero on failure.
// Usage: node notification_clients.mjs '{"router": URL, "subscriber": TOKEN,
//   "assigner": TOKEN, "taskId": ID, "assigneeId": ID}'
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "peers", "package.json"));
const WebSocket = require("ws");
const { createClient } = require("graphql-ws");
const { ApolloClient, InMemoryCache, HttpLink, gql } = require("@apollo/client");
const { GraphQLWsLink } = require("@apollo/client/link/subscriptions");

const args = JSON.parse(process.argv[2]);
const url = args.router + "/graphql";
const subscriberAuth = { authorization: "Bearer " + args.subscriber };
// One operation name per client: each opens its own upstream subscription.
const notifications = (name) => `subscription ${name} { notificationAdded { type title
  recipient { name } subject { __typename ... on Task { title project { name } } } } }`;

async function graphql(token, query, variables = {}) {
  const r = await fetch(url, { method: "POST", body: JSON.stringify({ query, variables }),
    headers: { "content-type": "application/json", authorization: "Bearer " + token } });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function until(check, what, ms) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const received = { graphqlWs: [], apolloWs: [], apolloMultipart: [] };
const failures = [];
const observer = (name) => ({
  next: (value) => received[name].push(value),
  error: (e) => failures.push(`${name}: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
  complete: () => failures.push(`${name}: completed early`),
});
const seen = (type) => () => {
  if (failures.length) throw new Error(failures.join("; "));
  return Object.values(received).every((events) =>
    events.some((e) => e.data?.notificationAdded?.type === type));
};

const out = {};
const stops = [];
try {
  const wsClient = createClient({ url: url.replace(/^http/, "ws"), connectionParams: subscriberAuth,
    webSocketImpl: WebSocket });
  stops.push(() => wsClient.dispose());
  stops.push(wsClient.subscribe({ query: notifications("ViaGraphqlWs") }, observer("graphqlWs")));

  const linkClient = createClient({ url: url.replace(/^http/, "ws"),
    connectionParams: subscriberAuth, webSocketImpl: WebSocket });
  stops.push(() => linkClient.dispose());
  const apolloWs = new ApolloClient({ link: new GraphQLWsLink(linkClient), cache: new InMemoryCache() });
  const s1 = apolloWs.subscribe({ query: gql(notifications("ViaWsLink")) }).subscribe(observer("apolloWs"));
  stops.push(() => s1.unsubscribe());

  const apolloHttp = new ApolloClient({ link: new HttpLink({ uri: url, headers: subscriberAuth }),
    cache: new InMemoryCache() });
  const s2 = apolloHttp.subscribe({ query: gql(notifications("ViaHttpLink")) })
    .subscribe(observer("apolloMultipart"));
  stops.push(() => s2.unsubscribe());

  // Gate: the subscriptions are live end to end once a notification reaches all three.
  const gateDeadline = Date.now() + 60000;
  for (let round = 1; !seen("admin.test")(); round++) {
    if (Date.now() > gateDeadline) throw new Error("no test notification reached every client");
    await graphql(args.subscriber, `mutation ($t: String!) { sendTestNotification(title: $t) { id } }`,
      { t: "warm-up " + round });
    await until(seen("admin.test"), "a warm-up", 1000).catch(() => {});
  }
  out.assigned = (await graphql(args.assigner,
    "mutation ($id: ID!, $to: ID!) { assignTask(id: $id, assigneeId: $to) { title assignee { name } } }",
    { id: args.taskId, to: args.assigneeId })).assignTask;
  await until(seen("task.assigned"), "the task.assigned notification on every client", 60000);
  for (const [name, events] of Object.entries(received)) {
    out[name] = events.find((e) => e.data?.notificationAdded?.type === "task.assigned");
  }
  out.ok = true;
} catch (error) {
  out.ok = false;
  out.error = String(error && error.stack || error);
  out.received = received;
} finally {
  for (const stop of stops.reverse()) {
    try { stop(); } catch { /* already closed */ }
  }
}
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
