"""How the `nnlab` commands fail: the documented exit codes and one-line messages.

Exit codes: 0 success (also when the reader of the output goes away, as in
`nnlab train | head -2`); 2 bad usage or bad input (one line saying what and how to
fix, no traceback unless --debug); 1 anything else. Every command is wrapped in
`handle_errors`; `force_option` is the `--force` flag of the commands that write files.
"""

from __future__ import annotations

import functools
import os
import sys

import click

__all__ = ["BAD_INPUT", "InputError", "force_option", "handle_errors", "one_line", "silence_stdout"]

BAD_INPUT = (ValueError, TypeError, FileNotFoundError, KeyError)


class InputError(click.ClickException):
    """Bad input: exit code 2 with one line."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


def handle_errors(fn):
    """Turn exceptions into the documented exit codes and one-line messages."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
            silence_stdout()
            sys.exit(0)
        except BAD_INPUT as exc:
            if debug:
                raise
            raise InputError(one_line(exc)) from None
        except Exception as exc:  # anything else: exit 1
            if debug:
                raise
            click.echo(f"error: {type(exc).__name__}: {one_line(exc)}", err=True)
            sys.exit(1)

    return wrapper


def silence_stdout() -> None:
    """Point standard output at /dev/null, so the final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def one_line(exc: BaseException) -> str:
    """The exception's message on one line (a KeyError's without its quotes)."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split())


force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace existing output files (never the command's own inputs).",
)
