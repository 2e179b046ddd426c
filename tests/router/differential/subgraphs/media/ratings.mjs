// media/ratings: @interfaceObject for the Media entity interface; a root field that returns
// interface objects whose concrete type only catalog knows.
export const typeDefs = /* GraphQL */ `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@interfaceObject", "@external", "@requires"])

  type Query {
    topRatedMedia(limit: Int = 3): [Media!]!
  }

  type Media @key(fields: "id") @interfaceObject {
    id: ID!
    rating: Float
    votes: Int!
    similar: [Media!]!
    title: String! @external
    blurb: String! @requires(fields: "title")
  }
`;

const RATINGS = {
  b1: { rating: 4.5, votes: 120, similar: ["m1", "b2"] },
  m1: { rating: 4.1, votes: 980, similar: ["b1"] },
  s1: { rating: null, votes: 0, similar: [] },
  b2: { rating: 4.8, votes: 45, similar: ["m2"] },
  m2: { rating: 3.9, votes: 300, similar: ["b2", "s2"] },
  s2: { rating: 2.5, votes: 12, similar: [] },
};

const media = (id) => (RATINGS[id] ? { id, ...RATINGS[id] } : null);

export const resolvers = {
  Query: {
    topRatedMedia: (_, { limit }) =>
      Object.keys(RATINGS)
        .filter((id) => RATINGS[id].rating !== null)
        .sort((a, b) => RATINGS[b].rating - RATINGS[a].rating)
        .slice(0, limit)
        .map(media),
  },
  Media: {
    __resolveReference: (ref) => media(ref.id),
    similar: (m) => m.similar.map(media),
    blurb: (m) => `${m.title} (${m.votes} votes)`,
  },
};
