"""Conv1D and Conv2D: Dense applied to every window of the input.

With P the im2col matrix of the input's windows (`nnlab.layers.patches`), one row per
output position and one column per (window offset, input channel), a convolution is

    Z = P W + b,   A = g(Z)

with W the kernel reshaped to (prod(kernel_size) * C, filters). Backward is Dense's:
dZ = dA * g'(Z), dW = P^T dZ, db = column sums of dZ, and dP = dZ W^T, whose rows are sent
back to the input positions they were read from (col2im: overlapping windows add).
"""

from __future__ import annotations

import numpy as np

from nnlab import activations as activations_mod
from nnlab import initializers as initializers_mod
from nnlab import regularizers as regularizers_mod
from nnlab.backend import gemm
from nnlab.layers import patches
from nnlab.layers.arguments import deny_constraints
from nnlab.layers.base import Layer
from nnlab.step.threads import for_blocks


class _Conv(Layer):
    """Shared body of Conv1D / Conv2D (`rank` spatial axes, channels last)."""

    rank = 2
    paddings = patches.PADDINGS

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format=None,
        dilation_rate=1,
        groups: int = 1,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        owner = type(self).__name__
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"{owner}(filters=...) expects a positive int. Received: {filters!r}")
        if groups != 1:
            raise ValueError(
                f"{owner}: nnlab supports groups=1 only (every filter sees every input "
                f"channel). Received: groups={groups!r}"
            )
        patches.check_channels_last(data_format, owner)
        deny_constraints(self, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = patches.as_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = patches.as_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = patches.as_tuple(dilation_rate, self.rank, "dilation_rate", owner)
        self.padding = patches.check_padding(padding, owner, self.paddings)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: strides > 1 together with dilation_rate > 1 is not supported "
                f"(Keras refuses it too). Received: strides={self.strides}, "
                f"dilation_rate={self.dilation_rate}"
            )
        self.activation = activations_mod.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self._P = self._Z = self._A = None
        self._group = None  # the pool order of Z's rows (forward_linear)

    # -- shapes ----------------------------------------------------------------------
    def _check_input_shape(self, input_shape) -> None:
        if (
            isinstance(input_shape, list)
            or len(input_shape) != self.rank + 2
            or input_shape[-1] is None
        ):
            axes = "steps" if self.rank == 1 else "height, width"
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs inputs of shape (batch, {axes}, "
                f"channels) with a known channel count. Received input shape {input_shape}. "
                "Give Input a full shape, e.g. Input(shape=(28, 28, 1)) for grey images."
            )
        for size, k, s, d in zip(
            input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate
        ):
            if size is not None and patches.output_size(size, k, s, d, self.padding) < 1:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': a kernel of size {self.kernel_size} "
                    f"(dilation {self.dilation_rate}) does not fit an input of spatial shape "
                    f"{tuple(input_shape[1:-1])} with padding='valid'. Use padding='same' or "
                    "a smaller kernel."
                )

    def build(self, input_shape) -> None:
        self._check_input_shape(input_shape)
        C = input_shape[-1]
        self.add_weight(
            "kernel",
            (*self.kernel_size, C, self.filters),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.add_weight(
                "bias", (self.filters,), self.bias_initializer, regularizer=self.bias_regularizer
            )

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        out = tuple(
            patches.output_size(size, k, s, d, self.padding)
            for size, k, s, d in zip(
                input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate
            )
        )
        return (input_shape[0], *out, self.filters)

    def _plan(self, spatial):
        plans = [
            patches.plan(size, k, s, d, self.padding)
            for size, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        ]
        return [(b, a) for b, a, _ in plans], tuple(o for _, _, o in plans)

    # -- computing -------------------------------------------------------------------
    def forward(self, X, training: bool = False):
        Z = self._linear(X)
        self._A = self.activation.forward_inplace(Z)
        return self._A.reshape(X.shape[0], *self._shapes[3], self.filters)

    def forward_linear(self, X, training: bool = False, group=None, crop=None):
        """Z = P W + b only, shaped like the output: the activation is left to the caller,
        who then passes dZ to `backward_from_Z`. The layer graph uses it to apply a ReLU
        after the max pool that follows instead of before (`nnlab.step.pool_activation`).
        `last_A` still gives g(Z), computed when asked.

        With `crop` (output sizes per spatial axis), only the output positions below them
        are computed: those a "valid" max pool reads (mnist-cnn's 11x11 second convolution
        feeds a 2x2 pool that reads 10x10). The others never reach the loss; their dX
        share is 0.

        With `group` (the pool_size of a max pool that tiles the output, where
        `can_group_windows` says yes), each image's windows come ordered by their offset
        inside the pool window: Z has shape (n, prod(group), *out / group, filters), and
        Z[i, k] is one run of memory, what the pool's offset k reads. `backward_from_Z`
        then takes dZ in that order; `last_Z` and `last_A` give the usual one."""
        if group is not None and not self.can_group_windows(X.shape, group, crop):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' cannot order its windows by a pool of "
                f"{tuple(group)} for inputs of shape {X.shape}: ask can_group_windows first."
            )
        Z = self._linear(X, group, crop)
        self._A = None
        return Z.reshape(self._output_shape())

    def _output_shape(self) -> tuple:
        """The shape of the last forward pass's output: (n, *out, filters), or in pool
        order (n, prod(group), *out / group, filters) after `forward_linear` with a group."""
        n, out = self._shapes[0][0], self._shapes[3]
        if self._group is None:
            return (n, *out, self.filters)
        windows = patches.grouped_shape(out, self._group)[self.rank :]  # per axis
        return (n, patches.positions(self._group), *windows, self.filters)

    def _check_gradient(self, G) -> None:
        """dA or dZ must hold one row per position computed, in the order computed: after
        `forward_linear` with a crop or a pool order, a gradient in the usual output shape
        would not fit, or would be read in the wrong order."""
        grouped = self._group is not None and G.ndim != 2  # (n * positions, filters): rows
        if G.size != self._Z.size or (grouped and G.shape != self._output_shape()):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the gradient must be shaped like the "
                f"output of its last forward pass, {self._output_shape()}. Received shape "
                f"{G.shape}. Where the layer graph moved this layer's ReLU past the max pool "
                "that reads it, that output is what the pool read: pass on the gradient "
                "the pool's backward returns."
            )

    def can_group_windows(self, input_shape, group, crop=None) -> bool:
        """Whether `forward_linear(X, group=group, crop=crop)` can order the windows by
        pool offset: for the column layout of P (few input channels: the first
        convolution of an image model) when `group` divides the output's spatial shape."""
        _, out = self._plan(input_shape[1:-1])
        return patches.use_columns(input_shape[-1], patches.positions(out)) and all(
            o % g == 0 for o, g in zip(out if crop is None else crop, group)
        )

    @property
    def last_Z(self):
        """Z = P W + b of the last forward pass, one row per output position, in the
        output's order (None if not kept). After `forward_linear` with a crop (a max pool
        reading part of the output), the rows of the positions computed."""
        return self._output_order(super().last_Z)

    @property
    def last_A(self):
        """A = g(Z) of the last forward pass (computed from Z after `forward_linear`)."""
        if self._A is None and getattr(self, "_Z", None) is not None:
            return self.activation.forward(self.last_Z)
        return self._A

    def _output_order(self, rows):
        """Rows of Z kept in `forward_linear`'s pool order, put back in the output's."""
        if rows is None or self._group is None:
            return rows
        n, out, rank = self._shapes[0][0], self._shapes[3], self.rank
        grouped = rows.reshape(n, *patches.grouped_shape(out, self._group), self.filters)
        # (n, *group, *out / group, F) -> (n, out_0 / g_0, g_0, out_1 / g_1, g_1, ..., F)
        axes = [0, *(a for i in range(rank) for a in (1 + rank + i, 1 + i)), 1 + 2 * rank]
        return grouped.transpose(axes).reshape(rows.shape)

    def _linear(self, X, group=None, crop=None):
        """Z = P W + b, (n * positions, filters), keeping what backward needs."""
        pads, out = self._plan(X.shape[1:-1])
        Xp = patches.pad(X, pads)
        padded_shape = Xp.shape
        W2 = self.params["kernel"].reshape(-1, self.filters)  # (k * C, filters)
        self._by_columns = patches.use_columns(X.shape[-1], patches.positions(out))
        self._group = group
        if crop is not None and tuple(crop) != out:
            if any(not 1 <= c <= o for c, o in zip(crop, out)) or len(crop) != self.rank:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': crop {tuple(crop)} must be "
                    f"{self.rank} sizes between 1 and the output's {out}."
                )
            out = tuple(crop)  # the windows of the first `crop` positions read a prefix
            Xp = Xp[(slice(None), *(slice(0, n) for n in self._reads(out)), slice(None))]
        if self._by_columns:
            self._P, self._Z = self._columns_forward(Xp, out, W2)
        else:
            self._P, self._Z = self._rows_forward(Xp, out, W2)
        self._shapes = (X.shape, padded_shape, pads, out)
        return self._Z

    def _reads(self, out):
        """How much of the padded input the first `out` windows read, per spatial axis."""
        return tuple(
            (o - 1) * s + (k - 1) * d + 1
            for o, k, s, d in zip(out, self.kernel_size, self.strides, self.dilation_rate)
        )

    def _rows_forward(self, Xp, out, W2):
        """P (n * positions, k C), one row per window, and Z = P W + b."""
        view = patches.windows(Xp, self.kernel_size, self.strides, self.dilation_rate, out)
        rows = patches.positions(out)  # rows of P per image
        P = np.empty((Xp.shape[0] * rows, W2.shape[0]), dtype=Xp.dtype)

        def im2col(start, stop):
            P[start * rows : stop * rows].reshape(view[start:stop].shape)[...] = view[start:stop]

        # im2col by blocks of images on two threads (memory-bound), then one GEMM
        for_blocks(patches.image_blocks(Xp.shape[0], rows * P.shape[1] * P.itemsize), im2col)
        Z = gemm(P, W2)
        if self.use_bias:
            Z += self.params["bias"]
        return P, Z

    def _columns_forward(self, Xp, out, W2):
        """P^T (k C [+ 1], n * positions), one column per window (patches.columns), and
        Z = P^T.T [W; b]: the bias is the weight of P^T's row of ones."""
        PT = patches.columns(
            Xp, self.kernel_size, self.strides, self.dilation_rate, out, self.use_bias, self._group
        )
        Wb = np.vstack([W2, self.params["bias"]]) if self.use_bias else W2
        return PT, gemm(PT.T, Wb)

    def backward(self, dA, need_dX: bool = True):
        self._require_forward("_P")
        self._check_gradient(dA)
        dZ = self.activation.backward(dA.reshape(self._Z.shape), self._Z, self._A)
        return self.backward_from_Z(dZ, need_dX)

    def backward_from_Z(self, dZ, need_dX: bool = True):
        """Given dZ (any shape holding n * positions rows of filters): dW, db and dX."""
        self._require_forward("_P")
        self._check_gradient(dZ)
        dZ = dZ.reshape(self._Z.shape)
        W2 = self.params["kernel"].reshape(-1, self.filters)
        dW2 = self.grads["kernel"].reshape(W2.shape)  # a view: gradients are contiguous
        if self._by_columns:  # P^T: one column per row of dZ
            dWb = gemm(self._P, dZ)  # (k C [+ 1], n * positions) @ (n * positions, filters)
            dW2[...] = dWb[: W2.shape[0]]
            if self.use_bias:
                self.grads["bias"][...] = dWb[-1]
        else:
            gemm(self._P.T, dZ, out=dW2)  # (k C, n * positions) @ (n * positions, filters)
            if self.use_bias:  # column sums as a GEMV: ~7x np.add.reduce's speed here
                self.grads["bias"][...] = np.ones(dZ.shape[0], dZ.dtype) @ dZ
        if not need_dX:
            return None
        X_shape, Xp_shape, pads, out = self._shapes
        if self._by_columns:
            dPT = gemm(W2, dZ.T)  # (k C, filters) @ (filters, n * positions)
            dXp = patches.add_columns(
                dPT, Xp_shape, self.kernel_size, self.strides, self.dilation_rate, out, self._group
            )
            return patches.crop(dXp, pads)
        # dP = dZ W^T, split by window offset k (dP_k = dZ W_k^T, one batched GEMM), then
        # sent back to the input positions offset k read (col2im), by blocks of images on
        # two threads
        dXp = np.zeros(Xp_shape, dtype=dZ.dtype)
        rows = patches.positions(out)  # rows of dZ per image
        C = X_shape[-1]
        W_by_offset = W2.reshape(-1, C, self.filters).transpose(0, 2, 1)  # (k, filters, C)
        dP = np.matmul(dZ, W_by_offset)  # (k, n * positions, C)

        def col2im(start, stop):
            patches.add_offsets(
                dP[:, start * rows : stop * rows].reshape(-1, stop - start, *out, C),
                dXp[start:stop],
                self.kernel_size,
                self.strides,
                self.dilation_rate,
            )

        dP_bytes = rows * W2.shape[0] * dZ.itemsize  # one image's share of dP
        for_blocks(patches.image_blocks(X_shape[0], dP_bytes), col2im)
        return patches.crop(dXp, pads)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": "channels_last",
            "dilation_rate": list(self.dilation_rate),
            "groups": 1,
            "activation": activations_mod.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
            "bias_initializer": initializers_mod.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers_mod.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers_mod.serialize(self.bias_regularizer),
        }


