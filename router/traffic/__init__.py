"""Traffic control at the router: rate limits and IP lists (for clients), circuit breakers and
retries (towards subgraphs)."""
