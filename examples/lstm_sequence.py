"""An LSTM forecasts a noisy sine wave: windows of 20 values -> the next value.

    python examples/lstm_sequence.py                  # 800 training windows, 30 epochs
    python examples/lstm_sequence.py --epochs 5 --n-train 200

Data: `nnlab.datasets.make_sine_forecast` (period 25 steps, noise 0.1, one random phase per
window); 800 windows to train, 200 to test, from seed 0. Network: LSTM(16) -> Dense(1), MSE,
Adam(1e-2), batch 32. The noise is in the target too, so the best possible test MSE is about
noise^2 = 0.01; always predicting the training mean gives about 0.5. The script prints both
baselines beside the model's test MSE.
"""

from __future__ import annotations

import argparse

import numpy as np

from nnlab import datasets, layers, models, optimizers
from nnlab.utils import set_random_seed


def build_model(timesteps=20, units=16):
    return models.Sequential(
        [layers.Input(shape=(timesteps, 1)), layers.LSTM(units), layers.Dense(1)]
    )


def run(epochs=30, n_train=800, n_test=200, seed=0, verbose=0):
    """Train; return (test MSE of the model, test MSE of predicting the training mean)."""
    set_random_seed(seed)
    X, y = datasets.make_sine_forecast(n_train + n_test, timesteps=20, noise=0.1, seed=seed)
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    model = build_model()
    model.compile(optimizer=optimizers.Adam(1e-2), loss="mse")
    model.fit(X_train, y_train, batch_size=32, epochs=epochs, verbose=verbose, seed=seed)
    pred = model.predict(X_test, verbose=0).ravel()
    return float(np.mean((pred - y_test) ** 2)), float(np.mean((y_train.mean() - y_test) ** 2))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--n-train", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2))
    args = parser.parse_args(argv)
    mse, baseline = run(args.epochs, args.n_train, seed=args.seed, verbose=args.verbose)
    print(f"test MSE {mse:.4f}  (predicting the mean: {baseline:.4f}; noise floor: 0.0100)")
    return mse


if __name__ == "__main__":
    main()
