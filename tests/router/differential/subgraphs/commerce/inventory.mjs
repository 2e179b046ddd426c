// commerce/inventory: @override with and without a label, @provides + @external, value types.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.7"
      import: ["@key", "@shareable", "@override", "@external", "@provides"]
    )

  type Query {
    lowStock: [Product!]! @provides(fields: "name")
    clearance: [Product!]! @provides(fields: "name category { name }")
    warehouses: [Warehouse!]!
    shop: ShopInfo! @shareable
  }

  type ShopInfo @shareable {
    name: String!
    currency: String!
  }

  type Product @key(fields: "upc") {
    upc: String!
    name: String! @external
    category: Category @external
    inStock: Boolean! @override(from: "products")
    restockEta: String @override(from: "products", label: "restock-v2")
    stockLevel: Int!
    warehouse: Warehouse
  }

  type Category @key(fields: "id") {
    id: ID!
    name: String! @external
  }

  type Warehouse {
    code: String!
    city: String!
    stock: [Product!]!
  }
`;

const STOCK = { 1: 12, 2: 0, 3: 40, 4: 0, 5: 3, 6: 7 };
const NAMES = { 1: "Table", 2: "Couch", 3: "Chair", 4: "Lamp", 5: "Rug", 6: "Shelf" };
const WAREHOUSES = [
  { code: "BER", city: "Berlin", upcs: ["1", "2", "3"] },
  { code: "LIS", city: "Lisbon", upcs: ["5", "6"] },
];

const CATEGORIES = { 1: ["c1", "Dining"], 2: ["c2", "Living"], 3: ["c1", "Dining"], 5: ["c3", "Decor"], 6: ["c3", "Decor"] };

const product = (upc) => ({ upc, name: NAMES[upc] ?? null, stock: STOCK[upc] ?? 0 });
// Only under `clearance` (its @provides) does inventory resolve category { name } itself.
const provided = (upc) => {
  const category = CATEGORIES[upc];
  return { ...product(upc), category: category ? { id: category[0], name: category[1] } : null };
};

export const resolvers = {
  Query: {
    lowStock: () => Object.keys(STOCK).filter((upc) => STOCK[upc] < 5).map(product),
    clearance: () => ["4", "5", "1"].map(provided),
    warehouses: () => WAREHOUSES,
    shop: () => ({ name: "Mosaic Shop", currency: "EUR" }),
  },
  Product: {
    __resolveReference: (ref) => product(ref.upc),
    inStock: (p) => p.stock > 0,
    restockEta: (p) => `inventory:${p.upc}`,
    stockLevel: (p) => p.stock,
    warehouse: (p) => WAREHOUSES.find((w) => w.upcs.includes(p.upc)) ?? null,
  },
  Warehouse: {
    stock: (w) => w.upcs.map(product),
  },
};
