"""The benchmark tasks of shared/bench/TASKS.md: specs, data, initial weights, GEMM shapes.

Six dense networks (iris ... wide-regression) and two convnets (digits-cnn, mnist-cnn).

The parent (run.py) builds every task's arrays once with `build_data` and writes them to an
.npz, so every tool trains on identical data from identical initial weights. The worker reads
the spec of its task from `TASKS`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEED = 0  # one fixed seed: splits, data generators, initial weights, shuffling


@dataclass(frozen=True)
class TaskSpec:
    name: str
    sizes: tuple  # layer widths, input first
    hidden: str  # hidden activation: "relu" or "tanh"
    output: str  # "softmax", "sigmoid" or "linear"
    loss: str  # nnlab/Keras loss name
    optimizer: str  # "adam" or "sgd"
    lr: float
    momentum: float
    batch: int
    epochs: int
    metric: str  # "accuracy" or "mse"
    data: str  # how the data is built (for the JSON)
    # Convnets only: the input image shape (H, W, C) and the layers after it, each a tuple:
    # ("conv", filters, kernel, padding) with ReLU, ("maxpool", size), ("gap",), ("flatten",),
    # ("dropout", rate), ("dense", units) (the softmax output). `sizes` is then
    # (input features, classes). Dense tasks leave both empty.
    image_shape: tuple = ()
    net: tuple = ()

    @property
    def classification(self) -> bool:
        return self.metric == "accuracy"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sizes"] = list(self.sizes)
        d["image_shape"] = list(self.image_shape)
        d["net"] = [list(layer) for layer in self.net]
        return d

    def describe(self) -> str:
        """The network in one line, e.g. 64-128-64-10 or 8x8x1-conv16s-pool2-...-10."""
        if not self.net:
            return "-".join(str(s) for s in self.sizes)
        parts = ["x".join(str(v) for v in self.image_shape)]
        for layer in self.net:
            kind = layer[0]
            if kind == "conv":
                parts.append(f"conv{layer[1]}k{layer[2]}{'s' if layer[3] == 'same' else ''}")
            elif kind in ("maxpool", "dropout"):
                parts.append(f"{kind}{layer[1]}")
            elif kind == "dense":
                parts.append(str(layer[1]))
            else:
                parts.append(kind)
        return "-".join(parts)


TASKS: dict[str, TaskSpec] = {
    t.name: t
    for t in [
        TaskSpec(
            "iris",
            (4, 16, 16, 16, 3),
            "relu",
            "softmax",
            "categorical_crossentropy",
            "adam",
            1e-3,
            0.0,
            16,
            200,
            "accuracy",
            "scikit-learn iris; stratified 60/20/20 split (seed 0); standardized",
        ),
        TaskSpec(
            "penguins",
            (3, 16, 2),
            "relu",
            "softmax",
            "categorical_crossentropy",
            "sgd",
            0.05,
            0.0,
            32,
            100,
            "accuracy",
            "Palmer penguins, flipper/bill depth/bill length, 342 rows, Adelie or not "
            "(one-hot, 2 outputs); stratified 60/20/20 (seed 0); standardized",
        ),
        TaskSpec(
            "digits",
            (64, 128, 64, 10),
            "relu",
            "softmax",
            "categorical_crossentropy",
            "adam",
            1e-3,
            0.0,
            32,
            50,
            "accuracy",
            "scikit-learn digits, pixels / 16; stratified 60/20/20 (seed 0)",
        ),
        TaskSpec(
            "playground",
            (2, 4, 2, 1),
            "tanh",
            "sigmoid",
            "binary_crossentropy",
            "sgd",
            0.03,
            0.0,
            10,
            100,
            "accuracy",
            "Playground circle, 1000 points, noise 0.25 (seed 0); first half train, "
            "second half test; not standardized",
        ),
        TaskSpec(
            "mnist-shape",
            (784, 256, 128, 10),
            "relu",
            "softmax",
            "categorical_crossentropy",
            "sgd",
            0.01,
            0.9,
            128,
            3,
            "accuracy",
            "60,000 + 10,000 rows of N(0,1) float32, 784 features; label = argmax of a "
            "784-64-10 tanh teacher (seed 0)",
        ),
        TaskSpec(
            "wide-regression",
            (100, 512, 512, 1),
            "relu",
            "linear",
            "mse",
            "adam",
            1e-3,
            0.0,
            256,
            2,
            "mse",
            "100,000 + 20,000 rows of N(0,1), 100 features; y = 100-32-1 tanh teacher "
            "+ N(0, 0.05^2) (seed 0)",
        ),
        TaskSpec(
            "digits-cnn",
            (64, 10),
            "relu",
            "softmax",
            "categorical_crossentropy",
            "adam",
            1e-3,
            0.0,
            32,
            30,
            "accuracy",
            "the digits task's split and scaling, pixels as 8x8x1 images",
            image_shape=(8, 8, 1),
            net=(
                ("conv", 16, 3, "same"),
                ("maxpool", 2),
                ("conv", 32, 3, "same"),
                ("gap",),
                ("dense", 10),
            ),
        ),
        TaskSpec(
            "mnist-cnn",
            (784, 10),
            "relu",
            "softmax",
            "categorical_crossentropy",
            "adam",
            1e-3,
            0.0,
            128,
            15,
            "accuracy",
            "nnlab's MNIST subset (5,000 real digits) as 28x28x1 images / 255; stratified "
            "4,000 train / 1,000 test (holdout_split, test_size 0.2, seed 0)",
            image_shape=(28, 28, 1),
            net=(
                ("conv", 32, 3, "valid"),
                ("maxpool", 2),
                ("conv", 64, 3, "valid"),
                ("maxpool", 2),
                ("flatten",),
                ("dropout", 0.5),
                ("dense", 10),
            ),
        ),
    ]
}


def cnn_shapes(spec: TaskSpec) -> list[dict]:
    """Per layer of a convnet: kind, input and output (H, W, C), and its weight shapes."""
    h, w, c = spec.image_shape
    out = []
    for layer in spec.net:
        kind, shape_in, weights = layer[0], (h, w, c), []
        if kind == "conv":
            f, k, padding = layer[1:]
            if padding == "valid":
                h, w = h - k + 1, w - k + 1
            weights = [(k, k, c, f), (f,)]
            c = f
        elif kind == "maxpool":
            h, w = h // layer[1], w // layer[1]
        elif kind in ("gap", "flatten"):
            h, w, c = 1, 1, (c if kind == "gap" else h * w * c)
        elif kind == "dense":
            weights = [(c, layer[1]), (layer[1],)]
            c = layer[1]
        out.append({"kind": kind, "in": shape_in, "out": (h, w, c), "weights": weights})
    return out


def cnn_weights(spec: TaskSpec, seed: int = SEED) -> list:
    """[K0, b0, K1, b1, ..., W, b]: Glorot-uniform as Keras (a conv kernel (k, k, C, F) has
    fan_in k k C and fan_out k k F), zero biases, float32."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for layer in cnn_shapes(spec):
        if not layer["weights"]:
            continue
        kshape, bshape = layer["weights"]
        field = int(np.prod(kshape[:-2]))
        limit = np.sqrt(6.0 / (field * kshape[-2] + field * kshape[-1]))
        out.append(rng.uniform(-limit, limit, kshape).astype(np.float32))
        out.append(np.zeros(bshape, np.float32))
    return out


