import { require } from "./peers.mjs";

const { GraphQLError } = require("graphql");

/** A resolver error with an `extensions.code`, as real subgraphs send them. */
export function fail(message, code, extra = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}
