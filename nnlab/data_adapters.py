"""Where `fit`, `evaluate` and `predict` get their batches: arrays, Python generators
and `PyDataset`-like sequences, with `steps_per_epoch` / `validation_steps` / `steps`
as Keras 3's `EpochIterator` counts them.

- Arrays: batches of `batch_size` rows, reshuffled at every pass over the data when
  `shuffle`.
- A sequence (a `PyDataset`, or any object with `__len__` and `__getitem__` that is not
  an array, list, tuple or dict): batch i is `seq[i]`, a tuple `(x, y)` or
  `(x, y, sample_weight)`; a pass is `len(seq)` batches, in a shuffled order when
  `shuffle` (drawn from the fit's seed; Keras uses Python's global `random`). Its
  `on_epoch_begin()` / `on_epoch_end()` run around every epoch, and `on_epoch_end()`
  once more before the first, as Keras calls them.
- A generator (any iterator): batches as it yields them, in its order; it can be
  consumed only once.

Without `steps_per_epoch` an epoch is one pass. With it, an epoch is that many batches
taken from a pass that goes on across epochs: an epoch that needs more batches than
the pass has left stops at the pass's end ("Your input ran out of data", as Keras
warns) and the next epoch starts a new pass. A generator has a single pass: once it is
used up, `fit` stops. An endless sequence (`num_batches` None) needs `steps_per_epoch`.
"""

from __future__ import annotations

import collections.abc
import itertools
import math
import warnings

import numpy as np

__all__ = ["PyDataset"]

RAN_OUT = (
    "Your input ran out of data; interrupting training. Make sure that your dataset or "
    "generator can generate at least `steps_per_epoch * epochs` batches."
)

#: Training data up to this size is put in the epoch's shuffled order with one gather per
#: epoch, so that every batch is a slice (a view) instead of a gather of its own: the same
#: rows in the same order, two NumPy calls fewer per step, at the cost of one copy of
#: the data. Larger data is gathered batch by batch.
SHUFFLED_COPY_BYTES = 16 * 2**20


class PyDataset:
    """Base class for a dataset that builds its batches in Python (Keras's
    `keras.utils.PyDataset`): implement `__len__` (the number of batches) and
    `__getitem__(index)` returning one batch `(x, y)` or `(x, y, sample_weight)`;
    optionally `on_epoch_begin()` / `on_epoch_end()` (e.g. to reshuffle).

    Args:
        workers, use_multiprocessing, max_queue_size: accepted for Keras code and
            kept as attributes; nnlab reads the batches in order, in the calling
            thread (a step is far cheaper than a thread hand-off on small models).

    Example:
        >>> import numpy as np
        >>> class Halves(PyDataset):
        ...     def __init__(self, x, y, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.x, self.y = x, y
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, i):
        ...         rows = slice(2 * i, 2 * i + 2)
        ...         return self.x[rows], self.y[rows]
        >>> ds = Halves(np.zeros((4, 3)), np.ones((4, 1)))
        >>> ds.num_batches, ds[1][0].shape
        (2, (2, 3))
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(index), returning batch "
            "`index` as (x, y) or (x, y, sample_weight)."
        )

    @property
    def num_batches(self) -> int | None:
        """Batches in one pass: `len(self)`; override it to return None for an endless
        dataset (then fit needs `steps_per_epoch`)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__ (or the num_batches property)."
        )

    def on_epoch_begin(self) -> None:
        """Called at the start of every epoch."""

    def on_epoch_end(self) -> None:
        """Called at the end of every epoch (and once before the first, as Keras)."""


def is_sequence(x) -> bool:
    """A PyDataset, or another object with `__len__` and `__getitem__` that is not array
    data (arrays, lists and tuples of arrays, dicts, DataFrames)."""
    if isinstance(x, PyDataset):
        return True
    if isinstance(x, (np.ndarray, list, tuple, dict, str, bytes)) or hasattr(x, "shape"):
        return False
    kind = type(x)
    return hasattr(kind, "__getitem__") and (
        hasattr(kind, "__len__") or hasattr(kind, "num_batches")
    )


