"""`python -m nnlab` is the `nnlab` command."""

from nnlab.cli import main

main(prog_name="nnlab")
