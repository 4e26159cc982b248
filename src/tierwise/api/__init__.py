"""The REST API (issue 6): FastAPI app, routers per resource, roles, masking, audit."""
