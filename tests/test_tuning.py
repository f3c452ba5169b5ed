"""nnlab.tuning in one process: the space, the strategies' schedules, the trial records,
the results file, the report, the CLI, and lecture 004's polynomial-degree exercise."""

from __future__ import annotations

import json
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nnlab.cli import main
from nnlab.tuning import Choice, Float, Int, Search, Space, TuneData, comparable
from nnlab.tuning.results_file import ResultsFile
from nnlab.tuning.strategies import Hyperband, SuccessiveHalving


@pytest.fixture(scope="module")
def iris2():
    return TuneData.from_source("iris", cv=2, seed=0)


# -- the space --------------------------------------------------------------------------
def test_grid_merges_inactive_conditionals_and_masks_them():
    space = Space(n_layers=Int(1, 3), units_1=Choice([8, 16]),
                  units_2=Choice([4, 8], when={"n_layers": [2, 3]}),
                  units_3=Choice([2], when={"n_layers": [3]}))  # fmt: skip
    grid = space.grid()
    # 1 layer: 2 configs; 2 layers: 2 x 2; 3 layers: 2 x 2 x 1
    assert len(grid) == 2 + 4 + 4
    assert all(("units_2" in c) == (c["n_layers"] >= 2) for c in grid)
    assert all(("units_3" in c) == (c["n_layers"] == 3) for c in grid)
    assert len({json.dumps(c, sort_keys=True) for c in grid}) == len(grid)


def test_sample_is_seeded_and_respects_ranges_and_log():
    space = Space(lr=Float(1e-4, 1e-1, log=True), units=Int(8, 64, log=True),
                  act=Choice(["relu", "tanh"]))  # fmt: skip
    a, b = space.sample(100, seed=4), space.sample(100, seed=4)
    assert a == b and a != space.sample(100, seed=5)
    lr = np.array([c["lr"] for c in a])
    assert lr.min() >= 1e-4 and lr.max() <= 1e-1
    # log-uniform: about half of the draws below the geometric middle 10^-2.5
    assert 0.3 < np.mean(lr < 10**-2.5) < 0.7
    units = [c["units"] for c in a]
    assert min(units) >= 8 and max(units) <= 64 and all(isinstance(u, int) for u in units)


