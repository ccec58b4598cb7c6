"""The command-line reference: every command of the click group, its usage, help and
options, walked from the live group (lazy commands included)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import click

from tools.docs_reference import live
from tools.docs_reference.descriptions import COMMANDS
from tools.docs_reference.markdown import GENERATED, Warn, table


def commands(group: click.Group) -> Iterator[tuple[list[str], click.Command, click.Context]]:
    """Every command below ``group`` as (path, command, context), depth first, sorted."""
    root = click.Context(group, info_name=live.PROGRAM)
    yield [], group, root
    yield from _below(group, root, [])


def _below(
    group: click.Group, parent: click.Context, path: list[str]
) -> Iterator[tuple[list[str], click.Command, click.Context]]:
    for name in group.list_commands(parent):
        command = group.get_command(parent, name)
        if command is None or command.hidden:
            continue
        context = click.Context(command, info_name=name, parent=parent)
        yield [*path, name], command, context
        if isinstance(command, click.Group):
            yield from _below(command, context, [*path, name])


def render(warn: Warn) -> str:
    group = live.command_group()
    parts = [
        GENERATED,
        "# Command line\n\n",
        f"`{live.PROGRAM} [--config PATH] COMMAND`: the configuration is read from `--config`, "
        "else `$MONITOR_CONFIG`, else `config/monitor.toml`. Exit statuses: "
        "[Exit codes](exit-codes.md).\n\n",
    ]
    for path, command, context in commands(group):
        title = " ".join([live.PROGRAM, *path])
        help_text = inspect.cleandoc(command.help or "")
        if not help_text:
            warn(f"the command `{title}` has no help text")
        parts.append(f"## {title}\n\n")
        parts.append(f"```\n{command.get_usage(context)}\n```\n\n")
        parts.append(_paragraphs(help_text) + "\n\n")
        if " ".join(path) in COMMANDS:
            parts.append(COMMANDS[" ".join(path)] + "\n\n")
        options = [
            record for p in command.get_params(context) if (record := p.get_help_record(context))
        ]
        if options:
            parts.append(table(["option", "meaning"], [(f"`{o}`", h) for o, h in options]) + "\n")
        if isinstance(command, click.Group):
            below = [f"`{name}`" for name in command.list_commands(context)]
            parts.append("Commands: " + ", ".join(below) + ".\n\n")
    return "".join(parts)


def _paragraphs(text: str) -> str:
    """click's help text as Markdown: its ``\\b`` markers (keep line breaks) dropped."""
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b")
