"""Authentication (JWT) and authorization (@authenticated, @requiresScopes, @policy) at the
router."""
