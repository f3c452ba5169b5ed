"""Runnable examples: `python -m nnlab.examples.iris`."""
