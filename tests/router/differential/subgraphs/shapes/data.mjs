// Fixed data of the `shapes` supergraph (the planner shapes of issue 9), shared by its subgraphs.
export const LISTINGS = [
  { id: "l1", title: "Lamp", seller: { name: "Bob", rating: 5 }, amount: 30 },
  { id: "l2", title: "Desk", seller: null, amount: 45 },
];
export const VIEWER = { id: "v1", name: "Ann", session: { id: "s1", left: { name: "west" }, right: { name: "east" } } };
export const ORDERS = {
  o1: { id: "o1", number: "N1", shipping: { method: "air", carrier: { name: "DHL", phone: "111" } } },
  o2: { id: "o2", number: "N2", shipping: { method: "sea", carrier: { name: "Maersk", phone: "222" } } },
  o3: { id: "o3", number: "N3", shipping: null },
};
export const ALBUMS = {
  al1: { id: "al1", title: "Blue", related: "al2", rating: 5, label: "Blue Note" },
  al2: { id: "al2", title: "Red", related: null, rating: 4, label: "Red Label" },
};
export const BOOKS = {
  bk1: { id: "bk1", title: "Dune", related: { kind: "Album", id: "al1" } },
  bk2: { id: "bk2", title: "Emma", related: { kind: "Book", id: "bk1" } },
};
export const PEOPLE = {
  m1: { kind: "Member", id: "m1", code: "M-1", tags: ["gold", "early"], name: "Ann", level: 3 },
  g1: { kind: "Guest", id: "g1", code: null, tags: [null, "walk-in"], name: "Gus" },
  g2: { kind: "Guest", id: "g2", code: "G-2", tags: null, name: "Gia" },
};
export const SHELVES = { sh1: { id: "sh1", name: "Top", item: { kind: "Album", id: "al1" } }, sh2: { id: "sh2", name: "Low", item: { kind: "Film", id: "f1" } } };
export const FILMS = { f1: { id: "f1", title: "Heat", minutes: 170 } };
export const USERS = { u1: { id: "u1", name: "Ann", tenure: 5 }, u2: { id: "u2", name: "Bo", tenure: 2 } };
export const PROJECTS = { p1: { id: "p1", name: "Apollo", owner: "u1" }, p2: { id: "p2", name: "Gemini", owner: "u2" } };
export const GADGETS = { g1: { id: "g1", x: 1, y: 10 }, g2: { id: "g2", x: 2, y: 20 } };
export const PRODUCTS = {
  p1: { id: "p1", name: "Pen", scores: [5, 1, 3, 4, 2], fee: { EU: 100, US: 200 } },
  p2: { id: "p2", name: "Ink", scores: [2, 2, 4], fee: { EU: 7, US: 9 } },
};
export const GOODS = {
  pn1: { kind: "Pen", id: "pn1", name: "Gel", tags: ["ink"] },
  lp1: { kind: "Lamp", id: "lp1", name: "Arc", tags: ["lit"], watts: 40 },
  dk1: { kind: "Desk", id: "dk1", name: "Oak", tags: ["wood"] },
};
export const MEDIA = {
  n1: { kind: "Novel", id: "n1", title: "Dune", pages: 412 },
  mv1: { kind: "Movie", id: "mv1", title: "Alien" },
  sg1: { kind: "Song", id: "sg1", title: "Hey" },
};
// alpha's union Result has no Song: what it returns never includes one.
export const SEARCH = { alpha: ["n1", "mv1"], beta: ["n1", "sg1", "mv1"] };

export const byKind = (value) => value?.kind;

// A @requires input must arrive in the representation: a plan that forgot it fails loudly.
export function need(rep, field) {
  if (rep[field] === undefined) throw new Error(`the representation lacks ${field}`);
  return rep[field];
}