def glorot_weights(sizes, seed: int = SEED) -> list:
    """[W0, b0, W1, b1, ...]: Glorot-uniform kernels (fan_in, fan_out), zero biases, float32."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6.0 / (a + b))
        out.append(rng.uniform(-limit, limit, (a, b)).astype(np.float32))
        out.append(np.zeros(b, np.float32))
    return out


def _standardize(X_train, *others):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[std == 0] = 1.0
    return [(X - mean) / std for X in (X_train, *others)]


def build_data(name: str) -> dict:
    """The arrays of one task: X_train, y_train, X_test, y_test, W0, b0, ... (float32 X).

    y is int64 class labels for classification, float32 (n, 1) targets for regression.
    """
    import numpy as np

    from nnlab import datasets
    from nnlab.data import holdout_split

    spec = TASKS[name]
    if name == "mnist-cnn":
        ds = datasets.load_mnist_subset(as_images=True)
        train, _val, test = holdout_split(
            ds.y, val_size=0.0, test_size=0.2, stratify=True, seed=SEED
        )
        X = ds.X / 255.0
        X_tr, X_te, y_tr, y_te = X[train], X[test], ds.y[train], ds.y[test]
    elif name in ("iris", "penguins", "digits", "digits-cnn"):
        loader = {
            "iris": datasets.load_iris,
            "penguins": datasets.load_penguins_lecture,
            "digits": datasets.load_digits,
            "digits-cnn": lambda: datasets.load_digits(as_images=True),
        }[name]
        X, y = loader()
        train, _val, test = holdout_split(y, val_size=0.2, test_size=0.2, stratify=True, seed=SEED)
        if name in ("digits", "digits-cnn"):
            X_tr, X_te = X[train] / 16.0, X[test] / 16.0
        else:
            X_tr, X_te = _standardize(X[train], X[test])
        y_tr, y_te = y[train], y[test]
    elif name == "playground":
        X, y = datasets.make_circle_bench(1000, noise=0.25, seed=SEED, shuffle=True)
        X_tr, X_te, y_tr, y_te = X[:500], X[500:], y[:500], y[500:]
    elif name == "mnist-shape":
        X, y = datasets.make_teacher(
            70_000, n_features=784, hidden=64, n_outputs=10, task="classification", seed=SEED
        )
        X_tr, X_te, y_tr, y_te = X[:60_000], X[60_000:], y[:60_000], y[60_000:]
    elif name == "wide-regression":
        X, y = datasets.make_teacher(
            120_000,
            n_features=100,
            hidden=32,
            n_outputs=1,
            task="regression",
            noise=0.05,
            seed=SEED,
        )
        y = y.reshape(-1, 1)
        X_tr, X_te, y_tr, y_te = X[:100_000], X[100_000:], y[:100_000], y[100_000:]
    else:
        raise KeyError(f"unknown task {name!r}; known: {list(TASKS)}")
    data = {
        "X_train": np.ascontiguousarray(X_tr, dtype=np.float32),
        "X_test": np.ascontiguousarray(X_te, dtype=np.float32),
    }
    if spec.classification:
        data["y_train"] = np.asarray(y_tr, np.int64)
        data["y_test"] = np.asarray(y_te, np.int64)
    else:
        data["y_train"] = np.asarray(y_tr, np.float32).reshape(-1, 1)
        data["y_test"] = np.asarray(y_te, np.float32).reshape(-1, 1)
    weights = cnn_weights(spec, SEED) if spec.net else glorot_weights(spec.sizes, SEED)
    for i, w in enumerate(weights):
        data[f"w{i}"] = w
    return data


def gemm_shapes(spec: TaskSpec) -> list[dict]:
    """The GEMMs of one training step: per layer X@W, X^T@dZ and (not the first) dZ@W^T.

    Each entry: label, m, k, n (C = A(m,k) @ B(k,n)) and which operand is a transposed view.
    """
    B = spec.batch
    out = []
    if spec.net:
        return _cnn_gemms(spec)
    for layer, (a, b) in enumerate(zip(spec.sizes[:-1], spec.sizes[1:])):
        out.append({"label": f"L{layer} fwd X@W", "m": B, "k": a, "n": b, "trans": ""})
        out.append({"label": f"L{layer} dW X^T@dZ", "m": a, "k": B, "n": b, "trans": "A"})
        if layer > 0:
            out.append({"label": f"L{layer} dX dZ@W^T", "m": B, "k": b, "n": a, "trans": "B"})
    return out


def _cnn_gemms(spec: TaskSpec) -> list[dict]:
    """A convnet's GEMMs: per conv the im2col product P @ K (P: batch x positions rows,
    k k C columns), its dK = P^T @ dZ and (not the first layer) dP = dZ @ K^T; Dense as above."""
    B = spec.batch
    out = []
    for i, layer in enumerate(cnn_shapes(spec)):
        if layer["kind"] == "conv":
            h, w, f = layer["out"]
            m, k = B * h * w, int(layer["weights"][0][0]) ** 2 * layer["in"][2]
        elif layer["kind"] == "dense":
            m, k, f = B, layer["in"][2], layer["out"][2]
        else:
            continue
        name = f"L{i} {layer['kind']}"
        out.append({"label": f"{name} fwd", "m": m, "k": k, "n": f, "trans": ""})
        out.append({"label": f"{name} dW", "m": k, "k": m, "n": f, "trans": "A"})
        if i > 0:
            out.append({"label": f"{name} dX", "m": m, "k": f, "n": k, "trans": "B"})
    return out
