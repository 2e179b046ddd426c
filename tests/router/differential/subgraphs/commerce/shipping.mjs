// commerce/shipping: only the sku key (key conversion from upc), @requires with a literal
// argument and nested selections whose fields live in products, lists of lists.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(
      url: "https://specs.apollo.dev/federation/v2.7"
      import: ["@key", "@shareable", "@external", "@requires"]
    )

  enum WeightUnit {
    GRAM
    KILOGRAM
  }

  enum Currency {
    EUR
    USD
  }

  enum Carrier {
    POST
    EXPRESS
    FREIGHT
  }

  type Product @key(fields: "sku") {
    sku: String!
    weight(unit: WeightUnit = GRAM): Float! @external
    dimensions: Dimensions! @external
    price: Money! @external
    shippingEstimate: Int! @requires(fields: "weight(unit: KILOGRAM) dimensions { width height depth }")
    shippingCost: Money @requires(fields: "price { amount currency }")
    deliveryGrid: [[Int!]]!
    carriers: [Carrier!]!
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
`;

const GRIDS = {
  "SKU-1": [[1, 2], [3]],
  "SKU-2": [[5, 8, 13], null, []],
  "SKU-3": [],
  "SKU-4": [[2], [2], [2]],
  "SKU-5": [null],
  "SKU-6": [[7, 7]],
};

export const resolvers = {
  Product: {
    __resolveReference: (ref) => ref,
    shippingEstimate: (p) => {
      const { width, height, depth } = p.dimensions;
      return Math.ceil(p.weight * 2 + width * height * depth * 10);
    },
    shippingCost: (p) =>
      p.price.amount > 100000 ? null : { amount: Math.round(p.price.amount / 20), currency: p.price.currency },
    deliveryGrid: (p) => GRIDS[p.sku] ?? [[0]],
    carriers: (p) => (["SKU-2", "SKU-5"].includes(p.sku) ? ["FREIGHT"] : ["POST", "EXPRESS"]),
  },
};
