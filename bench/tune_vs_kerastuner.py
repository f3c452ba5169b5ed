"""nnlab's tuner against KerasTuner on the same configurations and the same split
(issue 17, point 4).

For iris and digits: one stratified hold-out split of the training rows (80/20 of the
80 % left after the test rows, seed 0) - KerasTuner has no k-fold for Keras models, so
nnlab is given the same single split as its one "fold". Both tools get the identical list
of configurations (drawn once by nnlab's Space.sample, seed 0): KerasTuner through a
GridSearch over the configuration's index, so it runs exactly that list in that order.
Both see the same inputs: the columns z-scored with the training part's statistics
(nnlab's TabularPreprocessor). Each configuration is trained for its epochs with Adam and
its batch size; nnlab scores the last epoch's validation accuracy, KerasTuner its best
epoch's (its rule), so both of nnlab's are printed (the best epoch from the held-out
curve every trial records). Only the searches are timed (nnlab: Search.run() in one process,
refit off; KerasTuner: tuner.search()). Needs `pip install keras-tuner` (the `bench`
extra).

    python bench/tune_vs_kerastuner.py [--configs 12] [--datasets iris digits]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def configurations(n: int, seed: int = 0) -> list[dict]:
    from nnlab.tuning import Choice, Float, Int, Space

    space = Space(
        n_layers=Int(1, 2),
        units_1=Choice([16, 32, 64]),
        units_2=Choice([16, 32], when={"n_layers": [2]}),
        activation=Choice(["relu", "tanh"]),
        learning_rate=Float(1e-3, 3e-2, log=True),
        batch_size=Choice([16, 32]),
        epochs=30,
    )
    return space.sample(n, seed)


def split(name: str):
    from sklearn.model_selection import train_test_split

    from nnlab.tuning import TuneData

    full = TuneData.from_source(name, cv=2, seed=0)  # test rows held out as in a search
    labels = full.preprocessor("standard").fit(full.frame).transform_target(full.frame)
    tr, va = train_test_split(full.train_rows, test_size=0.2, random_state=0,
                              stratify=labels[full.train_rows])  # fmt: skip
    tr, va = sorted(tr), sorted(va)
    import numpy as np

    data = TuneData(full.frame, full.target, full.task, full.train_rows, full.test_rows,
                    [(np.asarray(tr), np.asarray(va))], name)  # fmt: skip
    prep = data.preprocessor("standard").fit(full.frame.iloc[tr])
    arrays = [prep.transform(full.frame.iloc[rows]) for rows in (tr, va)]
    targets = [prep.transform_target(full.frame.iloc[rows]) for rows in (tr, va)]
    return data, arrays, targets, len(prep.classes)


def run_nnlab(data, configs):
    from nnlab.tuning import Space

    # the listed configurations, in order: a grid over their index
    from nnlab.tuning.search import Search
    from nnlab.tuning.strategies.fixed import GridSearch

    class ListSearch(GridSearch):
        def candidates(self, space, n_trials, seed):
            return configs

    from nnlab.tuning.strategies.bayes import fold_mean_curve

    t0 = time.perf_counter()
    result = Search(data, Space(), strategy=ListSearch(), scheduler="serial", refit=False).run()
    elapsed = time.perf_counter() - t0
    best_epoch = max(max(fold_mean_curve(r)) for r in result.records if r["status"] == "ok")
    return elapsed, result.best_score, best_epoch


def run_kerastuner(arrays, targets, n_classes, configs):
    import keras
    import keras_tuner as kt

    (X_tr, X_va), (y_tr, y_va) = arrays, targets

    class Listed(kt.HyperModel):
        def build(self, hp):
            c = configs[hp.Int("config", 0, len(configs) - 1)]
            layers = [keras.Input((X_tr.shape[1],))]
            widths = [c["units_1"]] + ([c["units_2"]] if c["n_layers"] == 2 else [])
            layers += [keras.layers.Dense(w, activation=c["activation"]) for w in widths]
            layers.append(keras.layers.Dense(n_classes, activation="softmax"))
            model = keras.Sequential(layers)
            model.compile(optimizer=keras.optimizers.Adam(c["learning_rate"]),
                          loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
            return model

        def fit(self, hp, model, *args, **kwargs):
            c = configs[hp.get("config")]
            return model.fit(*args, batch_size=c["batch_size"], epochs=c["epochs"], **kwargs)

    folder = tempfile.mkdtemp(prefix="kt-")
    try:
        tuner = kt.GridSearch(Listed(), objective="val_accuracy", max_trials=len(configs),
                              directory=folder, project_name="bench", seed=0,
                              overwrite=True)  # fmt: skip
        t0 = time.perf_counter()
        tuner.search(X_tr, y_tr, validation_data=(X_va, y_va), verbose=0)
        elapsed = time.perf_counter() - t0
        best = tuner.oracle.get_best_trials(1)[0]
        return elapsed, float(best.score), len(tuner.oracle.trials)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", type=int, default=12)
    parser.add_argument("--datasets", nargs="+", default=["iris", "digits"])
    args = parser.parse_args()
    configs = configurations(args.configs)
    for name in args.datasets:
        data, arrays, targets, n_classes = split(name)
        t_nn, s_nn, s_nn_best = run_nnlab(data, configs)
        t_kt, s_kt, n_kt = run_kerastuner(arrays, targets, n_classes, configs)
        print(f"{name}: {len(configs)} configurations, train {len(arrays[0])} / "
              f"validation {len(arrays[1])} rows")
        print(f"  nnlab       {t_nn:8.2f} s   best val accuracy {s_nn:.4f} at the last epoch, "
              f"{s_nn_best:.4f} at the best epoch")
        print(f"  KerasTuner  {t_kt:8.2f} s   best val accuracy {s_kt:.4f} at the best epoch "
              f"(its rule; {n_kt} trials)")
        same_rule = "equal or better" if s_nn_best >= s_kt else "worse"
        last = "equal or better" if s_nn >= s_kt else "worse"
        print(f"  nnlab {t_kt / t_nn:.1f}x faster; best score by the same (best-epoch) rule: "
              f"{same_rule}; nnlab's last-epoch score against it: {last}")


if __name__ == "__main__":
    main()
