"""Bad-input corpus, files and command-line outputs: every case is refused with a message
that names the problem and says what to do; CLI cases exit 2 with one line."""

from __future__ import annotations

import os
import re
import shutil

import numpy as np
import pytest
from click.testing import CliRunner
from file_cases import (
    FIX,
    PENGUINS,
    edit_json,
    layer,
    members_of,
    prep_config,
    replace_array,
    save_valid_model,
    zip_of,
)

from nnlab.cli import main
from nnlab.models import load_model
from nnlab.models.saving import ModelFileError


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """Bytes of a valid model file (trained, compiled, with preprocessing)."""
    return save_valid_model(tmp_path_factory.mktemp("valid") / "m.nnlab").read_bytes()


def _json(edit):
    return lambda data: edit_json(data, edit)


def _set(path, value):
    """An edit that sets the model.json field at `path` (dotted, or a tuple of keys)."""

    def edit(doc):
        keys = path.split(".") if isinstance(path, str) else path
        *parents, last = [int(p) if p.isdigit() else p for p in keys]
        for p in parents:
            doc = doc[p]
        doc[last] = value

    return _json(edit)


def _nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def _with_member(name, payload):
    return lambda data: zip_of({**members_of(data), name: payload})


def _without_member(name):
    return lambda data: zip_of({k: v for k, v in members_of(data).items() if k != name})


def _model_json(text: bytes):
    return lambda data: zip_of({**members_of(data), "model.json": text})


def _duplicate_member(data):
    members = members_of(data)
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
        with pytest.warns(UserWarning):
            zf.writestr("model.json", members["model.json"])
    return buf.getvalue()


def _flip_byte(data):
    members = members_of(data)
    payload = bytearray(members["weights/1/kernel.npy"])
    payload[-3] ^= 0xFF
    members["weights/1/kernel.npy"] = bytes(payload)
    return zip_of(members)


def _huge_dense(data):
    """Input(100000) -> Dense(100000): 40 GB if it were built (the manifest is unchanged)."""

    def edit(doc):
        doc["model"]["layers"][0]["config"]["shape"] = [100000]
        layer(doc, "Dense")["config"]["units"] = 100000

    return edit_json(data, edit)


def _prep(edit):
    return _json(lambda doc: edit(prep_config(doc)))


def _reverse_classes(c):
    c["classes"] = c["classes"][::-1]


def _drop_numeric(c):
    del c["numeric"]


def _one_fewer_category(c):
    name = next(iter(c["categorical"]))
    c["categorical"][name]["categories"] = c["categorical"][name]["categories"][1:]
    c["categorical"][name]["fill"] = c["categorical"][name]["categories"][0]


def _wrong_slot_shape(data):
    return replace_array(data, "optimizer/0/momentum.npy", np.zeros(3, dtype="float32"))


def _layer_set(key, value, class_name="Dense"):
    return _json(lambda doc: layer(doc, class_name)["config"].__setitem__(key, value))


def _entry_set(key, value, class_name="Dense"):
    return _json(lambda doc: layer(doc, class_name).__setitem__(key, value))


def _same_name(doc):
    layer(doc, "Dense", 1)["config"]["name"] = layer(doc, "Dense")["config"]["name"]


def _shared_file(doc):
    dense = layer(doc, "Dense", 1)
    dense["weights"][1]["file"] = dense["weights"][0]["file"]


def _units_changed(doc):
    layer(doc, "Dense")["config"]["units"] = 7


