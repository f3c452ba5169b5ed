"""Jupyter awareness: is this a notebook kernel, and an output that updates in place.

Nothing here imports IPython unless it is running: in a terminal or a script these
helpers cost one failed lookup.
"""

from __future__ import annotations

import sys


def in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), False in a terminal or script.

    Example:
        >>> in_notebook()
        False
    """
    if "IPython" not in sys.modules:  # a kernel has always imported it already
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class UpdatingOutput:
    """One cell output that each `show` replaces (IPython's display handle), so a
    progress bar or a figure redraws in place instead of piling up.

    Attributes:
        updates: how many times it was shown (the first display included).
    """

    def __init__(self):
        self._handle = None
        self.updates = 0

    def show(self, obj) -> None:
        """Display `obj` (an IPython.display object such as HTML or Image) in place."""
        from IPython.display import display

        if self._handle is None:
            self._handle = display(obj, display_id=True)
        else:
            self._handle.update(obj)
        self.updates += 1
