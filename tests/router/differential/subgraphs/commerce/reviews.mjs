// commerce/reviews: @provides on an entity reference, @external, shareable entity field,
// custom scalar, arguments on entity fields, a mutation that may fail with a code.
import { fail } from "../errors.mjs";
import { nextSeq } from "../state.mjs";

export const typeDefs = /* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.7"
      import: ["@key", "@shareable", "@external", "@provides"]
    )

  scalar Date

  type Query {
    latestReviews(limit: Int = 3): [Review!]!
    review(id: ID!): Review
  }

  type Mutation {
    addReview(upc: String!, body: String!, rating: Int!): AddReviewResult!
  }

  type AddReviewResult {
    seq: Int!
    review: Review
  }

  type Review @key(fields: "id") {
    id: ID!
    body: String!
    rating: Int!
    createdAt: Date!
    author: User! @provides(fields: "username")
    product: Product!
  }

  type User @key(fields: "id") {
    id: ID!
    username: String! @external
    reviews: [Review!]!
  }

  type Product @key(fields: "upc") {
    upc: String!
    name: String! @shareable
    reviews(minRating: Int = 0): [Review!]!
    reviewCount: Int!
  }
`;

const USERNAMES = { u1: "ada", u2: "alan", u3: "grace", u4: "guest" };
const NAMES = { 1: "Table", 2: "Couch", 3: "Chair", 4: "Lamp", 5: "Rug", 6: "Shelf" };

const REVIEWS = [
  { id: "r1", body: "Love it", rating: 5, createdAt: "2024-01-02", authorId: "u1", upc: "1" },
  { id: "r2", body: "Too big", rating: 2, createdAt: "2024-02-14", authorId: "u2", upc: "1" },
  { id: "r3", body: "Comfy", rating: 4, createdAt: "2024-03-01", authorId: "u1", upc: "2" },
  { id: "r4", body: "Wobbly", rating: 1, createdAt: "2024-03-09", authorId: "u3", upc: "3" },
  { id: "r5", body: "Soft", rating: 5, createdAt: "2024-04-20", authorId: "u4", upc: "5" },
  { id: "r6", body: "Okay", rating: 3, createdAt: "2024-05-05", authorId: "u2", upc: "6" },
];

const review = (id) => REVIEWS.find((r) => r.id === id) ?? null;
const user = (id) => ({ id, username: USERNAMES[id] });
const product = (upc) => ({ upc, name: NAMES[upc] });

export const resolvers = {
  Query: {
    latestReviews: (_, { limit }) => [...REVIEWS].reverse().slice(0, limit),
    review: (_, { id }) => review(id),
  },
  Mutation: {
    addReview: (_, { upc, body, rating }) => {
      const seq = nextSeq();
      if (rating < 1 || rating > 5) {
        throw fail("rating must be between 1 and 5", "BAD_USER_INPUT", { field: "rating" });
      }
      return { seq, review: { id: `new-${seq}`, body, rating, createdAt: "2025-01-01", authorId: "u1", upc } };
    },
  },
  Review: {
    __resolveReference: (ref) => review(ref.id),
    author: (r) => user(r.authorId),
    product: (r) => product(r.upc),
  },
  User: {
    __resolveReference: (ref) => user(ref.id),
    reviews: (u) => REVIEWS.filter((r) => r.authorId === u.id),
  },
  Product: {
    __resolveReference: (ref) => product(ref.upc),
    reviews: (p, { minRating }) => REVIEWS.filter((r) => r.upc === p.upc && r.rating >= minRating),
    reviewCount: (p) => REVIEWS.filter((r) => r.upc === p.upc).length,
  },
};
