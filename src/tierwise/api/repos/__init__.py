"""Repositories: every SQL statement the API runs lives here, never in a route."""