def is_generator(x) -> bool:
    return isinstance(x, collections.abc.Iterator) and not is_sequence(x)


def kind_of(x) -> str | None:
    """'sequence', 'generator', or None for array data."""
    if is_sequence(x):
        return "sequence"
    return "generator" if is_generator(x) else None


def _as_tuple(batch, where: str) -> tuple:
    if isinstance(batch, np.ndarray):
        return (batch,)
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        raise ValueError(
            f"{where} must give each batch as a tuple (x,), (x, y) or (x, y, "
            f"sample_weight). Received: {str(batch)[:100]} of type {type(batch).__name__}"
        )
    return batch


class _SequenceSource:
    """Passes over a sequence: batch i is seq[i]; shuffled batch order when asked."""

    def __init__(self, seq, shuffle: bool, rng):
        self.seq, self.shuffle, self.rng = seq, shuffle, rng
        n = seq.num_batches if hasattr(seq, "num_batches") else len(seq)
        if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer))
                              or n < 1):
            raise ValueError(
                f"The {type(seq).__name__} given as data has {n!r} batches; it needs at "
                "least one (its __len__ is the number of batches)."
            )
        self.num_batches = None if n is None else int(n)

    def first(self) -> tuple:
        return _as_tuple(self.seq[0], f"{type(self.seq).__name__}.__getitem__")

    def new_pass(self):
        n = self.num_batches
        order = itertools.count() if n is None else range(n)
        if self.shuffle and n is not None:
            order = self.rng.permutation(n).tolist()
        where = f"{type(self.seq).__name__}.__getitem__"
        return (_as_tuple(self.seq[int(i)], where) for i in order)

    def on_epoch_begin(self) -> None:
        hook = getattr(self.seq, "on_epoch_begin", None)
        if callable(hook):
            hook()

    def on_epoch_end(self) -> None:
        hook = getattr(self.seq, "on_epoch_end", None)
        if callable(hook):
            hook()


class _GeneratorSource:
    """The single pass of a generator; its first batch is read ahead (and kept)."""

    num_batches = None

    def __init__(self, gen):
        head = list(itertools.islice(gen, 1))
        if not head:
            raise ValueError(
                "The generator given as data yielded no batch. It must yield at least one "
                "(x, y) or (x, y, sample_weight) tuple."
            )
        self._head = _as_tuple(head[0], "The generator")
        self._pass = itertools.chain(head, gen)

    def first(self) -> tuple:
        return self._head

    def new_pass(self):
        this, self._pass = self._pass, iter(())
        return (_as_tuple(b, "The generator") for b in this)

    def on_epoch_begin(self) -> None:
        pass

    def on_epoch_end(self) -> None:
        pass


class ArraySource:
    """Passes over checked array data (`training._Data`) in batches of `batch_size`."""

    def __init__(self, data, batch_size: int, shuffle: bool, rng):
        self.data, self.batch_size, self.shuffle, self.rng = data, batch_size, shuffle, rng
        self.num_batches = math.ceil(data.n / batch_size)

    def new_pass(self):
        order = self.rng.permutation(self.data.n) if self.shuffle and self.num_batches > 1 else None
        return array_batches(self.data, self.batch_size, order)

    def on_epoch_begin(self) -> None:
        pass

    def on_epoch_end(self) -> None:
        pass


def index_batches(n: int, batch_size: int, order):
    """Index slices (no shuffle) or index arrays (shuffled) for each batch."""
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield slice(start, stop) if order is None else order[start:stop]


