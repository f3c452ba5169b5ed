"""Property tests: random bytes, random edits of a valid model file and random CSV shapes
give a correct result or an nnlab error (a ValueError with a message), never another
exception, and loading never allocates past its caps. Bounded and derandomized for CI."""

from __future__ import annotations

import csv
import io
import json
import os
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from file_cases import PENGUINS, edit_json, members_of, save_valid_model, zip_of
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlab.cli import main
from nnlab.models import load_model
from nnlab.models.saving import ModelFileError

BOUNDED = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: small caps, so "never more memory than the cap" is cheap to check
LIMITS = {"max_params": 10_000, "max_member_bytes": 2**18, "max_json_bytes": 2**18}
MEMORY_CAP = 16 * 2**20


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("props")


@pytest.fixture(scope="module")
def valid(folder):
    return save_valid_model(folder / "valid.nnlab").read_bytes()


@pytest.fixture(scope="module")
def reference(folder, valid):
    return load_model(folder / "valid.nnlab")


def _load(folder, data: bytes):
    """The loaded model, or None after checking that the refusal is an nnlab error.

    Loading is traced: it may never hold more than MEMORY_CAP bytes at once.
    """
    path = folder / "candidate.nnlab"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        return load_model(path, **LIMITS)
    except ModelFileError as exc:
        assert str(path) in str(exc) and len(str(exc)) > 60
        return None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < MEMORY_CAP, f"loading held {peak / 2**20:.1f} MiB"


def _check_loaded(model, reference) -> None:
    """A model that loads predicts with the stored weights: a correct result."""
    X = np.zeros((2, reference.inputs[0].shape[-1]), dtype="float32")
    with np.errstate(all="ignore"):  # an edited activation may overflow; that is allowed
        assert model.predict(X, verbose=0).shape[0] == 2
    for got, want in zip(model.get_weights(), reference.get_weights()):
        assert np.array_equal(got, want)  # arrays are covered by SHA-256: never changed


@BOUNDED
@given(data=st.binary(max_size=4000), zip_magic=st.booleans())
def test_random_bytes_are_refused(folder, data, zip_magic):
    assert _load(folder, (b"PK\x03\x04" if zip_magic else b"") + data) is None


@BOUNDED
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                      min_size=1, max_size=4))  # fmt: skip
def test_flipped_bytes_are_refused_or_change_nothing(folder, valid, reference, flips):
    data = bytearray(valid)
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    model = _load(folder, bytes(data))
    if model is not None:
        _check_loaded(model, reference)


@BOUNDED
@given(which=st.integers(0, 100), payload=st.binary(max_size=3000))
def test_a_member_replaced_by_random_bytes_is_refused(folder, valid, which, payload):
    members = members_of(valid)
    name = sorted(members)[which % len(members)]
    if members[name] == payload:
        return
    members[name] = payload
    assert _load(folder, zip_of(members)) is None


def _paths(value, prefix=()):
    """Every path to a value in a JSON document."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*prefix, i))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["relu", "softmax", "Dense", "float64", "PCG64", "Adam", "binary"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


@BOUNDED
@given(data=st.data())
def test_a_mutated_json_value_is_refused_or_loads_correctly(folder, valid, reference, data):
    doc = json.loads(members_of(valid)["model.json"])
    paths = [p for p in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths), label="path")
    value = data.draw(JSON_VALUES, label="value")

    def edit(document):
        *parents, last = path
        for key in parents:
            document = document[key]
        document[last] = value

    model = _load(folder, edit_json(valid, edit))
    if model is not None:
        _check_loaded(model, reference)


COLUMNS = list(pd.read_csv(PENGUINS).columns) + ["extra", "x y"]
CELLS = st.one_of(
    st.none(),
    st.integers(-1000, 5000),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.text(alphabet="bcdgkxz ", max_size=6),  # no letters of nan/inf/NA/None/True
    st.sampled_from(["Biscoe", "Dream", "male", "female", "Adelie"]),
)


@BOUNDED
@given(
    columns=st.lists(st.sampled_from(COLUMNS), max_size=10),
    rows=st.lists(st.lists(CELLS, max_size=11), max_size=6),
    use_real_rows=st.integers(0, 5),
)
def test_random_csv_shapes_predict_or_exit_2_with_one_line(
    folder, valid, columns, rows, use_real_rows
):
    (folder / "m.nnlab").write_bytes(valid)
    buf = io.StringIO()
    writer = csv.writer(buf)
    if columns:
        writer.writerow(columns)
    real = pd.read_csv(PENGUINS).head(use_real_rows)
    for _, record in real.iterrows():
        writer.writerow([record.get(c, "") for c in columns])
    writer.writerows(rows)
    (folder / "rows.csv").write_text(buf.getvalue())
    old = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(
            main, ["predict", "m.nnlab", "rows.csv", "--out", "p.csv", "--force"]
        )
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        n = len(pd.read_csv(folder / "rows.csv"))
        assert len(pd.read_csv(folder / "p.csv")) == n
    else:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert isinstance(result.exception, SystemExit)
