"""The page's data: Playground's generators (nnlab.datasets.playground), two multi-class
sets, the train/test split, and uploaded CSVs.

Playground generates 500 points for classification and 1200 for regression, shuffles them
once and takes the first floor(N * percTrainData / 100) as training points. Binary labels
are +1 / -1 (Playground's), multi-class labels are class indices 0..k-1.
"""

from __future__ import annotations

import io
import zlib

import numpy as np
import pandas as pd

from nnlab.datasets import playground as gen

NUM_SAMPLES_CLASSIFY = 500
NUM_SAMPLES_REGRESS = 1200
MAX_UPLOAD_BYTES = 2_000_000
MAX_UPLOAD_ROWS = 5000
GENERATORS = {
    "circle": gen.make_circle,
    "xor": gen.make_xor,
    "gauss": gen.make_gauss,
    "spiral": gen.make_spiral,
    "reg-plane": gen.make_reg_plane,
    "reg-gauss": gen.make_reg_gauss,
}


def seed_number(seed: str, stream: int = 0, count: int = 0) -> list[int]:
    """The NumPy seed for a Playground seed string: `[crc32(seed), stream, count]`.

    Stream 0 draws the data, stream 1 the network's weights (`count`: resets so far), so a
    link reproduces both.

    Example:
        >>> seed_number("0.59704", 1)
        [865972196, 1, 0]
    """
    return [zlib.crc32(str(seed).encode()), stream, count]


def make_spiral3(n_samples=500, noise=0.0, seed=None):
    """Three interleaved spiral arms (classes 0, 1, 2), Playground's spiral with 3 arms."""
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for k, n in enumerate(np.diff(np.linspace(0, n_samples, 4).astype(int))):
        i = np.arange(n) / n
        r, t = 5.0 * i, 1.75 * 2 * np.pi * i + 2 * np.pi * k / 3
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        labels.append(np.full(n, k))
    X = np.concatenate(parts) + rng.uniform(-1.0, 1.0, (n_samples, 2)) * noise
    return X, np.concatenate(labels)


def make_blobs4(n_samples=500, noise=0.0, seed=None):
    """Four Gaussian blobs at (+-2.5, +-2.5), classes 0..3; variance as Playground's gauss."""
    rng = np.random.default_rng(seed)
    centres = np.array([[2.5, 2.5], [-2.5, 2.5], [-2.5, -2.5], [2.5, -2.5]])
    y = np.arange(n_samples) % 4
    X = centres[y] + np.sqrt(0.5 + 7.0 * noise) * rng.standard_normal((n_samples, 2))
    return X, y


def generate(state) -> dict:
    """Points and labels for a `PlaygroundState`, split as Playground splits them.

    Returns:
        dict with X_train, y_train, X_test, y_test (float64 / labels as described above).

    Example:
        >>> from nnlab.playground.state import PlaygroundState
        >>> d = generate(PlaygroundState(seed="1"))
        >>> d["X_train"].shape, d["X_test"].shape, sorted(set(d["y_train"].tolist()))
        ((250, 2), (250, 2), [-1.0, 1.0])
    """
    noise = state.noise / 100.0
    seed = seed_number(state.seed)
    rng = np.random.default_rng(seed)
    if state.problem == "regression":
        ds = GENERATORS[state.regDataset](NUM_SAMPLES_REGRESS, noise, seed=int(seed[0]))
        X, y = ds.X, ds.y.astype(np.float64)
    elif state.dataset == "spiral3":
        X, y = make_spiral3(NUM_SAMPLES_CLASSIFY, noise, seed)
    elif state.dataset == "blobs":
        X, y = make_blobs4(NUM_SAMPLES_CLASSIFY, noise, seed)
    else:
        ds = GENERATORS[state.dataset](NUM_SAMPLES_CLASSIFY, noise, seed=int(seed[0]))
        X, y = ds.X, 2.0 * ds.y - 1.0
    order = rng.permutation(len(X))  # Playground shuffles once before the split
    X, y = X[order], y[order]
    n_train = len(X) * state.percTrainData // 100
    return {"X_train": X[:n_train], "y_train": y[:n_train],
            "X_test": X[n_train:], "y_test": y[n_train:]}


