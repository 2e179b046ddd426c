"""Persisted documents: automatic persisted queries (APQ) and trusted documents (a manifest)."""
