// Every test supergraph and its subgraphs: { supergraph: { subgraph: module } }.
import * as accounts from "./commerce/accounts.mjs";
import * as inventory from "./commerce/inventory.mjs";
import * as products from "./commerce/products.mjs";
import * as reviews from "./commerce/reviews.mjs";
import * as shipping from "./commerce/shipping.mjs";
import * as broken from "./edge/broken.mjs";
import * as faulty from "./edge/faulty.mjs";
import * as garbage from "./edge/garbage.mjs";
import * as orgs from "./edge/orgs.mjs";
import * as profiles from "./edge/profiles.mjs";
import * as catalog from "./media/catalog.mjs";
import * as people from "./media/people.mjs";
import * as ratings from "./media/ratings.mjs";
import * as alpha from "./shapes/alpha.mjs";
import * as beta from "./shapes/beta.mjs";
import * as gamma from "./shapes/gamma.mjs";

export const SUPERGRAPHS = {
  commerce: { accounts, products, inventory, reviews, shipping },
  media: { catalog, ratings, people },
  edge: { orgs, profiles, faulty, broken, garbage },
  shapes: { alpha, beta, gamma },
};

// The committed supergraph files route to this placeholder; the tests replace it with
// http://127.0.0.1:<port> of the subgraph server they start.
export const PLACEHOLDER = "http://subgraphs.invalid";

export const subgraphPath = (supergraph, subgraph) => `/${supergraph}/${subgraph}`;