# (id, how to damage the valid file's bytes, the problem the message must name)
FILE_CASES = [
    ("not-a-zip", lambda d: b"hello, I am text", "zip container cannot be read"),
    ("empty-file", lambda d: b"", "zip container cannot be read"),
    ("truncated", lambda d: d[: len(d) // 2], "zip container cannot be read"),
    ("no-model-json", _without_member("model.json"), "it has no model.json"),
    ("json-syntax", _model_json(b"{not json"), "model.json is not valid JSON"),
    ("json-not-utf8", _model_json(b"\xff\xfe{}"), "model.json is not valid JSON"),
    ("json-nested-200000", _model_json(_nested(200_000)), "nested too deeply"),
    ("json-nested-100", _model_json(_nested(100)), "nested more than 64 levels deep"),
    ("json-huge-int", _model_json(b"[" + b"9" * 5000 + b"]"), "not valid JSON"),
    ("wrong-format", _set("format", "keras"), "does not declare format 'nnlab-model'"),
    ("newer-major", _set("format_version", "7.0"), "written by a newer nnlab"),
    ("bad-version", _set("format_version", "abc"), "is not 'major.minor'"),
    ("unlisted-member", _with_member("evil.pkl", b"x"), "are not listed in the manifest"),
    ("path-traversal", _with_member("../x.npy", b"x"), "is not a plain relative path"),
    ("duplicate-member", _duplicate_member, "a member name appears twice"),
    ("missing-member", _without_member("weights/1/bias.npy"), "listed in the manifest are missing"),
    (
        "object-dtype",
        _set(("files", "weights/1/bias.npy", "dtype"), "object"),
        "not a numeric dtype",
    ),
    ("negative-shape", _set(("files", "weights/1/bias.npy", "shape"), [-1]), "invalid shape [-1]"),
    ("no-sha256", _set(("files", "weights/1/bias.npy", "sha256"), None), "has no SHA-256"),
    ("flipped-byte", _flip_byte, "does not match the manifest"),
    ("huge-declared-shape", _set(("files", "weights/1/bias.npy", "shape"), [10**10]), "max_params"),
    (
        "huge-dense",
        _huge_dense,
        "the model declares 10,000,100,000 weight values (up to model.layers[1] ",
    ),
    ("unknown-layer", _entry_set("class_name", "os.system"), "class_name is 'os.system'"),
    ("unknown-activation", _layer_set("activation", "relu7"), "activation is 'relu7'"),
    ("activation-type", _layer_set("activation", 5), "activation is 5"),
    ("unknown-initializer", _layer_set("kernel_initializer", "evil"), "kernel_initializer"),
    (
        "unknown-regularizer",
        _layer_set("kernel_regularizer", {"class_name": "X", "config": {}}),
        "kernel_regularizer",
    ),
    ("object-layer-dtype", _layer_set("dtype", "object"), "dtype is 'object'"),
    ("negative-units", _layer_set("units", -3), "expects a positive int. Received: units=-3"),
    ("injected-input-shape", _layer_set("input_shape", [5]), "holds ['input_shape']"),
    ("unknown-inbound", _entry_set("inbound", ["ghost"]), "inbound is ['ghost']"),
    ("duplicate-layer-name", _json(_same_name), "config.name is"),
    (
        "weight-names",
        _json(lambda doc: layer(doc, "Dense")["weights"].reverse()),
        "weights lists ['bias', 'kernel']",
    ),
    ("units-vs-kernel", _json(_units_changed), "needs float32 (10, 7)"),
    ("weight-file-shared", _json(_shared_file), "a manifest member used by no other weight"),
    ("unknown-output", _set("model.outputs", ["ghost"]), "names unknown layers ['ghost']"),
    ("multi-output-type", _set("model.multi_output", "yes"), "multi_output is 'yes'"),
    ("unknown-optimizer", _set("compile.optimizer.class_name", "Evil"), "compile.optimizer"),
    (
        "two-losses-one-output",
        _json(lambda doc: doc["compile"]["losses"].append(doc["compile"]["losses"][0])),
        "one loss per output (1)",
    ),
    ("nan-loss-weight", _set("compile.loss_weights", [float("nan")]), "loss_weights is [nan]"),
    ("bad-metric", _set("compile.metrics", [[{"class_name": "os.system"}]]), "compile.metrics"),
    ("negative-iterations", _set("optimizer_state.iterations", -1), "iterations is -1"),
    ("slot-shape", _wrong_slot_shape, "optimizer_state.slots[0].momentum"),
    ("layout-size", _set("optimizer_state.layout.0.2", 999), "optimizer_state.layout"),
    ("layout-not-triples", _set("optimizer_state.layout", [["dense"]]), "optimizer_state.layout"),
    ("rng-state", _entry_set("rng_state", {"bit_generator": "MT19937"}, "Dropout"), "rng_state"),
    ("metadata-user", _set("metadata.user", [1, 2]), "metadata.user is [1, 2]"),
    ("classes-empty", _prep(lambda c: c.__setitem__("classes", [])), "classes is []"),
    ("classes-reversed", _prep(_reverse_classes), "classes in sorted order"),
    (
        "classes-duplicated",
        _prep(lambda c: c.__setitem__("classes", ["A", "A", "B"])),
        "classes is ['A', 'A', 'B']",
    ),
    (
        "numeric-fill-text",
        _prep(lambda c: c["numeric"]["year"].__setitem__("fill", "x")),
        "numeric['year']",
    ),
    (
        "numeric-scale-zero",
        _prep(lambda c: c["numeric"]["year"].__setitem__("scale", 0)),
        "scale not 0",
    ),
    (
        "categorical-fill",
        _prep(lambda c: c["categorical"]["sex"].__setitem__("fill", 3)),
        "categorical['sex']",
    ),
    ("numeric-missing", _prep(_drop_numeric), "preprocessing.config.numeric is None"),
    ("features-vs-input", _prep(_one_fewer_category), "a preprocessor making 9 features"),
    ("task-unknown", _prep(lambda c: c.__setitem__("task", "clustering")), "task is 'clustering'"),
    ("task-vs-units", _prep(lambda c: c.__setitem__("task", "binary")), "classes in sorted order"),
    ("targets-empty", _prep(lambda c: c.__setitem__("targets", [])), "targets is []"),
    ("prep-class", _set("preprocessing.class_name", "Pickle"), "class_name is 'Pickle'"),
]


@pytest.mark.parametrize(
    "damage, problem", [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES]
)
def test_a_damaged_model_file_is_refused_with_the_problem_and_the_fix(
    valid, tmp_path, damage, problem
):
    path = tmp_path / "m.nnlab"
    path.write_bytes(damage(valid))
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert problem in message, message
    assert str(path) in message
    assert any(fix in message for fix in FIX), message


def test_the_corpus_starts_from_a_file_that_loads(valid, tmp_path):
    path = tmp_path / "m.nnlab"
    path.write_bytes(valid)
    assert load_model(path).preprocessing.classes == ["Adelie", "Chinstrap", "Gentoo"]


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        ({"max_params": 50}, "more than max_params = 50"),
        ({"max_member_bytes": 1000}, "more than max_member_bytes = 1,000"),
        ({"max_json_bytes": 1000}, "decompresses to more than 1,000 bytes"),
        ({"max_params": 0}, "load_model(max_params=...) expects a positive int"),
        ({"max_json_bytes": 1.5}, "Received: max_json_bytes=1.5"),
    ],
)
def test_caps_are_arguments_of_load_model(valid, tmp_path, kwargs, problem):
    path = tmp_path / "m.nnlab"
    path.write_bytes(valid)
    with pytest.raises(ValueError, match=re.escape(problem)) as info:
        load_model(path, **kwargs)
    if "Received" not in problem and "expects" not in problem:
        assert f"load_model(path, {next(iter(kwargs))}=...)" in str(info.value)
    assert load_model(path, max_params=10_000, max_member_bytes=10**5, max_json_bytes=10**5)


