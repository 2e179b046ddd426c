// commerce/products: Product with two keys (upc, sku), arguments, value types, enums,
// a resolvable: false reference to User, shareable root and entity fields, a mutation.
import { fail } from "../errors.mjs";
import { nextSeq } from "../state.mjs";

export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])

  enum Currency {
    EUR
    USD
  }

  enum WeightUnit {
    GRAM
    KILOGRAM
  }

  type Query {
    topProducts(first: Int = 5): [Product!]!
    product(upc: String!): Product
    productBySku(sku: String!): Product
    categories: [Category!]!
    shop: ShopInfo! @shareable
  }

  type Mutation {
    createProduct(name: String!, price: Int!): CreateProductResult
  }

  type CreateProductResult {
    seq: Int!
    product: Product
  }

  type ShopInfo @shareable {
    name: String!
    currency: String!
  }

  type Product @key(fields: "upc") @key(fields: "sku") {
    upc: String!
    sku: String!
    name: String! @shareable
    price: Money!
    weight(unit: WeightUnit = GRAM): Float!
    dimensions: Dimensions!
    category: Category @shareable
    inStock: Boolean!
    restockEta: String
    createdBy: User
  }

  type Money @shareable {
    amount: Int!
    currency: Currency!
  }

  type Dimensions @shareable {
    width: Float!
    height: Float!
    depth: Float!
  }

  type Category @key(fields: "id") {
    id: ID!
    name: String! @shareable
    products: [Product!]!
  }

  type User @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;

export const PRODUCTS = [
  { upc: "1", sku: "SKU-1", name: "Table", price: { amount: 89900, currency: "EUR" }, grams: 12000, dimensions: { width: 1.2, height: 0.75, depth: 0.8 }, categoryId: "c1", createdBy: "u1" },
  { upc: "2", sku: "SKU-2", name: "Couch", price: { amount: 129900, currency: "USD" }, grams: 45000, dimensions: { width: 2.1, height: 0.9, depth: 0.95 }, categoryId: "c2", createdBy: "u2" },
  { upc: "3", sku: "SKU-3", name: "Chair", price: { amount: 5400, currency: "EUR" }, grams: 4500, dimensions: { width: 0.5, height: 0.9, depth: 0.5 }, categoryId: "c1", createdBy: null },
  { upc: "4", sku: "SKU-4", name: "Lamp", price: { amount: 2999, currency: "EUR" }, grams: 1500, dimensions: { width: 0.3, height: 1.5, depth: 0.3 }, categoryId: null, createdBy: "u3" },
  { upc: "5", sku: "SKU-5", name: "Rug", price: { amount: 19900, currency: "USD" }, grams: 8000, dimensions: { width: 2, height: 0.01, depth: 3 }, categoryId: "c3", createdBy: "u9" },
  { upc: "6", sku: "SKU-6", name: "Shelf", price: { amount: 7500, currency: "EUR" }, grams: 9500, dimensions: { width: 0.8, height: 1.8, depth: 0.35 }, categoryId: "c3", createdBy: "u4" },
];

const CATEGORIES = [
  { id: "c1", name: "Dining" },
  { id: "c2", name: "Living" },
  { id: "c3", name: "Decor" },
];

const byUpc = (upc) => PRODUCTS.find((p) => p.upc === upc) ?? null;
const bySku = (sku) => PRODUCTS.find((p) => p.sku === sku) ?? null;
const category = (id) => CATEGORIES.find((c) => c.id === id) ?? null;

export const resolvers = {
  Query: {
    topProducts: (_, { first }) => {
      if (first < 0) throw fail("first must not be negative", "BAD_USER_INPUT", { argument: "first" });
      return PRODUCTS.slice(0, first);
    },
    product: (_, { upc }) => byUpc(upc),
    productBySku: (_, { sku }) => bySku(sku),
    categories: () => CATEGORIES,
    shop: () => ({ name: "Mosaic Shop", currency: "EUR" }),
  },
  Mutation: {
    createProduct: (_, { name, price }) => {
      const seq = nextSeq();
      if (price < 0) throw fail("price must not be negative", "BAD_USER_INPUT");
      return {
        seq,
        product: { upc: `new-${seq}`, sku: `SKU-new-${seq}`, name, price: { amount: price, currency: "EUR" }, grams: 1000, dimensions: { width: 1, height: 1, depth: 1 }, categoryId: "c1", createdBy: "u1" },
      };
    },
  },
  Product: {
    __resolveReference: (ref) => (ref.upc !== undefined ? byUpc(ref.upc) : bySku(ref.sku)),
    weight: (p, { unit }) => (unit === "KILOGRAM" ? p.grams / 1000 : p.grams),
    category: (p) => category(p.categoryId),
    // Overridden by inventory (no label): never used by a correct plan.
    inStock: () => true,
    // Overridden by inventory under the label "restock-v2" (disabled): this one is used.
    restockEta: (p) => `products:${p.upc}`,
    createdBy: (p) => (p.createdBy ? { id: p.createdBy } : null),
  },
  Category: {
    __resolveReference: (ref) => category(ref.id),
    products: (c) => PRODUCTS.filter((p) => p.categoryId === c.id),
  },
};
