// Mutable state shared by every subgraph in one Node process: a sequence counter that makes the
// order of mutations observable across subgraphs. POST /reset puts it back to 0.
export const state = { seq: 0 };

export function nextSeq() {
  state.seq += 1;
  return state.seq;
}

export function reset() {
  state.seq = 0;
}
