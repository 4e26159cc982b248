"""Request (create/update) and response (public) schemas, one module per resource."""
