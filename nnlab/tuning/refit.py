"""The winner refitted on every training row, then scored once on the test rows."""

from __future__ import annotations

from nnlab.tuning.trial import fold_metrics, prepare_fold


def refit_best(result) -> None:
    """Fit `result.best_params` (with its budget) on all training rows; set
    `estimator`, `preprocessor` and `test_metrics` (empty without test rows)."""
    from threadpoolctl import threadpool_limits

    data = result.data
    record = result.records[result.best_index]
    prep, make, transform = prepare_fold(data, result.best_params, data.train_rows,
                                         result.best_budget)  # fmt: skip
    X, y = transform(data.train_rows)
    with threadpool_limits(limits=1, user_api="blas"):
        estimator = make(record["seed"]).fit(X, y)
    result.estimator, result.preprocessor = estimator, prep
    classification = data.task != "regression"
    if len(data.test_rows):
        X_test, y_test = transform(data.test_rows)
        result.test_metrics = fold_metrics(estimator, X_test, y_test, classification)