def array_batches(data, batch_size: int, order):
    """The batches (`_Data`) of one pass over `data` in `order` (None: as stored)."""
    steps = math.ceil(data.n / batch_size)
    if order is not None and data.nbytes <= SHUFFLED_COPY_BYTES:
        data, order = data.take(order), None
    for idx in index_batches(data.n, batch_size, order):
        yield data if steps == 1 else data.take(idx)


_END = object()


class Feed:
    """Batches epoch by epoch, counted as Keras 3's `EpochIterator` counts them.

    Args:
        source: an ArraySource, or what `source_for` returns.
        steps: steps_per_epoch (or validation_steps, steps); None: one pass.
        prepare: turns a raw batch tuple into checked data (for sequences and
            generators; arrays come checked).
    """

    def __init__(self, source, steps: int | None, prepare=None):
        self.source, self.steps_per_epoch, self.prepare = source, steps, prepare
        self._pass = None
        self._seen = 0
        #: True once a generator is used up: there is nothing left for another epoch.
        self.exhausted = False

    def reset(self) -> None:
        """Start over with a new pass (Keras's `EpochIterator.reset`, which also calls the
        data's `on_epoch_end`): at the start of `fit` and of every evaluation."""
        self._pass, self._seen = None, 0
        self.source.on_epoch_end()

    @property
    def steps(self) -> int | None:
        """Batches per epoch (None: a generator's unknown length)."""
        return self.steps_per_epoch or self.source.num_batches

    def epoch(self):
        """Yield the batches of the next epoch."""
        source, n = self.source, self.source.num_batches
        source.on_epoch_begin()
        if self._pass is None or self.steps_per_epoch is None:
            self._pass, self._seen = source.new_pass(), 0
        limit = self.steps if self.steps else math.inf
        step = 0
        while step < limit:
            if n is not None and self._seen >= n:
                if self.steps_per_epoch:
                    warnings.warn(RAN_OUT, stacklevel=5)
                break
            batch = next(self._pass, _END)
            if batch is _END:  # a generator or endless sequence ended
                self.exhausted = isinstance(source, _GeneratorSource)
                if self.steps_per_epoch:
                    warnings.warn(RAN_OUT, stacklevel=5)
                self._pass = None
                break
            self._seen += 1
            step += 1
            yield batch if self.prepare is None else self.prepare(*batch)
        if n is not None and self._seen >= n:
            self._pass = None
        source.on_epoch_end()


def source_for(x, shuffle: bool, rng):
    """The source of a sequence or generator `x`."""
    if is_sequence(x):
        return _SequenceSource(x, shuffle, rng)
    return _GeneratorSource(x)


def check_steps(name: str, value) -> int | None:
    """None, or an int >= 1 (steps_per_epoch, validation_steps, steps)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"{name} must be None or an int >= 1: the number of batches. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def check_one_pass(what: str, steps_name: str, passes: int) -> None:
    """A generator can be read once: refuse a fit that would need it twice."""
    if passes > 1:
        fix = (f"pass {steps_name}= (batches per epoch) with a generator that yields "
               "enough batches for every epoch, or " if steps_name else "")
        raise ValueError(
            f"{what} would be read {passes} times, but a generator can be read only once "
            f"(Keras would repeat its first batches instead). To fix: {fix}give a "
            "PyDataset-like sequence (__len__ and __getitem__) or arrays."
        )


def check_feed_args(kind: str, what: str, **given) -> None:
    """Keras refuses y, sample_weight (and nnlab batch_size) with a generator or
    sequence: the batches carry them."""
    for name, value in given.items():
        if value is not None:
            got = f"an array of shape {value.shape}" if hasattr(value, "shape") else repr(value)
            raise ValueError(
                f"When `x` is a {kind}, `{name}` must not be passed to {what}: each batch "
                f"the {kind} gives is already (x, y) or (x, y, sample_weight) and has its "
                f"own size. Received: {name}={got[:80]}. Remove `{name}=`"
                + (" (size the batches in the data itself)." if "batch" in name else ".")
            )
