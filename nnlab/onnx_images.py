"""ONNX export of the convolution, pooling and image layers (used by `nnlab.onnx_export`).

nnlab keeps channels last, (N, ..., C), as Keras does; ONNX's Conv and pooling operators
want channels first, (N, C, ...). Each such layer is therefore written as
Transpose -> operator -> Transpose back, with the kernel (k..., C, F) stored as
ONNX's (F, C, k...):

=======================  =============================================================
nnlab                    ONNX
=======================  =============================================================
Conv1D / Conv2D          Conv (strides, dilations; "same" as auto_pad SAME_UPPER, which
                         puts the extra zero after, as TensorFlow; "causal" as explicit
                         pads before), then the activation
MaxPooling1D/2D          MaxPool (padded cells never win)
AveragePooling1D/2D      AveragePool with count_include_pad=0 (padded cells not counted)
Global*Pooling1D/2D      ReduceMean / ReduceMax over the spatial axes (no transposes)
ZeroPadding2D            Pad with zeros on the height and width axes
UpSampling2D             Resize, mode nearest, asymmetric coordinates, floor: each pixel
                         repeated size times
SpatialDropout1D/2D      Identity (an identity at inference)
=======================  =============================================================
"""

from __future__ import annotations

import numpy as np

from nnlab.layers import convolutional, global_pooling, pooling, spatial

IMAGE_LAYERS = (
    "Conv1D",
    "Conv2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "AveragePooling1D",
    "AveragePooling2D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "ZeroPadding2D",
    "UpSampling2D",
    "SpatialDropout1D",
    "SpatialDropout2D",
)

_CONV = (convolutional.Conv1D, convolutional.Conv2D)
_POOL = (pooling.MaxPooling1D, pooling.MaxPooling2D, pooling.AveragePooling1D,
         pooling.AveragePooling2D)
_GLOBAL = (global_pooling.GlobalAveragePooling1D, global_pooling.GlobalAveragePooling2D,
           global_pooling.GlobalMaxPooling1D, global_pooling.GlobalMaxPooling2D)


def handles(layer) -> bool:
    """Whether `layer` is exactly one of the image layers (a subclass may differ)."""
    return type(layer).__name__ in IMAGE_LAYERS and type(layer).__module__ in (
        convolutional.__name__,
        pooling.__name__,
        global_pooling.__name__,
        spatial.__name__,
    )


def export(builder, layer, x: str, out: str) -> None:
    """Append the ONNX nodes computing `layer` on the value `x` into `out`."""
    kind, name = type(layer), layer.name
    if kind in _CONV:
        _conv(builder, layer, x, out)
    elif kind in _POOL:
        _pool(builder, layer, x, out)
    elif kind in _GLOBAL:
        rank = kind.rank
        op = "ReduceMax" if kind.kind == "max" else "ReduceMean"
        axes = list(range(1, 1 + rank))
        keep = int(layer.keepdims)
        if builder.opset >= 18:  # axes became an input in opset 18
            axes_name = builder.const(f"{name}/axes", axes, dtype=np.int64)
            builder.op(op, [x, axes_name], out, keepdims=keep)
        else:
            builder.op(op, [x], out, axes=axes, keepdims=keep)
    elif kind is spatial.ZeroPadding2D:
        (t, b), (lf, r) = layer.padding
        pads = builder.const(f"{name}/pads", [0, t, lf, 0, 0, b, r, 0], dtype=np.int64)
        builder.op("Pad", [x, pads], out, mode="constant")
    elif kind is spatial.UpSampling2D:
        sh, sw = layer.size
        scales = builder.const(f"{name}/scales", [1.0, sh, sw, 1.0], dtype=np.float32)
        builder.op(
            "Resize",
            [x, "", scales],
            out,
            mode="nearest",
            coordinate_transformation_mode="asymmetric",
            nearest_mode="floor",
        )
    else:  # SpatialDropout1D / 2D
        builder.op("Identity", [x], out)


def _to_channels_first(builder, x: str, rank: int, name: str) -> str:
    return builder.op("Transpose", [x], f"{name}/nchw", perm=[0, 1 + rank, *range(1, 1 + rank)])


def _to_channels_last(builder, x: str, rank: int, out: str) -> str:
    return builder.op("Transpose", [x], out, perm=[0, *range(2, 2 + rank), 1])


def _padding_attrs(layer, rank: int, k, d) -> dict:
    if layer.padding == "same":
        return {"auto_pad": "SAME_UPPER"}
    if layer.padding == "causal":
        return {"pads": [(k[0] - 1) * d[0], 0]}
    return {"pads": [0] * (2 * rank)}


def _conv(builder, layer, x: str, out: str) -> None:
    name, rank = layer.name, type(layer).rank
    W = layer.params["kernel"]  # (k..., C, F) -> (F, C, k...)
    kernel = builder.const(f"{name}/kernel", np.transpose(W, (rank + 1, rank, *range(rank))))
    inputs = [_to_channels_first(builder, x, rank, name), kernel]
    if layer.use_bias:
        inputs.append(builder.const(f"{name}/bias", layer.params["bias"]))
    attrs = _padding_attrs(layer, rank, layer.kernel_size, layer.dilation_rate)
    z = builder.op(
        "Conv",
        inputs,
        f"{name}/conv",
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        dilations=list(layer.dilation_rate),
        **attrs,
    )
    linear = layer.activation.name == "linear"
    z_last = _to_channels_last(builder, z, rank, out if linear else f"{name}/z")
    if not linear:
        builder.activation(layer, z_last, out)


def _pool(builder, layer, x: str, out: str) -> None:
    name, rank = layer.name, type(layer).rank
    attrs = _padding_attrs(layer, rank, layer.pool_size, (1,) * rank)
    if type(layer).kind == "max":
        op = "MaxPool"
    else:
        op, attrs = "AveragePool", {**attrs, "count_include_pad": 0}
    pooled = builder.op(
        op,
        [_to_channels_first(builder, x, rank, name)],
        f"{name}/pool",
        kernel_shape=list(layer.pool_size),
        strides=list(layer.strides),
        **attrs,
    )
    _to_channels_last(builder, pooled, rank, out)
