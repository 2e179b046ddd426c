"""The search subgraph: typo-tolerant search over the entities other subgraphs own (products,
tasks, projects), kept current from their domain events. Owns no entity: a hit's `node` is a
reference that the router completes from the owning subgraph."""

NAME = "search"
