"""Pooling: the max or the mean of every window, per channel (global pooling: global_pooling).

Windows are those of a convolution (`nnlab.layers.patches`), without weights.
Backward of a max: each window's gradient goes to the position that held its maximum
(the first one on a tie, as TensorFlow's MaxPool gradient). Backward of a mean: each
window's gradient divided by the number of real (unpadded) positions in it, added to each.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnlab.layers import patches
from nnlab.layers.base import Layer
from nnlab.step.threads import for_blocks


class _Pooling(Layer):
    rank = 2
    kind = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        owner = type(self).__name__
        patches.check_channels_last(data_format, owner)
        super().__init__(**kwargs)
        self.pool_size = patches.as_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = (
            self.pool_size
            if strides is None
            else patches.as_tuple(strides, self.rank, "strides", owner)
        )
        self.padding = patches.check_padding(padding, owner)
        self._ones = (1,) * self.rank
        self._cache = None
        self._then = None  # (g, pooled Z, g(pooled Z)) after forward_then
        self._grouped = False  # the last forward read Z in pool order (forward_then)

    @property
    def pools_by_max(self) -> bool:
        """True for max pooling: a monotone activation before it may come after it."""
        return self.kind == "max"

    def _check(self, input_shape) -> None:
        if isinstance(input_shape, list) or len(input_shape) != self.rank + 2:
            axes = "steps" if self.rank == 1 else "height, width"
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs inputs of shape (batch, {axes}, "
                f"channels). Received input shape {input_shape}."
            )
        for size, k in zip(input_shape[1:-1], self.pool_size):
            if size is not None and self.padding == "valid" and size < k:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': pool_size {self.pool_size} is larger "
                    f"than the input's spatial shape {tuple(input_shape[1:-1])}. Use "
                    "padding='same' or a smaller pool."
                )

    def build(self, input_shape) -> None:
        self._check(input_shape)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = tuple(
            patches.output_size(size, k, s, 1, self.padding)
            for size, k, s in zip(input_shape[1:-1], self.pool_size, self.strides)
        )
        return (input_shape[0], *out, input_shape[-1])

    def reads(self, input_shape) -> tuple:
        """The spatial sizes of the input prefix that the windows read: all of it with
        "same" padding; with "valid", up to the end of the last whole window (a 2x2 pool
        on 11x11 reads 10x10, as Keras's floor)."""
        sizes = tuple(input_shape[1:-1])
        if self.padding != "valid":
            return sizes
        return tuple(
            (patches.output_size(n, k, s, 1, "valid") - 1) * s + k
            for n, k, s in zip(sizes, self.pool_size, self.strides)
        )

    def _windows(self, X, fill):
        plans = [
            patches.plan(size, k, s, 1, self.padding)
            for size, k, s in zip(X.shape[1:-1], self.pool_size, self.strides)
        ]
        pads, out = [(b, a) for b, a, _ in plans], tuple(o for _, _, o in plans)
        if 0 in out:  # sizes unknown at build (Input((None, None, C))): say it now
            self._check(X.shape)
        Xp = patches.pad(X, pads, fill)
        view = patches.windows(Xp, self.pool_size, self.strides, self._ones, out)
        return view, Xp.shape, pads, out

    def forward(self, X, training: bool = False):
        self._then = None
        self._grouped = False
        if self.kind == "max":
            view, padded, pads, out = self._windows(X, -np.inf)
            A, winner = self._max_and_winner(self._by_offset(view), (X.shape[0], *out, X.shape[-1]))
            self._cache = (X.shape, padded, pads, out, winner)
            return A
        view, padded, pads, out = self._windows(X, 0.0)
        counts = self._counts(X.shape, X.dtype)
        A = view.sum(axis=tuple(range(1 + self.rank, 1 + 2 * self.rank))) / counts
        self._cache = (X.shape, padded, pads, out, counts)
        return A

    def _by_offset(self, windows):
        """The windows view (n, *out, *pool_size, C) as (n, *pool_size, *out, C): then
        [:, *offset] is every window's value at that offset, as in the grouped order."""
        rank = self.rank
        return np.moveaxis(windows, range(1 + rank, 1 + 2 * rank), range(1, 1 + rank))

    def _grouped_forward(self, Z):
        """Max pooling of a layer's output given in pool order (`Conv2D.forward_linear`
        with group=pool_size): Z (n, prod(pool_size), *out, C), Z[:, k] holding every
        window's value at offset k. The same maxima and winners as `forward` on the
        output in its usual order, with each offset read as one run per image."""
        n, out, C = Z.shape[0], Z.shape[2:-1], Z.shape[-1]
        by_offset = Z.reshape(n, *self.pool_size, *out, C)
        A, winner = self._max_and_winner(by_offset, (n, *out, C))
        self._cache = (Z.shape, None, (), out, winner)
        self._grouped = True
        return A

    def _max_and_winner(self, by_offset, shape):
        """A = the max of each window, and `winner`: which window offset holds it (the
        first one on a tie), one small int per window and channel, for backward.

        `by_offset` (n, *pool_size, *out, C): [:, *offset] is all windows' element at that
        offset. A running np.maximum over the offsets, with winner = k wherever offset k
        is strictly greater than the max so far. Offsets come in increasing order, so the
        last strict improvement is np.maximum(winner, k * greater); strict, so a tie keeps
        the first. A window holding a NaN pools to NaN (np.maximum keeps it). No
        comparison with NaN is true, so its winner is the last strict improvement before
        the first NaN, or offset 0, which may hold the NaN itself (the code before this
        one sent such a window no gradient at all; a NaN loss stops training first anyway).
        """
        offsets = patches.offsets(self.pool_size)
        A = np.empty(shape, dtype=by_offset.dtype)
        winner = np.zeros(shape, dtype=np.min_scalar_type(len(offsets)))  # len: "none"
        greater, kth = np.empty(shape, dtype=bool), np.empty(shape, dtype=winner.dtype)

        def block(start, stop):
            Ab, Vb, Wb = A[start:stop], by_offset[start:stop], winner[start:stop]
            Gb, Kb = greater[start:stop], kth[start:stop]
            for k, offset in enumerate(offsets):
                Vk = Vb[(slice(None), *offset)]
                if k == 0:
                    Ab[...] = Vk
                    continue
                np.greater(Vk, Ab, out=Gb)
                np.maximum(Ab, Vk, out=Ab)
                # k * greater, with the bools read as 0/1 bytes (no cast)
                np.multiply(Gb.view(np.uint8), winner.dtype.type(k), out=Kb, casting="unsafe")
                np.maximum(Wb, Kb, out=Wb)

        # a block reads the windows and writes A: about twice an image's bytes each
        image_bytes = by_offset.itemsize * by_offset[0].size
        for_blocks(patches.image_blocks(shape[0], 2 * image_bytes), block)
        return A, winner

    def _counts(self, shape, dtype):
        """Real (unpadded) positions in each window: (1, *out, 1)."""
        ones = np.ones((1, *shape[1:-1], 1), dtype=dtype)
        view, *_ = self._windows(ones, 0.0)
        return view.sum(axis=tuple(range(1 + self.rank, 1 + 2 * self.rank)))

    # -- the activation of the layer before, moved after the pool (nnlab.step.pool_activation)
    def forward_then(self, X, training: bool, activation, grouped: bool = False):
        """g(max pool of X), with g the activation of the layer that made X (it gave its Z
        instead of g(Z)): the layer graph's ReLU moved past the pool. With `grouped`, X
        is that layer's Z in pool order (`_grouped_forward`), and backward returns dZ in
        the same order."""
        P = self._grouped_forward(X) if grouped else self.forward(X, training)
        if type(activation).__dict__.get("passes_positive", False):
            # g' is 1 where the pooled Z is > 0 and 0 elsewhere: a window whose max is not
            # positive loses its winner, so backward needs no dA * g'(P) pass of its own
            # (the same bits: dA * 1 is dA, and dA * 0 is what both ways give the rest)
            self._drop_winners(P)
            self._then = (None, None, activation.forward_inplace(P))
        else:
            self._then = (activation, P, activation.forward(P))
        return self._then[2]

    def _drop_winners(self, P) -> None:
        """Winner = "none" (the number of offsets) wherever not P > 0."""
        winner = self._cache[4]
        none = np.greater(P, 0)
        np.logical_not(none, out=none)
        # winner = max(winner, "none" * none): winners are below "none". (np.copyto with
        # where= takes 5 ms for mnist-cnn's first pool, this 0.1 ms.)
        marks = np.multiply(
            none.view(np.uint8),
            winner.dtype.type(len(patches.offsets(self.pool_size))),
            dtype=winner.dtype,
        )
        np.maximum(winner, marks, out=winner)

    @property
    def applied_activation(self) -> bool:
        """True when the last forward was `forward_then`: backward then takes dA of g."""
        return self._then is not None

    def backward_then(self, dA, need_dX: bool = True):
        """dZ of the layer before from dA of `forward_then`'s output: g's gradient on the
        pooled values, sent to each window's arg-max."""
        activation, P, A = self._then
        if activation is None:  # folded into the winners by forward_then
            return self.backward(dA, need_dX)
        return self.backward(activation.backward(dA, P, A), need_dX)

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_cache")
        X_shape, padded, pads, out, extra = self._cache
        n, C = X_shape[0], X_shape[-1]
        if self._grouped:  # dZ in the pool order of the layer before: offset k is dZ[:, k]
            dX = np.empty(X_shape, dtype=dY.dtype)
            shares = self._by_offset_inverse(dX.reshape(n, *self.pool_size, *out, C))
            self._shares_by_blocks(dY, extra, shares)
            return dX
        if self.kind == "max" and self._tiled(pads):
            # Windows do not overlap: write each offset's share straight into dX. Every
            # position inside a window is written, so only the rows and columns that no
            # window covers need zeros (no memset of the whole of dX).
            dX = np.empty(X_shape, dtype=dY.dtype)
            for axis, (size, k) in enumerate(zip(out, self.pool_size)):
                dX[(slice(None),) * (1 + axis) + (slice(size * k, None),)] = 0
            tiles = self._tiles(dX, out)
            self._shares_by_blocks(dY, extra, tiles)
            return dX
        if self.kind == "max":
            dW = np.zeros((n, *out, *self.pool_size, C), dtype=dY.dtype)
            self._max_shares(dY, extra, dW)
        else:
            share = dY / extra  # each real position in a window gets dY / count
            dW = np.broadcast_to(
                share.reshape(n, *out, *self._ones, C), (n, *out, *self.pool_size, C)
            )
        dXp = patches.add_windows(dW, padded, self.pool_size, self.strides, self._ones)
        return patches.crop(dXp, pads)

    def _by_offset_inverse(self, grouped):
        """(n, *pool_size, *out, C) as (n, *out, *pool_size, C), the layout of dW below."""
        rank = self.rank
        return np.moveaxis(grouped, range(1, 1 + rank), range(1 + rank, 1 + 2 * rank))

    def _shares_by_blocks(self, dY, winner, dW) -> None:
        """`_max_shares` a block of images at a time, on two threads (`for_blocks`). A
        block writes dW and reads dY and the winners, sized at 4x an image's bytes of
        dW: mnist-cnn's first pool, caches evicted before each call, 40 interleaved runs,
        2.87 ms against 3.10 ms at 2x and 3.55 ms at 8x (2026-12-02, one thread)."""

        def block(start, stop):
            self._max_shares(dY[start:stop], winner[start:stop], dW[start:stop])

        for_blocks(patches.image_blocks(dW.shape[0], 4 * dW[0].nbytes), block)

    def _max_shares(self, dY, winner, dW) -> None:
        """dW[window, offset] = dY[window] at the offset that won the window's max (the
        first on a tie: TensorFlow's MaxPool gradient), 0 at the other offsets."""
        at = (slice(None),) * (1 + self.rank)
        hit = np.empty(winner.shape, dtype=bool)
        for k, offset in enumerate(patches.offsets(self.pool_size)):
            np.equal(winner, k, out=hit)
            np.multiply(dY, hit, out=dW[(*at, *offset)])

    def _tiled(self, pads) -> bool:
        """True when the windows tile the input: strides == pool_size and no padding."""
        return self.strides == self.pool_size and not any(b or a for b, a in pads)

    def _tiles(self, dX, out):
        """A writable view (n, *out, *pool_size, C) of dX's windows, when they tile it."""
        s = dX.strides
        shape = (dX.shape[0], *out, *self.pool_size, dX.shape[-1])
        steps = (s[0], *(st * k for st, k in zip(s[1:-1], self.pool_size)), *s[1:-1], s[-1])
        return as_strided(dX, shape=shape, strides=steps)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": "channels_last",
        }


class MaxPooling2D(_Pooling):
    """The maximum of each pool_size window, per channel.

    Shape: X (n, H, W, C) -> (n, H', W', C); strides default to pool_size.
    Backward: dX is dY at each window's arg-max position (added where windows overlap).

    Example:
        >>> import numpy as np
        >>> MaxPooling2D(2)(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
        [[5.0, 7.0], [13.0, 15.0]]
    """


class _AveragePooling(_Pooling):
    kind = "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        # Keras gives average pooling no default pool_size (max pooling's is 2)
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_AveragePooling):
    """The mean of each pool_size window, per channel (padded positions not counted).

    Shape: X (n, H, W, C) -> (n, H', W', C). Backward: dY / count to every position.

    Example:
        >>> import numpy as np
        >>> AveragePooling2D(2)(np.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """


class MaxPooling1D(_Pooling):
    """The maximum of each window of pool_size steps. X (n, steps, C) -> (n, steps', C)."""

    rank = 1


class AveragePooling1D(_AveragePooling):
    """The mean of each window of pool_size steps. X (n, steps, C) -> (n, steps', C)."""

    rank = 1
