"""Pipelines: ordered steps that chain the stages and own the I/O between them."""
