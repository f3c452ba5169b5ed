"""The `nnlab` command group: one-line usage errors, the full command list, an overview."""

from __future__ import annotations

import sys

import click

from nnlab.commands.errors import one_line, silence_stdout

__all__ = ["OVERVIEW", "CommandGroup"]

OVERVIEW = """nnlab: train, evaluate and inspect neural networks from the shell.

Try first:
  nnlab train                         the lectures' penguins example, end to end
  nnlab datasets                      the datasets that come with nnlab
  nnlab train iris --hidden 16,16     a bundled dataset, your own network
  nnlab train data.csv --target y     your own table (CSV)
"""


class CommandGroup(click.Group):
    """Usage errors as one line (`error: ...`, exit 2) instead of click's three; the
    command list never cut off; `nnlab` alone prints an overview; a closed pipe
    ends quietly with exit code 0."""

    def main(self, args=None, prog_name=None, **kwargs):
        try:
            try:
                code = self._main(args, prog_name, **kwargs)
            except SystemExit as exc:
                code = exc.code
            sys.stdout.flush()
        except BrokenPipeError:
            silence_stdout()
            code = 0
        sys.exit(code)

    def _main(self, args, prog_name, **kwargs) -> int:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(args, prog_name, **kwargs)
        except click.UsageError as exc:
            hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
            click.echo(f"error: {one_line(exc.format_message())}{hint}", err=True)
            return 2
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            return 1
        return result if isinstance(result, int) else 0

    def format_commands(self, ctx, formatter):
        rows = [(name, _first_paragraph(self.get_command(ctx, name))) for name in
                self.list_commands(ctx)]  # fmt: skip
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _first_paragraph(command) -> str:
    if command is None:
        return ""
    text = command.short_help or (command.help or "").split("\n\n")[0]
    return " ".join(text.split())
