// Resolvers of the four benchmark subgraphs over the fixed data in data.mjs.
import { IN_STOCK, PRODUCTS, REVIEWS, USERS } from "./data.mjs";

const userById = new Map(USERS.map((u) => [u.id, u]));
const productByUpc = new Map(PRODUCTS.map((p) => [p.upc, p]));
const reviewById = new Map(REVIEWS.map((r) => [r.id, r]));

const accounts = {
  Query: {
    me: () => USERS[0],
    user: (_, { id }) => userById.get(id) ?? null,
    users: () => USERS,
  },
  User: {
    __resolveReference: ({ id }) => userById.get(id) ?? null,
  },
};

const products = {
  Query: {
    topProducts: (_, { first }) => PRODUCTS.slice(0, first ?? 5),
  },
  Product: {
    __resolveReference: ({ upc }) => productByUpc.get(upc) ?? null,
  },
};

const inventory = {
  Product: {
    // The representation carries price and weight (the @requires fields).
    __resolveReference: (ref) => ({ ...ref, inStock: IN_STOCK[ref.upc] ?? null }),
    shippingEstimate: ({ price, weight }) => {
      if (price == null) return null;
      if (price > 1000) return 0;
      return weight == null ? null : Math.trunc(weight / 2);
    },
  },
};

const FIRST_TWO = REVIEWS.slice(0, 2);

const reviews = {
  Review: {
    __resolveReference: ({ id }) => reviewById.get(id) ?? null,
    author: () => ({ id: "1", username: "urigo" }),
    product: (review) => ({ upc: review.upc }),
  },
  User: {
    __resolveReference: ({ id }) => ({ id }),
    reviews: () => FIRST_TWO,
  },
  Product: {
    __resolveReference: ({ upc }) => ({ upc }),
    reviews: ({ upc }) => REVIEWS.filter((r) => r.upc === upc),
  },
};

export const RESOLVERS = { accounts, products, inventory, reviews };
