"""`nnlab train` with default settings on scikit-learn's diabetes table, against a
linear model fitted on the same training rows of the same splits.

Writes the table to a CSV, runs `nnlab train diabetes.csv --target target --seed S`
(the command line, default settings) for each seed, and fits scikit-learn's
`LinearRegression` on that run's training rows (the split `nnlab train` uses:
`nnlab.data.holdout_split` of the target column with the run's seed). Prints the test
R² of both per seed and their means; exits 1 when nnlab's mean is more than 0.02 below
the linear model's.

    python bench/diabetes_r2.py              # seeds 0-4
    python bench/diabetes_r2.py --seeds 0 1
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score

from nnlab.data import holdout_split

TOLERANCE = 0.02


def linear_r2(frame, seed: int) -> float:
    """Test R² of LinearRegression fitted on the training rows of `nnlab train`'s split."""
    y = frame["target"].to_numpy()
    X = frame.drop(columns="target").to_numpy()
    train, _, test = holdout_split(y, val_size=0.2, test_size=0.2, seed=seed)
    return float(r2_score(y[test], LinearRegression().fit(X[train], y[train]).predict(X[test])))


def nnlab_r2(csv: str, seed: int, folder: str) -> float:
    """Test R² printed by `nnlab train` with default settings."""
    out = subprocess.run(
        [sys.executable, "-m", "nnlab", "train", csv, "--target", "target", "--seed", str(seed),
         "--verbose", "0", "--out", os.path.join(folder, f"run-{seed}")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(re.search(r"test_r2\s+(-?[0-9.]+)", out).group(1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    frame = load_diabetes(as_frame=True).frame
    with tempfile.TemporaryDirectory() as folder:
        csv = os.path.join(folder, "diabetes.csv")
        frame.to_csv(csv, index=False)
        rows = [(s, nnlab_r2(csv, s, folder), linear_r2(frame, s)) for s in args.seeds]
    print(f"{'seed':>4}  {'nnlab train':>11}  {'LinearRegression':>16}")
    for seed, nn, lin in rows:
        print(f"{seed:>4}  {nn:>11.4f}  {lin:>16.4f}")
    nn_mean, lin_mean = np.mean([r[1] for r in rows]), np.mean([r[2] for r in rows])
    print(f"mean  {nn_mean:>11.4f}  {lin_mean:>16.4f}")
    ok = nn_mean >= lin_mean - TOLERANCE
    print(f"nnlab - linear = {nn_mean - lin_mean:+.4f} ({'within' if ok else 'NOT within'} "
          f"{TOLERANCE} or better)")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
