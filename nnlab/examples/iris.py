"""The lectures' Iris tutorial (seed 000) on nnlab: 4-16-16-16-3 ReLU/softmax, Adam.

Run it with `python -m nnlab.examples.iris [--epochs N] [--seed S] [--verbose V]`. It
splits Iris 60/20/20 (stratified), standardizes with the training statistics only,
trains with validation, and prints the test accuracy.
"""

from __future__ import annotations

import argparse

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from nnlab.layers import Dense, Input
from nnlab.models import Sequential
from nnlab.utils import set_random_seed, to_categorical


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2, choices=(0, 1, 2))
    args = parser.parse_args(argv)

    set_random_seed(args.seed)
    iris = load_iris()
    X, y = iris.data, to_categorical(iris.target)
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, test_size=0.4, stratify=y, random_state=args.seed
    )
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, test_size=0.5, stratify=y_rest, random_state=args.seed
    )
    scaler = StandardScaler().fit(X_train)  # training statistics only: no leak
    X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))

    model = Sequential(
        [
            Input(shape=(4,)),
            Dense(16, activation="relu"),
            Dense(16, activation="relu"),
            Dense(16, activation="relu"),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(
        X_train,
        y_train,
        epochs=args.epochs,
        batch_size=16,
        validation_data=(X_val, y_val),
        verbose=args.verbose,
    )
    loss, accuracy = model.evaluate(X_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f} - test accuracy: {accuracy:.4f} ({len(X_test)} held-out flowers)")
    return accuracy


if __name__ == "__main__":
    main()
