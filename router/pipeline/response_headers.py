"""Response headers from subgraphs back to the client, by rules (Apollo Router's header
propagation, the other way round).

- `set-cookie`: every cookie of every subgraph is passed on (a login through the router sets the
  users subgraph's httpOnly auth cookie in the browser);
- `cache-control`: the most restrictive of the subgraphs' values (no-store > no-cache > private
  > the smallest max-age): a response merged from
  several subgraphs may only be cached as long as all of its parts may (a part with no
  Cache-Control, when others have one, makes it `no-cache`);
- any other configured header: the first subgraph's value.
"""

from __future__ import annotations

import re

from router.pipeline.types import Headers

MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)")


def merge(received: tuple[tuple[str, bytes, bytes], ...], fetches: int) -> Headers:
    """The client response headers from the subgraph response headers received in `fetches`
    subgraph responses."""
    out: list[tuple[bytes, bytes]] = []
    cache_controls: list[str] = []
    seen: set[bytes] = set()
    for _, name, value in received:
        if name == b"set-cookie":
            out.append((name, value))
        elif name == b"cache-control":
            cache_controls.append(value.decode("latin-1"))
        elif name not in seen:
            seen.add(name)
            out.append((name, value))
    if cache_controls:
        if len(cache_controls) < fetches:
            cache_controls.append("no-cache")
        out.append((b"cache-control", most_restrictive(cache_controls).encode("latin-1")))
    return tuple(out)


def most_restrictive(values: list[str]) -> str:
    directives = [{d.strip().split("=")[0].lower() for d in v.split(",")} for v in values]
    if any("no-store" in d for d in directives):
        return "no-store"
    if any("no-cache" in d for d in directives):
        return "no-cache"
    private = any("private" in d for d in directives)
    ages = []
    for value in values:
        found = {m.group(1).lower(): int(m.group(2)) for m in MAX_AGE.finditer(value.lower())}
        age = found.get("s-maxage", found.get("max-age")) if not private else found.get("max-age")
        if age is None:
            return "no-cache"  # a part that gives no lifetime: the whole cannot be cached
        ages.append(age)
    age = min(ages)
    return f"private, max-age={age}" if private else f"public, max-age={age}"
