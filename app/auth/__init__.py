"""Authentication (OAuth2 token endpoint), principals, roles, scopes and jurisdiction."""