def thumbnail_points() -> dict[str, list]:
    """200 points at noise 0 per data set, [x1, x2, label] rows, for the data thumbnails."""
    from nnlab.playground.state import DATASETS, REG_DATASETS, PlaygroundState

    out = {}
    for name in DATASETS + REG_DATASETS:
        state = PlaygroundState(seed="thumbnail", percTrainData=90)
        if name.startswith("reg-"):
            state.problem, state.regDataset = "regression", name
        else:
            state.dataset = name
        d = generate(state)
        out[name] = np.column_stack([d["X_train"], d["y_train"]])[:200].round(3).tolist()
    return out


def split_upload(X, y, state) -> dict:
    """Split uploaded points as generated ones: one seeded shuffle, then percTrainData."""
    order = np.random.default_rng(seed_number(state.seed)).permutation(len(X))
    X, y = X[order], y[order]
    n_train = max(1, len(X) * state.percTrainData // 100)
    return {"X_train": X[:n_train], "y_train": y[:n_train],
            "X_test": X[n_train:], "y_test": y[n_train:]}


def read_upload(text: str, problem: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read an uploaded CSV: two numeric feature columns, then a label or a target.

    The label or target column is read by nnlab's `TabularPreprocessor` (the CLI's CSV
    checks). Classification labels may be 2 to 8 distinct values (two classes become
    -1 / +1 in sorted order, more become class indices 0..k-1); regression targets must be
    numbers.

    Returns:
        X (n, 2), y (n,), and the class names (empty for regression).

    Raises:
        ValueError: a message that says what is wrong with the file and how to fix it.
    """
    if len(text.encode()) > MAX_UPLOAD_BYTES:
        raise ValueError(f"The CSV is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB. "
                         "Upload at most that (the page plots every point).")
    try:
        df = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeError) as exc:
        raise ValueError(f"The file is not a readable CSV: {' '.join(str(exc).split())}") from None
    if df.shape[1] != 3:
        raise ValueError("The CSV needs exactly 3 columns (x1, x2, then the label or target). "
                         f"Received: {df.shape[1]} columns {list(df.columns)[:6]}")
    if not 4 <= len(df) <= MAX_UPLOAD_ROWS:
        raise ValueError(f"The CSV needs 4 to {MAX_UPLOAD_ROWS} rows. Received: {len(df)} rows")
    if df.isna().any().any():
        bad = df.columns[df.isna().any()].tolist()
        raise ValueError(f"The CSV has empty cells in columns {bad}. Fill or drop those rows.")
    features = df.iloc[:, :2]
    numeric = features.apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any():
        col = numeric.columns[numeric.isna().any()][0]
        raise ValueError(f"Feature column {col!r} must hold numbers only. Received a value "
                         f"like {features[col][numeric[col].isna()].iloc[0]!r}")
    X = numeric.to_numpy(np.float64)
    if not np.isfinite(X).all():
        raise ValueError("The feature columns must be finite numbers (no inf).")
    # The label or target: nnlab's own table checks (TabularPreprocessor) read it.
    from nnlab.data.tabular import TabularPreprocessor

    name = str(df.columns[2])
    df.columns = [str(c) for c in df.columns]
    task = "regression" if problem == "regression" else None
    prep = TabularPreprocessor(name, scaling=None, task=task).fit(df)
    y = np.asarray(prep.transform_target(df)).reshape(len(df), -1)[:, 0]
    if problem == "regression":
        if not np.isfinite(y).all():
            raise ValueError(f"The target column {name!r} must hold finite numbers.")
        return X, y.astype(np.float64), []
    classes = [str(c) for c in prep.classes]
    if not 2 <= len(classes) <= 8:
        raise ValueError(f"For classification the label column {name!r} needs 2 to 8 distinct "
                         f"values. Received: {len(classes)}. For a numeric target choose "
                         "Problem type: Regression.")
    y = 2.0 * y - 1.0 if len(classes) == 2 else y.astype(np.int64)
    return X, y, classes


def to_csv(data: dict, problem: str, classes=()) -> str:
    """The current points as CSV: x1, x2, label (or target), split (train/test)."""
    rows = []
    for part in ("train", "test"):
        X, y = data[f"X_{part}"], data[f"y_{part}"]
        for (x1, x2), label in zip(X, y):
            if problem == "regression":
                value = repr(float(label))
            elif classes:
                value = classes[int((label + 1) / 2) if len(classes) == 2 else int(label)]
            else:
                value = str(int(label))
            rows.append(f"{x1!r},{x2!r},{value},{part}")
    header = "x1,x2," + ("target" if problem == "regression" else "label") + ",split"
    return "\n".join([header, *rows]) + "\n"
