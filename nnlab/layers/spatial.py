"""Image-shaped helpers: ZeroPadding2D, UpSampling2D, SpatialDropout1D/2D.

None of them has weights; each backward is the transpose of its forward: padding is
undone by cropping, nearest-neighbour repetition by summing each block.
"""

from __future__ import annotations

import numpy as np

from nnlab.layers import patches
from nnlab.layers.base import Layer
from nnlab.layers.dropout import Dropout


def _pairs(padding, owner: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's three forms: p, (ph, pw) or ((top, bottom), (left, right))."""

    def ok(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0

    if ok(padding):
        return ((int(padding),) * 2,) * 2
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        if all(ok(v) for v in padding):
            return tuple((int(v), int(v)) for v in padding)
        if all(isinstance(p, (tuple, list)) and len(p) == 2 and all(map(ok, p)) for p in padding):
            return tuple((int(a), int(b)) for a, b in padding)
    raise ValueError(
        f"{owner}(padding=...) expects an int >= 0, a tuple (ph, pw) or "
        f"((top, bottom), (left, right)). Received: padding={padding!r}"
    )


def _check_image(layer, input_shape) -> None:
    if isinstance(input_shape, list) or len(input_shape) != 4:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' needs inputs of shape (batch, height, "
            f"width, channels). Received input shape {input_shape}."
        )


class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around each image.

    Shape: X (n, H, W, C) -> (n, top + H + bottom, left + W + right, C).
    Backward: dX is dY with the padding cropped off.

    Example:
        >>> import numpy as np
        >>> ZeroPadding2D(1)(np.ones((1, 1, 1, 1)))[0, :, :, 0].tolist()
        [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        patches.check_channels_last(data_format, "ZeroPadding2D")
        super().__init__(**kwargs)
        self.padding = _pairs(padding, "ZeroPadding2D")

    def build(self, input_shape) -> None:
        _check_image(self, input_shape)

    def compute_output_shape(self, input_shape):
        _check_image(self, input_shape)
        n, H, W, C = input_shape
        (t, b), (lf, r) = self.padding
        return (n, None if H is None else H + t + b, None if W is None else W + lf + r, C)

    def forward(self, X, training: bool = False):
        return patches.pad(X, self.padding)

    def backward(self, dY, need_dX: bool = True):
        return patches.crop(dY, self.padding)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "padding": [list(p) for p in self.padding],
            "data_format": "channels_last",
        }


class UpSampling2D(Layer):
    """Repeats each pixel size[0] times down and size[1] times across (nearest neighbour).

    Shape: X (n, H, W, C) -> (n, H sh, W sw, C).
    Backward: each output block's gradients summed back into its one source pixel.

    Args:
        size: int or (sh, sw), default (2, 2).
        interpolation: "nearest" only (nnlab does not implement Keras's "bilinear" and
            other resizing modes).

    Example:
        >>> import numpy as np
        >>> UpSampling2D(2)(np.array([[[[1.0], [2.0]]]]))[0, :, :, 0].tolist()
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        patches.check_channels_last(data_format, "UpSampling2D")
        if interpolation != "nearest":
            raise ValueError(
                "UpSampling2D: nnlab implements interpolation='nearest' only. "
                f"Received: interpolation={interpolation!r}. Use 'nearest', or resize the "
                "images beforehand."
            )
        super().__init__(**kwargs)
        self.size = patches.as_tuple(size, 2, "size", "UpSampling2D")
        self.interpolation = interpolation

    def build(self, input_shape) -> None:
        _check_image(self, input_shape)

    def compute_output_shape(self, input_shape):
        _check_image(self, input_shape)
        n, H, W, C = input_shape
        sh, sw = self.size
        return (n, None if H is None else H * sh, None if W is None else W * sw, C)

    def forward(self, X, training: bool = False):
        sh, sw = self.size
        return np.repeat(np.repeat(X, sh, axis=1), sw, axis=2)

    def backward(self, dY, need_dX: bool = True):
        n, H2, W2, C = dY.shape
        sh, sw = self.size
        return dY.reshape(n, H2 // sh, sh, W2 // sw, sw, C).sum(axis=(2, 4))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "size": list(self.size),
            "data_format": "channels_last",
            "interpolation": self.interpolation,
        }


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: each (sample, channel) is kept or dropped entirely.

    Dropout with noise_shape (n, 1, 1, C), so neighbouring pixels, which are strongly
    correlated, cannot stand in for a dropped one. Shape: X (n, H, W, C) -> same.

    Args:
        rate: fraction of channels to drop, in [0, 1).
        seed: seed of the layer's own generator.
    """

    rank = 2

    def __init__(self, rate: float, data_format=None, seed: int | None = None, **kwargs):
        patches.check_channels_last(data_format, type(self).__name__)
        kwargs.pop("noise_shape", None)
        super().__init__(rate, noise_shape=(None, *(1,) * self.rank, None), seed=seed, **kwargs)

    def build(self, input_shape) -> None:
        if isinstance(input_shape, list) or len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs inputs with {self.rank} spatial "
                f"axes and channels last. Received input shape {input_shape}."
            )

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("noise_shape")
        return {**config, "data_format": "channels_last"}


class SpatialDropout1D(SpatialDropout2D):
    """Dropout of whole channels of a sequence: noise_shape (n, 1, C)."""

    rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