class Conv2D(_Conv):
    """2-D convolution over images: Z = P W + b over every kernel window, A = g(Z).

    Shape: X (n, H, W, C) -> A (n, H', W', filters); kernel (kh, kw, C, filters),
    bias (filters,). With padding "valid", H' = floor((H - span) / stride) + 1 where
    span = (kh - 1) * dilation + 1; with "same", H' = ceil(H / stride) (zeros added, the
    smaller half before, as TensorFlow does).

    Backward (Dense's over the patches P): dW = P^T dZ, db = column sums of dZ,
    dX = col2im(dZ W^T).

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw), default 1.
        padding: "valid" (default) or "same".
        dilation_rate: int or (dh, dw), default 1 (cannot be combined with strides > 1).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer: as in Dense.

    Example:
        >>> import numpy as np
        >>> conv = Conv2D(1, 2, kernel_initializer="ones")
        >>> conv(np.arange(9.0).reshape(1, 3, 3, 1))[0, :, :, 0].tolist()
        [[8.0, 12.0], [20.0, 24.0]]
    """

    rank = 2


class Conv1D(_Conv):
    """1-D convolution over sequences: Z = P W + b over every window of `kernel_size` steps.

    Shape: X (n, steps, C) -> A (n, steps', filters); kernel (k, C, filters).
    padding: "valid", "same", or "causal" (k - 1 zeros before the sequence, so output t
    sees only inputs up to t). Backward as Conv2D's.

    Example:
        >>> import numpy as np
        >>> Conv1D(1, 2, kernel_initializer="ones")(np.array([[[1.0], [2.0], [4.0]]]))[..., 0]
        array([[3., 6.]], dtype=float32)
    """

    rank = 1
    paddings = (*patches.PADDINGS, "causal")