def test_space_errors_are_clear(tmp_path):
    with pytest.raises(ValueError, match="needs a step"):
        Space(lr=Float(0.1, 1.0)).grid()
    with pytest.raises(ValueError, match="must be declared before"):
        Space(units_2=Choice([4], when={"n_layers": [2]}), n_layers=Int(1, 2))
    with pytest.raises(ValueError, match="exactly one of"):
        Space.from_dict({"lr": {"low": 1}})
    with pytest.raises(ValueError, match="Unknown search-space parameter"):
        Search("iris", Space(widht=Choice([3])), scheduler="serial")
    bad = tmp_path / "bad.toml"
    bad.write_text("[space\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        Space.from_toml(bad)


def test_toml_space_equals_python_space(tmp_path):
    path = tmp_path / "space.toml"
    path.write_text(
        "[space]\n"
        "n_layers = { int = [1, 2] }\n"
        "units_1 = { choice = [16, 32] }\n"
        "units_2 = { choice = [8], when = { n_layers = [2] } }\n"
        "learning_rate = { float = [1e-3, 1e-1], log = true }\n"
        "epochs = 5\n"
    )
    python = Space(n_layers=Int(1, 2), units_1=Choice([16, 32]),
                   units_2=Choice([8], when={"n_layers": [2]}),
                   learning_rate=Float(1e-3, 1e-1, log=True), epochs=5)  # fmt: skip
    toml = Space.from_toml(path)
    assert toml.to_dict() == python.to_dict()
    assert toml.sample(10, seed=1) == python.sample(10, seed=1)


# -- strategies' schedules against their definitions -----------------------------------
def test_halving_schedule_matches_scikit_learn():
    from scipy.stats import loguniform
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import HalvingRandomSearchCV

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    for n, max_r in ((9, 27), (20, 40), (5, 50)):
        sk = HalvingRandomSearchCV(SGDClassifier(), {"alpha": loguniform(1e-4, 1.0)},
                                   n_candidates=n, resource="max_iter", max_resources=max_r,
                                   min_resources="exhaust", factor=3, cv=2,
                                   random_state=0)  # fmt: skip
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk.fit(X, y)
        ours = SuccessiveHalving(factor=3).schedule(n, max_r)
        assert ours == list(sk.n_resources_)
        kept = [n]
        for _ in ours[1:]:
            kept.append(math.ceil(kept[-1] / 3))
        assert kept == list(sk.n_candidates_)


def test_hyperband_brackets_match_the_paper():
    # Li et al. (2018), Table 1: R = 81, eta = 3
    brackets = Hyperband(factor=3).brackets(81)
    assert [n for n, _ in brackets] == [81, 34, 15, 8, 5]
    assert [b[0] for _, b in brackets] == [1, 3, 9, 27, 81]
    assert all(b[-1] == 81 for _, b in brackets)


def test_halving_and_hyperband_refuse_a_searched_budget(iris2):
    space = Space(units=Choice([4]), epochs=Choice([2, 4]))
    with pytest.raises(ValueError, match="epochs as the budget"):
        Search(iris2, space, strategy="halving", n_trials=3, scheduler="serial").run()


def test_halving_promotes_the_best_and_runs_the_planned_epochs(iris2):
    space = Space(units=Choice([2, 4, 8, 16]), learning_rate=Float(0.001, 0.05, log=True),
                  epochs=9)  # fmt: skip
    result = Search(iris2, space, strategy="halving", n_trials=9, seed=1, scheduler="serial",
                    refit=False).run()  # fmt: skip
    t = result.table
    assert list(t.groupby("budget").size().sort_index()) == [9, 3, 1]
    first = t[t["budget"] == 1]
    promoted = set(first[first["status"] == "promoted"]["candidate"])
    top3 = set(first.sort_values(["mean_test_score", "candidate"],
                                 ascending=[False, True])["candidate"][:3])  # fmt: skip
    assert promoted == top3
    assert (t[t["budget"] == 9]["status"] == "ok").all()
    assert (t["epochs_run"] == t["budget"]).all()


# -- trials, failures, the results file -------------------------------------------------
def test_failed_trial_is_recorded_and_the_search_goes_on(iris2, tmp_path):
    space = Space(units=Choice([4]), activation=Choice(["relu", "softmax"]), epochs=2)
    path = tmp_path / "trials.jsonl"
    result = Search(iris2, space, strategy="grid", scheduler="serial", results=path).run()
    t = result.table
    assert list(t["status"]) == ["ok", "failed"]
    assert "activation must be one of" in t.loc[1, "error"]
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert "header" in lines[0] and lines[2]["status"] == "failed"
    assert result.best_params["activation"] == "relu"


def test_results_file_refuses_overwrite_and_other_searches(tmp_path):
    path = tmp_path / "r.jsonl"
    with ResultsFile(path, {"seed": 1}) as f:
        f.append({"key": "0:full", "status": "ok"})
    with pytest.raises(ValueError, match="already exists.*--resume"):
        ResultsFile(path, {"seed": 1})
    with pytest.raises(ValueError, match=r"different search \(differs in \['seed'\]\)"):
        ResultsFile(path, {"seed": 2}, resume=True)
    with open(path, "a") as f:
        f.write('{"key": "1:full", "sta')  # a line cut by a kill
    again = ResultsFile(path, {"seed": 1}, resume=True)
    assert list(again.finished) == ["0:full"]
    again.close()
    assert path.read_text().endswith("}\n")


def test_resume_from_a_cut_file_gives_the_uninterrupted_table(iris2, tmp_path):
    space = Space(units=Int(2, 12), learning_rate=Float(0.002, 0.05, log=True), epochs=3)
    kwargs = dict(strategy="random", n_trials=6, seed=2, scheduler="serial", refit=False)
    full = Search(iris2, space, results=tmp_path / "a.jsonl", **kwargs).run()
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    cut = tmp_path / "b.jsonl"
    cut.write_text("\n".join(lines[:4]) + "\n" + lines[4][:30])  # 3 trials and a half
    resumed = Search(iris2, space, results=cut, resume=True, **kwargs).run()
    pd.testing.assert_frame_equal(comparable(full.table), comparable(resumed.table))


# -- estimator parameters a space can hold ----------------------------------------------
def test_estimator_options_build_the_network():
    from nnlab.layers import Activation, BatchNormalization, Dropout
    from nnlab.sklearn import NNClassifier

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    clf = NNClassifier((5, 4), activation=("tanh", "relu"), dropout=(0.2, 0.0),
                       batch_normalization=True, kernel_initializer="he_normal", l1=1e-3,
                       learning_rate_schedule="cosine", epochs=2, random_state=0).fit(X, y)
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert kinds.count("BatchNormalization") == 2 and kinds.count("Dropout") == 1
    acts = [layer.get_config()["activation"]["name"] for layer in clf.model_.layers
            if isinstance(layer, Activation)]  # fmt: skip
    assert acts == ["tanh", "relu"]
    assert kinds[0:4] == ["Dense", "BatchNormalization", "Activation", "Dropout"]
    assert isinstance(clf.model_.layers[3], Dropout) and clf.model_.layers[3].rate == 0.2
    assert isinstance(clf.model_.layers[1], BatchNormalization)
    # he_normal (Keras: truncated normal, stddev sqrt(2 / fan_in)) on 50 x 400 kernel
    big = NNClassifier((400,), kernel_initializer="he_normal", epochs=1, learning_rate=1e-12,
                       random_state=0)  # fmt: skip
    big.fit(np.random.default_rng(1).normal(size=(10, 50)), np.arange(10) % 2)
    W = big.model_.get_weights()[0]
    assert W.std() == pytest.approx(math.sqrt(2 / 50), rel=0.03)
    assert np.abs(W).max() <= 2 * math.sqrt(2 / 50) / 0.87962566103423978 + 1e-6
    with pytest.raises(ValueError, match="one per hidden layer"):
        NNClassifier((4, 4), activation=("relu",)).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate_schedule must be one of"):
        NNClassifier((4,), learning_rate_schedule="step").fit(X, y)
    with pytest.raises(ValueError, match="l1 must be"):
        NNClassifier((4,), l1=-1.0).fit(X, y)


def test_l1_adds_its_penalty_to_the_loss():
    from nnlab.sklearn import NNRegressor

    X = np.random.default_rng(0).normal(size=(30, 2))
    y = X[:, 0]
    kw = dict(hidden_layer_sizes=(), epochs=1, learning_rate=1e-12, random_state=0,
              batch_size=30, optimizer="sgd")  # fmt: skip
    plain = NNRegressor(**kw).fit(X, y)
    l1 = NNRegressor(**kw, l1=0.5).fit(X, y)
    W = plain.model_.get_weights()[0]
    assert l1.loss_curve_[0] == pytest.approx(plain.loss_curve_[0] + 0.5 * np.abs(W).sum(),
                                               rel=1e-5)  # fmt: skip


def test_schedules_reach_their_end_rates():
    from nnlab.sklearn_options import make_optimizer, total_steps

    assert total_steps(100, 32, 3, 0.0) == 3 * 4
    assert total_steps(100, 32, 3, 0.1) == 3 * 3  # 90 training rows
    for name, end in (("constant", 0.1), ("exponential", 0.01), ("cosine", 0.0)):
        opt = make_optimizer("sgd", 0.1, name, total_steps=50)
        assert opt.learning_rate == pytest.approx(0.1)
        opt.iterations = 50  # the run's last step
        assert opt.learning_rate == pytest.approx(end, abs=1e-12)


# -- lecture 004 end to end, the report, the CLI ------------------------------------------
def test_lecture_004_polynomial_degree_by_4_fold_cv(tmp_path):
    """sin(2 pi x) + N(0, 0.3^2), n = 30, seed 0 (test split and folds: seed 0): degrees
    1..9 by 4-fold CV through `nnlab tune`. The chosen degree is the CV minimum, and
    degree 1 (underfit) and degree 9 (overfit) both score worse."""
    before = matplotlib.get_backend()
    out = tmp_path / "sine"
    args = ["tune", "sine", "--space", "docs/examples/polynomial_degree.toml", "--strategy",
            "grid", "--cv", "4", "--seed", "0", "--scheduler", "serial", "--no-progress",
            "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "table.csv")
    assert list(table["param_degree"]) == list(range(1, 10))
    cv_mse = table.set_index("param_degree")["mean_test_mse"]
    train_mse = table.set_index("param_degree")["mean_train_mse"]
    best = json.loads((out / "best.json").read_text())
    chosen = best["params"]["degree"]
    assert chosen == int(cv_mse.idxmin())
    assert cv_mse[1] > cv_mse[chosen] and cv_mse[9] > cv_mse[chosen]
    assert train_mse[9] < train_mse[1]  # more capacity fits the training rows better
    assert best["cv_score"] == pytest.approx(-cv_mse[chosen])
    assert set(best["test"]) == {"score", "mse", "mae"}
    report = (out / "report.html").read_text()
    for text in ("Score against each parameter", 'alt="degree"', "Parallel coordinates",
                 "Learning curves of the best", "Test result of the winner"):  # fmt: skip
        assert text in report
    assert report.count("data:image/png;base64,") >= 3
    assert matplotlib.get_backend() == before  # rendered through Figure objects
    from nnlab.models import load_model

    model = load_model(out / "best_model.nnlab")
    assert model.preprocessing.feature_names == ["x"] + [f"x^{p}" for p in range(2, chosen + 1)]


def test_cli_refuses_bad_input_in_one_line(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["tune", "iris", "--space", str(tmp_path / "no.toml")])
    assert missing.exit_code == 2 and "No such space file" in missing.output
    both = runner.invoke(main, ["tune", "iris", "--scheduler", "tcp://127.0.0.1:1",
                                "--workers", "2"])  # fmt: skip
    assert both.exit_code == 2 and "not both" in both.output


def test_nnlab_tune_iris_with_the_default_space(tmp_path):
    result = CliRunner().invoke(main, ["tune", "iris", "--trials", "2", "--cv", "2",
                                       "--scheduler", "serial", "--no-progress",
                                       "--out", str(tmp_path / "iris")])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "iris" / "table.csv")
    assert len(table) == 2 and {"param_n_layers", "param_learning_rate"} <= set(table.columns)
    assert (tmp_path / "iris" / "best_model.nnlab").exists()
    assert "test accuracy" in result.output
