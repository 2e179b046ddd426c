"""What every subgraph shares: app factory, settings, context, auth, errors, pagination,
events and DataLoader helpers. How to add a subgraph: `subgraphs/README.md`."""
