"""The `budgetopt` group: how every command's errors reach the user, and how its help is shown.

Exit 0 on success, 2 on bad input or an infeasible policy (one line on stderr, nothing written),
1 on an internal error (a bug: rerun with BUDGETOPT_DEBUG=1 for the traceback and report it).
"""

from __future__ import annotations

import os
import sys

import click

from budgetopt.errors import BudgetoptError


def fail(message: str, code: int) -> None:
    """One line on stderr, then exit with `code`."""
    click.echo(f"budgetopt: error: {message}", err=True)
    sys.exit(code)


class Command(click.Command):
    """A command whose line in `budgetopt --help` is its whole first sentence, never cut with '…'."""

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help:
            return self.short_help
        first = (self.help or "").strip().split("\n\n")[0]
        return " ".join(first.split())


class Group(click.Group):
    """Maps budgetopt's errors to exit 2 and one line; anything else is a bug (exit 1)."""

    command_class = Command

    def main(self, *args, **kwargs):
        """click's own objections to a command line (a missing option, an unknown command, a value
        of the wrong type) get the same one line as every other bad input, and say where help is."""
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as error:
            if isinstance(error, getattr(click.exceptions, "NoArgsIsHelpError", ())):  # bare `budgetopt`: the help
                error.show()
                sys.exit(error.exit_code)
            where = error.ctx.command_path if error.ctx else "budgetopt"
            fail(f"{error.format_message()} (see '{where} --help')", error.exit_code)
        except click.ClickException as error:
            fail(error.format_message(), error.exit_code)
        except click.Abort:
            fail("aborted; nothing was written", 1)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BudgetoptError as error:
            fail(str(error), 2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            fail("interrupted; nothing was written", 130)
        except Exception as error:
            if os.environ.get("BUDGETOPT_DEBUG"):
                raise
            fail(f"internal error ({type(error).__name__}: {error}); rerun with BUDGETOPT_DEBUG=1 and report it", 1)


@click.group(name="budgetopt", cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.version_option(package_name="budgetopt")
def main() -> None:
    """Budget optimisation and A/B decisions for paid acquisition."""
