"""``tierwise docs``: regenerate documents rendered from code declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tierwise.cli.main import app
from tierwise.model.docs import render_data_model


@app.command("docs")
def docs_command(
    out: Annotated[Path, typer.Option(help="Folder to write the documents into.")] = Path("docs"),
) -> None:
    """Write docs/data-model.md and docs/tag-catalogue.md from their declarations."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "data-model.md"
    target.write_text(render_data_model(), encoding="utf-8")
    typer.echo(f"wrote {target}")
    from tierwise.tags.docs import render

    tags = out / "tag-catalogue.md"
    tags.write_text(render(), encoding="utf-8")
    typer.echo(f"wrote {tags}")
