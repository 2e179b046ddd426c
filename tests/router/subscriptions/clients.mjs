// Real clients against the router: the `graphql-ws` client, Apollo Client with GraphQLWsLink,
// and Apollo Client with HttpLink (multipart subscriptions). Each subscribes to messages for
// "alice" with fields from two subgraphs; the script sends the message through the inbox
// subgraph once the subscription reached it. Prints one JSON line: what each client received.
// Usage: node clients.mjs '{"router": URL, "inbox": URL}'
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "..", "..", "peers", "package.json"));
const WebSocket = require("ws");
const { createClient } = require("graphql-ws");
const { ApolloClient, InMemoryCache, HttpLink, gql } = require("@apollo/client");
const { GraphQLWsLink } = require("@apollo/client/link/subscriptions");

const args = JSON.parse(process.argv[2]);
const wsUrl = args.router.replace(/^http/, "ws") + "/graphql";
// One operation name per client: identical subscriptions would share one upstream subscription,
// and each client must open its own for the "reached the inbox" gate to count it.
const messages = (name) => `subscription ${name} { messageAdded { text author { name } } }`;
const auth = { authorization: "Bearer alice" };

async function inbox(query) {
  const r = await fetch(args.inbox + "/graphql", { method: "POST",
    headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) });
  return (await r.json()).data;
}

async function whenSubscribed(count) {
  const deadline = Date.now() + 15000;
  while ((await inbox("{ openedSubscriptions }")).openedSubscriptions < count) {
    if (Date.now() > deadline) throw new Error("no upstream subscription reached the inbox");
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Subscribe with `start(observer)`, send one message once the inbox has the subscription,
// resolve with the first event; `opened` counts upstream subscriptions so far.
function firstEvent(start, opened, text) {
  return new Promise((resolve, reject) => {
    const stop = start({
      next: (value) => { resolve(value); stop(); },
      error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
      complete: () => {},
    });
    whenSubscribed(opened)
      .then(() => inbox(`mutation { send(to: "alice", text: "${text}", author: "u2") { id } }`))
      .catch(reject);
  });
}

const out = {};
try {
  const wsClient = createClient({ url: wsUrl, connectionParams: auth, webSocketImpl: WebSocket });
  out.graphqlWs = await firstEvent((sink) => wsClient.subscribe({ query: messages("ViaGraphqlWs") }, sink), 1,
    "via graphql-ws");
  // A query over the same socket.
  out.graphqlWsQuery = await new Promise((resolve, reject) => {
    let value;
    wsClient.subscribe({ query: '{ person(id: "u1") { name } }' },
      { next: (v) => { value = v; }, error: reject, complete: () => resolve(value) });
  });
  await wsClient.dispose();

  const linkClient = createClient({ url: wsUrl, connectionParams: auth, webSocketImpl: WebSocket });
  const apolloWs = new ApolloClient({ link: new GraphQLWsLink(linkClient), cache: new InMemoryCache() });
  out.apolloWs = await firstEvent((observer) => {
    const s = apolloWs.subscribe({ query: gql(messages("ViaWsLink")) }).subscribe(observer);
    return () => s.unsubscribe();
  }, 2, "via GraphQLWsLink");
  await linkClient.dispose();

  const apolloHttp = new ApolloClient({
    link: new HttpLink({ uri: args.router + "/graphql", headers: auth }),
    cache: new InMemoryCache(),
  });
  out.apolloMultipart = await firstEvent((observer) => {
    const s = apolloHttp.subscribe({ query: gql(messages("ViaHttpLink")) }).subscribe(observer);
    return () => s.unsubscribe();
  }, 3, "via HttpLink multipart");
  out.apolloMultipartCountdown = await new Promise((resolve, reject) => {
    const values = [];
    apolloHttp.subscribe({ query: gql("subscription { countdown(start: 3) }") }).subscribe({
      next: (v) => values.push(v.data.countdown), error: reject, complete: () => resolve(values),
    });
  });
  out.ok = true;
} catch (error) {
  out.ok = false;
  out.error = String(error && error.stack || error);
}
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
