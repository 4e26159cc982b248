"""The app instance uvicorn imports (``tierwise.api.main:app``), built from the settings."""

from __future__ import annotations

from tierwise.api.app import create_app
from tierwise.settings import get_settings

app = create_app(get_settings())
