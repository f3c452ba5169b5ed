"""A layer's ReLU moved past the max pool that follows it: max(g(Z)) = g(max(Z)).

For a non-decreasing g the largest of g(z_1), ..., g(z_k) is g of the largest z, so a
convolution with activation="relu" followed by MaxPooling can pool Z first and apply the
ReLU to the pooled values, a quarter of them for 2x2 pools. Backward follows: the ReLU's
gradient on the pooled values, dZp = dA * (Zp > 0), then the pool sends dZp to each
window's arg-max of Z, which is already dL/dZ of the convolution (`backward_from_Z`).

Where it lives: the layer graph (`nnlab.models.graph`) notes at build time which layer's
output only a max pool reads (`Node.pool_reader`), and at every forward pass checks
`moves_past_pool` again (an activation may be replaced after the build); then the layer
runs `forward_linear` and the pool `forward_then`, which keeps the pooled Z and A for its
`backward_then` on the pool itself (so a nested model called twice keeps each call's).

Exactly the same numbers as the unmoved pair, ties included: where a window's max of Z is
positive, the positions holding it are those holding the max of g(Z), so the first of them
(TensorFlow's MaxPool gradient) is the same; where it is <= 0, both give the window 0.
Two exceptions: a window holding a NaN pools to NaN, whose ReLU gradient is 0, while the
unmoved pair still sends dA to a positive winner before the NaN; and where windows overlap
or are padded (the pool's backward adds into zeros), a zero gradient may come out +0.0 where
the unmoved pair gives -0.0 (0 + dA * 0 against (0 + dA) * 0). (`pool_plan` may also
change the last bits.)

Only ReLU declares that it commutes (`Activation.commutes_with_max`): it is computed as
max(Z, 0), exactly monotone in floating point. Sigmoid and tanh are monotone in exact
arithmetic but their rounded values need not be.

Measurement: mnist-cnn's step, the commit before this one and the one after alternating in
fresh processes (`python bench/ab_step.py --task mnist-cnn --base ../base --rounds 8
--epochs 3`, in an earlier form of the script): 47.5 -> 41.1 ms, faster in 6 of 8 rounds.
"""

from __future__ import annotations

__all__ = ["moves_past_pool", "pool_plan"]


def moves_past_pool(layer, pool) -> bool:
    """True when `layer`'s activation may be applied after `pool` instead (the layer's
    only consumer): `pool` takes window maxima, `layer` can return Z and take dZ, and
    its activation's class itself declares `commutes_with_max`.

    Example:
        >>> from nnlab.layers import Conv2D, MaxPooling2D, AveragePooling2D
        >>> moves_past_pool(Conv2D(2, 3, activation="relu"), MaxPooling2D(2))
        True
        >>> moves_past_pool(Conv2D(2, 3, activation="relu"), AveragePooling2D(2))
        False
    """
    activation = getattr(layer, "activation", None)
    return (
        getattr(pool, "pools_by_max", False)
        and hasattr(layer, "forward_linear")
        and hasattr(layer, "backward_from_Z")
        and type(activation).__dict__.get("commutes_with_max", False)
    )


def pool_plan(layer, pool, input_shape):
    """(crop, group) for a `layer` whose activation moves past `pool`, given its input
    shape: what `forward_linear(X, training, group, crop)` should compute.

    crop: the output sizes the pool reads, where that is less than the whole output (a
    "valid" pool that does not fit a whole number of times), else None. The positions
    past them never reach the loss, so the layer need not compute them: mnist-cnn's
    second convolution gives 11x11 positions and its 2x2 pool reads 10x10, 17% fewer
    rows in each of the convolution's three GEMMs, its im2col and its col2im.

    group: the pool_size by which `layer` orders its output's rows, or None: each
    image's positions grouped by their offset inside the pool window
    (`Conv2D.forward_linear`), so that the pool reads every offset as one run of memory
    instead of C values at a time. Only where the pool tiles the (cropped) output
    (strides == pool_size, "valid") and the convolution uses the column layout of its
    patches (its first layer on images: few channels).

    Both give the same maxima and winners and the same dZ where it is computed, as far
    as BLAS rounds a row of a GEMM the same in a matrix of another size or at another
    place in it, which it need not: with the crop, float32 (8, 13, 13, 32) images into
    Conv2D(4, 3) give Z, so the maxima and the loss, a few ulps off the plain
    way's (BLAS takes another path for the smaller GEMM). The kernel gradient's sum over
    positions runs over another order (group) or without the zero rows (crop), and dX of
    the layer's input comes from a GEMM with fewer or reordered columns (dP^T = W dZ^T),
    so both may differ in the last bits.

    Measurement (mnist-cnn): the first pool, forward and backward on the first
    convolution's output, 10.3 -> 6.0 ms with the order (median of 30 interleaved runs,
    2026-12-02); the crop: see docs/performance.md.

    Example:
        >>> from nnlab.layers import Conv2D, MaxPooling2D
        >>> conv = Conv2D(8, 3, activation="relu")
        >>> pool_plan(conv, MaxPooling2D(2), (128, 28, 28, 1))  # 26x26: no crop, grouped
        (None, (2, 2))
        >>> pool_plan(conv, MaxPooling2D(2), (128, 27, 27, 1))  # 25x25: the pool reads 24
        ((24, 24), (2, 2))
        >>> pool_plan(conv, MaxPooling2D(2), (128, 13, 13, 32))  # row layout: no order
        ((10, 10), None)
    """
    can_group = getattr(layer, "can_group_windows", None)
    if can_group is None:
        return None, None
    spatial = tuple(layer.compute_output_shape(input_shape)[1:-1])
    crop = pool.reads((None, *spatial, None))
    if min(crop) < 1:  # no whole window: left to the pool to report, as without a plan
        return None, None
    crop = None if crop == spatial else crop
    tiles = pool.strides == pool.pool_size and pool.padding == "valid"
    if tiles and can_group(input_shape, pool.pool_size, crop):
        return crop, pool.pool_size
    return crop, None