def test_saving_preprocessing_that_does_not_fit_the_model_is_refused(valid, tmp_path):
    path = tmp_path / "m.nnlab"
    path.write_bytes(valid)
    model = load_model(path)
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential

    other = Sequential([Input(shape=(4,)), Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="making 10 features.*pass the preprocessor fitted"):
        other.save(tmp_path / "other.nnlab", preprocessing=model.preprocessing)
    assert not (tmp_path / "other.nnlab").exists()


@pytest.mark.parametrize(
    "weights, problem",
    [
        ({"0000/x/kernel": np.zeros((4, 2))}, "built like the one that saved them"),
        ({"0000/x/kernel": np.zeros((5, 3)), "0001/x/bias": np.zeros(3)}, "has shape (4, 3)"),
        ({"0000/x/kernel": np.zeros((4, 3)), "bad-name": np.zeros(3)}, "<index>/<layer>/<weight>"),
    ],
)
def test_a_bad_weights_file_is_refused(tmp_path, weights, problem):
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential

    path = tmp_path / "w.weights.npz"
    np.savez(path, **weights)
    model = Sequential([Input(shape=(4,)), Dense(3)])
    with pytest.raises(ValueError, match=re.escape(problem)) as info:
        model.load_weights(path)
    assert "save" in str(info.value) or "built like" in str(info.value)


def test_a_weights_member_claiming_a_huge_array_is_refused_before_allocating(tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**10,)}
    np.lib.format.write_array_header_1_0(buf, header)
    path = tmp_path / "w.weights.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("0000/x/kernel.npy", buf.getvalue() + bytes(64))
        zf.writestr("0001/x/bias.npy", buf.getvalue())
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential

    model = Sequential([Input(shape=(4,)), Dense(3)])
    with pytest.raises(ModelFileError, match=r"holds float64 \(10000000000,\)"):
        model.load_weights(path)


