"""The command line loads only the module of the command it runs (and all of them for help)."""

from __future__ import annotations

import subprocess
import sys

import typer

from tierwise.cli.main import COMMAND_HELP, COMMAND_MODULES, _load_commands, app


def _registered() -> dict[str, str]:
    """Every top-level command or group of ``app`` → the module that registered it."""
    _load_commands()
    out = {c.name or "": c.callback.__module__ for c in app.registered_commands if c.callback}
    for g in app.registered_groups:
        sub = g.typer_instance
        assert sub is not None
        first = next(c for c in sub.registered_commands if c.callback)
        assert first.callback is not None
        out[g.name or ""] = first.callback.__module__
    return out


def test_the_table_names_every_command_and_the_module_that_registers_it() -> None:
    assert _registered() == COMMAND_MODULES


def test_the_root_help_lines_are_those_the_commands_register() -> None:
    _load_commands()
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    shown = {n: (c.help or "").strip().split("\n")[0] for n, c in group.commands.items()}
    assert shown == COMMAND_HELP


def _cli_modules_after(*argv: str) -> set[str]:
    code = (
        "import sys; from tierwise.cli.main import _load_commands; "
        f"_load_commands({['tierwise', *argv]!r}); "
        "print(' '.join(m for m in sys.modules if m.startswith('tierwise.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split()) - {"tierwise.cli.main"}


def test_a_command_imports_its_own_module_only_and_help_imports_all() -> None:
    everything = set(COMMAND_MODULES.values())
    # Shared helpers (tierwise.cli.checks, .common …) may come along; no other command's module.
    assert _cli_modules_after("runs", "list") & everything == {"tierwise.cli.runs"}
    assert _cli_modules_after("explain", "C1") & everything == {"tierwise.cli.grade"}
    assert _cli_modules_after("--help") == set()  # the help lines only (issue 19 item 7)
    assert _cli_modules_after() == set()
    assert _cli_modules_after("no-such-command") >= everything


def test_unknown_command_lists_the_commands_and_exits_non_zero() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tierwise", "no-such-command"], capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "No such command" in out.stderr
    help_out = subprocess.run(
        [sys.executable, "-m", "tierwise", "--help"], capture_output=True, text=True, check=True
    )
    for name in ("grade", "tasks", "analyze", "report", "apikey"):
        assert name in help_out.stdout
