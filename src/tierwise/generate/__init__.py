"""A realistic, reproducible generator of a B2B food distributor's book (R-DAT-1).

``generate(cfg, out)`` writes ``out/lake`` (the clean canonical lake), ``out/exports`` (the
dirty source-style files, optional) and ``out/truth`` (what really happened, kept apart).
"""

from __future__ import annotations

from tierwise.generate.config import GenerateConfig
from tierwise.generate.run import GenerateResult, generate

__all__ = ["GenerateConfig", "GenerateResult", "generate"]