# -- the command line --------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_files(valid, tmp_path_factory):
    """A folder with m.nnlab, rows.csv and a few links to them."""
    root = tmp_path_factory.mktemp("cli")
    (root / "m.nnlab").write_bytes(valid)
    shutil.copy(PENGUINS, root / "rows.csv")
    os.symlink(root / "rows.csv", root / "rows-link.csv")
    os.link(root / "m.nnlab", root / "m-hard.nnlab")
    (root / "taken.csv").write_text("keep me\n")
    (root / "a-file").write_text("not a folder\n")
    (root / "folder.csv").mkdir()
    (root / "run").mkdir()
    (root / "run" / "config.toml").write_text('dataset = "iris"\nepochs = 1\n')
    (root / "run" / "model.nnlab").write_bytes(valid)
    (root / "huge.nnlab").write_bytes(_huge_dense(valid))
    (root / "nested.nnlab").write_bytes(_model_json(_nested(200_000))(valid))
    (root / "reversed.nnlab").write_bytes(_prep(_reverse_classes)(valid))
    (root / "corrupt.nnlab").write_bytes(_flip_byte(valid))
    return root


CLI_CASES = [
    (
        "predict-out-is-csv",
        ["predict", "m.nnlab", "rows.csv", "--out", "rows.csv"],
        "it is the input CSV",
    ),
    (
        "predict-out-is-model",
        ["predict", "m.nnlab", "rows.csv", "--out", "m.nnlab"],
        "it is the model",
    ),
    (
        "predict-out-is-model-forced",
        ["predict", "m.nnlab", "rows.csv", "--out", "m.nnlab", "--force"],
        "it is the model",
    ),
    (
        "predict-out-symlink-to-csv",
        ["predict", "m.nnlab", "rows.csv", "--out", "rows-link.csv", "--force"],
        "it is the input CSV",
    ),
    (
        "predict-out-hard-link-to-model",
        ["predict", "m.nnlab", "rows.csv", "--out", "m-hard.nnlab", "--force"],
        "it is the model",
    ),
    (
        "predict-input-via-link",
        ["predict", "m.nnlab", "rows-link.csv", "--out", "rows.csv", "--force"],
        "it is the input CSV",
    ),
    (
        "predict-out-exists",
        ["predict", "m.nnlab", "rows.csv", "--out", "taken.csv"],
        "taken.csv already exists",
    ),
    (
        "predict-out-is-folder",
        ["predict", "m.nnlab", "rows.csv", "--out", "folder.csv"],
        "is a directory",
    ),
    (
        "predict-out-folder-missing",
        ["predict", "m.nnlab", "rows.csv", "--out", "no/p.csv"],
        "does not exist",
    ),
    (
        "predict-out-under-a-file",
        ["predict", "m.nnlab", "rows.csv", "--out", "a-file/p.csv"],
        "does not exist",
    ),
    ("export-onto-model", ["export", "m.nnlab", "m.nnlab"], "it is the model"),
    (
        "export-onto-model-forced",
        ["export", "m.nnlab", "m-hard.nnlab", "--force"],
        "it is the model",
    ),
    ("export-exists", ["export", "m.nnlab", "taken.csv"], "taken.csv already exists"),
    ("train-out-is-a-file", ["train", "iris", "--out", "a-file"], "'a-file' is a file"),
    (
        "train-out-under-a-file",
        ["train", "iris", "--out", "a-file/run"],
        "Cannot create the run folder",
    ),
    ("train-out-has-a-model", ["train", "iris", "--out", "run"], "model.nnlab already exists"),
    (
        "train-config-is-output",
        ["train", "--config", "run/config.toml", "--out", "run", "--force"],
        "it is the config file",
    ),
    (
        "predict-corrupt-model",
        ["predict", "corrupt.nnlab", "rows.csv", "--out", "p1.csv"],
        "does not match the manifest",
    ),
    ("predict-huge-model", ["predict", "huge.nnlab", "rows.csv", "--out", "p2.csv"], "max_params"),
    ("summary-nested-json", ["summary", "nested.nnlab"], "nested too deeply"),
    (
        "evaluate-reversed-classes",
        ["evaluate", "reversed.nnlab", "rows.csv"],
        "classes in sorted order",
    ),
]
CLI_FIX = ("--out", "--force", "save the model again", "raise it", "restore")


@pytest.mark.parametrize("args, problem", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_the_command_line_refuses_with_exit_2_and_one_line(cli_files, args, problem):
    before = {p.name: p.stat().st_mtime_ns for p in cli_files.rglob("*") if p.is_file()}
    old = os.getcwd()
    os.chdir(cli_files)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert problem in lines[0]
    assert any(fix in lines[0] for fix in CLI_FIX), lines[0]
    assert "Traceback" not in result.output and "Epoch" not in result.stdout  # nothing trained
    assert isinstance(result.exception, SystemExit)
    after = {p.name: p.stat().st_mtime_ns for p in cli_files.rglob("*") if p.is_file()}
    assert after == before  # no file was written or replaced
