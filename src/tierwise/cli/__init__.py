"""The ``tierwise`` command line: thin commands over the same functions the API calls."""
