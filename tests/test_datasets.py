"""nnlab.datasets: bundled loaders (offline), generators, IDX / CIFAR-10 readers, catalogue."""

from __future__ import annotations

import gzip
import hashlib
import re
import socket
from pathlib import Path

import numpy as np
import pytest

from nnlab import backend
from nnlab import datasets as ds
from nnlab.datasets.bundled import DATA_DIR

DOC = Path(__file__).resolve().parents[1] / "docs" / "datasets.md"


# ----------------------------------------------------------------------------- offline
def test_network_is_blocked_and_every_bundled_loader_still_works():
    with pytest.raises(RuntimeError, match="offline"):
        socket.create_connection(("example.org", 80))
    for name in ["iris", "penguins", "penguins_lecture", "titanic", "digits", "mnist_subset"]:
        d = ds.load(name)
        assert d.n_samples > 0 and d.license and d.description and d.feature_names


# ----------------------------------------------------------------------------- bundled
def test_iris():
    d = ds.load_iris()
    assert d.X.shape == (150, 4) and d.X.dtype == np.float64
    assert np.bincount(d.y).tolist() == [50, 50, 50]
    assert d.target_names == ["setosa", "versicolor", "virginica"]
    assert d.task == "multiclass" and d.n_classes == 3 and len(d.feature_names) == 4
    assert "CC BY 4.0" in d.license and "Fisher" in d.license


def test_penguins_default_and_raw():
    d = ds.load_penguins()
    assert d.X.shape == (342, 4) and not np.isnan(d.X).any()
    assert d.feature_names == ds.PENGUIN_FEATURES
    assert d.target_names == ["Adelie", "Chinstrap", "Gentoo"]
    assert np.bincount(d.y).tolist() == [151, 68, 123]
    assert any("dropped 2 of 344" in n for n in d.notes)
    raw = ds.load_penguins(dropna=False)
    assert raw.X.shape == (344, 4) and int(np.isnan(raw.X).any(axis=1).sum()) == 2
    assert np.bincount(raw.y).tolist() == [152, 68, 124]
    assert "CC0" in d.license and "10.5281/zenodo.3960218" in d.license
    assert len(d.frame) == 342 and "island" in d.frame.columns


def test_penguins_lecture_task():
    d = ds.load_penguins_lecture()
    assert d.X.shape == (342, 3) and d.task == "binary"
    assert d.feature_names == ["flipper_length_mm", "bill_depth_mm", "bill_length_mm"]
    assert d.target_names == ["not Adelie", "Adelie"]
    assert int(d.y.sum()) == 151 and int((d.y == 0).sum()) == 191
    same = ds.load_penguins(features=ds.PENGUIN_LECTURE_FEATURES, target="Adelie")
    assert np.array_equal(same.X, d.X) and np.array_equal(same.y, d.y)


def test_penguins_other_targets_and_errors():
    sex = ds.load_penguins(target="sex")
    assert sex.X.shape == (333, 4) and sex.target_names == ["female", "male"]
    assert ds.load_penguins(target="island").n_classes == 3
    with pytest.raises(ValueError, match="missing values"):
        ds.load_penguins(target="sex", dropna=False)
    with pytest.raises(ValueError, match="unknown penguin feature"):
        ds.load_penguins(features=["island"])
    with pytest.raises(ValueError, match="unknown penguin target"):
        ds.load_penguins(target="Emperor")


def test_titanic_encoded():
    d = ds.load_titanic()
    assert d.X.shape == (1309, 9) and d.X.dtype == np.float64 and d.y.shape == (1309,)
    assert d.task == "binary" and d.target_names == ["died", "survived"]
    assert abs(d.y.mean() - 0.382) < 5e-4 and int(d.y.sum()) == 500
    col = {name: d.X[:, i] for i, name in enumerate(d.feature_names)}
    assert int(np.isnan(col["age"]).sum()) == 263 and int(np.isnan(col["fare"]).sum()) == 1
    assert int(col["sex"].sum()) == 466
    embarked = np.column_stack([col["embarked_C"], col["embarked_Q"], col["embarked_S"]])
    assert embarked.sum(axis=0).tolist() == [270, 123, 914]
    assert int((embarked.sum(axis=1) == 0).sum()) == 2
    assert sorted(np.unique(col["pclass"]).tolist()) == [1.0, 2.0, 3.0]
    assert "No explicit licence" in d.license and "titanic3" in d.license


def test_titanic_raw():
    d = ds.load_titanic(encode=False)
    assert d.X.shape == (1309, 7) and d.X.dtype == object
    assert d.feature_names == ds.TITANIC_FEATURES
    assert list(d.frame.columns) == ["survived", *ds.TITANIC_FEATURES]
    assert int(d.frame.isna().sum().sum()) == 263 + 1 + 2


def test_digits():
    d = ds.load_digits()
    assert d.X.shape == (1797, 64) and d.images.shape == (1797, 8, 8)
    assert np.array_equal(d.images.reshape(1797, 64), d.X)
    assert d.X.min() == 0 and d.X.max() == 16 and np.array_equal(d.X, np.round(d.X))
    assert d.n_classes == 10 and np.bincount(d.y).min() >= 170
    assert "CC BY 4.0" in d.license


def test_mnist_subset():
    d = ds.load_mnist_subset()
    assert d.X.shape == (5000, 784) and d.X.dtype == np.uint8
    assert d.images.shape == (5000, 28, 28) and np.shares_memory(d.X, d.images)
    assert np.bincount(d.y).tolist() == [500] * 10
    assert d.X.max() == 255 and d.X.min() == 0
    assert np.array_equal(d.y[:500], np.zeros(500)), "rows are stored sorted by class"
    assert "CC BY-SA 3.0" in d.license and "LeCun" in d.license
    s = ds.load_mnist_subset(shuffle=True, seed=1)
    assert not np.array_equal(s.y, d.y) and np.bincount(s.y).tolist() == [500] * 10
    assert np.array_equal(s.y, ds.load_mnist_subset(shuffle=True, seed=1).y)


def test_data_files_small_and_documented():
    limits = {"penguins.csv": 20_000, "titanic.csv": 40_000, "mnist_5k.npz": 900_000}
    provenance = (DATA_DIR / "PROVENANCE.md").read_text()
    for name, limit in limits.items():
        data = (DATA_DIR / name).read_bytes()
        assert len(data) < limit
        assert hashlib.sha256(data).hexdigest() in provenance, f"{name} checksum not recorded"
    notice = (DATA_DIR / "NOTICE").read_text()
    assert "CC BY-SA 3.0" in notice and "LeCun" in notice and "mnist_5k.npz" in notice
    with np.load(DATA_DIR / "mnist_5k.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["images", "labels"]


# ----------------------------------------------------------------------------- generators
CLASSIFY = [ds.make_circle, ds.make_xor, ds.make_gauss, ds.make_spiral, ds.make_circle_bench]
REGRESS = [ds.make_reg_plane, ds.make_reg_gauss]


@pytest.mark.parametrize("make", CLASSIFY + REGRESS)
def test_generator_shapes_and_seeds(make):
    a, b, c = make(seed=3), make(seed=3), make(seed=4)
    assert a.X.shape == (len(a.y), 2) and a.X.dtype == np.float64
    assert a.X.tobytes() == b.X.tobytes() and a.y.tobytes() == b.y.tobytes()
    assert not np.array_equal(a.X, c.X)
    assert a.feature_names == ["x1", "x2"] and "Playground" in a.license
    if make in CLASSIFY:
        assert a.task == "binary" and a.y.dtype == np.int64 and set(a.y.tolist()) == {0, 1}
    else:
        assert a.task == "regression" and a.y.shape == (1200,)
    backend.set_random_seed(7)
    first = make(n_samples=50, noise=0.1)
    backend.set_random_seed(7)
    assert np.array_equal(first.X, make(n_samples=50, noise=0.1).X), "seed=None uses the stream"


@pytest.mark.parametrize("make", [ds.make_circle, ds.make_gauss, ds.make_spiral])
def test_generators_balanced_and_exact_count(make):
    assert np.bincount(make(seed=0).y).tolist() == [250, 250]
    odd = make(n_samples=101, noise=0.0, seed=0)
    assert odd.y.shape == (101,) and int(odd.y.sum()) == 51


def test_circle_geometry():
    d = ds.make_circle(2000, noise=0.0, seed=0)
    r = np.hypot(d.X[:, 0], d.X[:, 1])
    assert np.all(r[d.y == 1] <= 2.5) and np.all((r[d.y == 0] >= 3.5) & (r[d.y == 0] <= 5))
    noisy = ds.make_circle(2000, noise=0.5, seed=0)
    rn = np.hypot(*noisy.X.T)
    assert np.all((rn <= 2.5) | ((rn >= 3.5) & (rn <= 5))), "noise moves labels, not points"
    assert 0 < int(((rn <= 2.5) != (noisy.y == 1)).sum()) < 1000


def test_circle_bench_matches_tasks_md():
    d = ds.make_circle_bench(seed=0)
    assert d.X.shape == (1000, 2) and np.bincount(d.y).tolist() == [500, 500]
    assert not np.array_equal(d.y[:500], np.sort(d.y[:500])[::-1]), "rows are shuffled"
    r = np.hypot(*d.X.T)
    slack = 0.25 * np.sqrt(2)
    assert r[d.y == 1].max() <= 2 + slack and r[d.y == 0].min() >= 3 - slack
    clean = ds.make_circle_bench(noise=0.0, seed=0)
    rc = np.hypot(*clean.X.T)
    assert rc[clean.y == 1].max() <= 2 and np.all((rc[clean.y == 0] >= 3) & (rc[clean.y == 0] <= 5))
    assert np.array_equal(ds.load("circle_bench", seed=0).X, d.X)


def test_xor_geometry():
    d = ds.make_xor(1000, noise=0.0, seed=0)
    assert np.all(np.abs(d.X) >= 0.3) and np.all(np.abs(d.X) <= 5.3)
    assert np.array_equal(d.y, (d.X[:, 0] * d.X[:, 1] >= 0).astype(int))
    assert 400 < d.y.sum() < 600


def test_gauss_variance_follows_noise():
    for noise, var in [(0.0, 0.5), (0.5, 4.0)]:
        d = ds.make_gauss(20000, noise=noise, seed=0)
        pos = d.X[d.y == 1]
        assert np.allclose(pos.mean(axis=0), [2, 2], atol=0.1)
        assert np.allclose(pos.var(axis=0), var, rtol=0.06)


def test_spiral_geometry():
    d = ds.make_spiral(400, noise=0.0, seed=0, shuffle=False)
    r = np.hypot(*d.X.T)
    n = 200
    assert np.allclose(r[:n], 5 * np.arange(n) / n) and np.all(d.y[:n] == 1)
    t = 1.75 * 2 * np.pi * np.arange(n) / n
    assert np.allclose(d.X[:n], np.column_stack([r[:n] * np.sin(t), r[:n] * np.cos(t)]))
    assert np.allclose(d.X[n:], -d.X[:n]), "the second arm is the first turned by pi"


def test_regression_generators():
    p = ds.make_reg_plane(noise=0.0, seed=0)
    assert np.allclose(p.y, p.X.sum(axis=1) / 10) and np.all(np.abs(p.X) <= 6)
    assert not np.allclose(ds.make_reg_plane(noise=0.3, seed=0).y, p.y)
    g = ds.make_reg_gauss(noise=0.0, seed=0)
    assert g.y.min() >= -1 and g.y.max() <= 1
    centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    near = np.hypot(g.X[:, None, 0] - centres[:, 0], g.X[:, None, 1] - centres[:, 1])
    k, i = np.argmin(near, axis=1), np.min(near, axis=1) < 0.5
    signs = np.array([1, -1, 1, -1, 1, -1])[k[i]]
    assert np.all(np.sign(g.y[i]) == signs) and np.all(np.abs(g.y[i]) > 0.74)
    assert np.all(g.y[np.min(near, axis=1) > 2] == 0)


def test_generator_argument_errors():
    with pytest.raises(ValueError, match="n_samples"):
        ds.make_circle(0)
    with pytest.raises(ValueError, match="noise"):
        ds.make_spiral(noise=-0.1)
    with pytest.raises(ValueError, match="n_samples"):
        ds.make_xor(10.5)


def test_make_polynomial():
    d = ds.make_polynomial(200, coefficients=[1, -2, 0, 0.5], noise=0.0, x_range=(-2, 3), seed=0)
    x = d.X[:, 0]
    assert d.X.shape == (200, 1) and x.min() >= -2 and x.max() <= 3
    assert np.allclose(d.y, 1 - 2 * x + 0.5 * x**3) and d.task == "regression"
    noisy = ds.make_polynomial(20000, coefficients=[0.0], noise=0.3, seed=1)
    assert abs(noisy.y.std() - 0.3) < 0.01
    r1, r2 = ds.make_polynomial(degree=5, seed=2), ds.make_polynomial(degree=5, seed=2)
    assert np.array_equal(r1.y, r2.y) and r1.notes == r2.notes and "coefficients" in r1.notes[0]
    with pytest.raises(ValueError, match="x_range"):
        ds.make_polynomial(x_range=(1, 1))


def test_make_teacher_classification_like_mnist_shape():
    d = ds.make_teacher(2000, 784, 64, 10, task="classification", seed=0, teacher_seed=5)
    assert d.X.shape == (2000, 784) and d.X.dtype == np.float32 and d.task == "multiclass"
    assert d.y.dtype == np.int64 and set(d.y.tolist()) == set(range(10))
    w1, w2 = ds.teacher_weights(784, 64, 10, seed=5)
    assert abs(w1.std() - 1 / np.sqrt(784)) < 1e-3 and abs(w2.std() - 1 / 8) < 0.02
    expected = (np.tanh(d.X.astype(np.float64) @ w1) @ w2).argmax(axis=1)
    assert (expected == d.y).mean() > 0.99
    other = ds.make_teacher(100, 784, 64, 10, task="classification", seed=1, teacher_seed=5)
    assert np.array_equal((np.tanh(other.X @ w1) @ w2).argmax(axis=1), other.y)
    binary = ds.make_teacher(500, 5, 8, 1, task="classification", seed=0)
    assert binary.task == "binary" and set(binary.y.tolist()) == {0, 1}


def test_make_teacher_regression_like_wide_regression():
    d = ds.make_teacher(20000, 100, 32, 1, task="regression", noise=0.05, seed=0, teacher_seed=2)
    assert d.X.shape == (20000, 100) and d.y.shape == (20000,) and d.y.dtype == np.float32
    w1, w2 = ds.teacher_weights(100, 32, 1, seed=2)
    clean = (np.tanh(d.X.astype(np.float64) @ w1) @ w2)[:, 0]
    assert abs((d.y - clean).std() - 0.05) < 0.002
    multi = ds.make_teacher(10, 3, (4, 4), 2, seed=0)
    assert multi.y.shape == (10, 2) and multi.target_names == ["y0", "y1"]
    with pytest.raises(ValueError, match="task"):
        ds.make_teacher(task="ranking")


# ----------------------------------------------------------------------------- readers
def write_idx(path, array, code=0x08, compress=False):
    arr = np.asarray(array)
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    data = header + arr.astype(ds.readers.IDX_DTYPES[code]).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def test_read_idx_plain_and_gz(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    for compress in (False, True):
        p = write_idx(tmp_path / f"img{compress}", images, compress=compress)
        out = ds.read_idx(p)
        assert out.dtype == np.uint8 and np.array_equal(out, images)
    ints = np.array([[1, -2], [300000, -7]], dtype=np.int32)
    out = ds.read_idx(write_idx(tmp_path / "ints", ints, code=0x0C))
    assert out.dtype == np.int32 and out.dtype.isnative and np.array_equal(out, ints)
    floats = np.array([0.5, -1.25, 3.0])
    assert np.array_equal(ds.read_idx(write_idx(tmp_path / "f", floats, code=0x0E)), floats)


def test_read_idx_errors(tmp_path):
    good = write_idx(tmp_path / "good", np.zeros((2, 3, 3), np.uint8)).read_bytes()
    bad_magic = tmp_path / "bad"
    bad_magic.write_bytes(b"\x12\x34" + good[2:])
    with pytest.raises(ValueError, match=r"bad IDX magic number 0x12340803.*expected 0x0000TTDD"):
        ds.read_idx(bad_magic)
    bad_code = tmp_path / "code"
    bad_code.write_bytes(b"\x00\x00\x07\x03" + good[4:])
    with pytest.raises(ValueError, match="bad IDX magic number 0x00000703"):
        ds.read_idx(bad_code)
    truncated = tmp_path / "trunc"
    truncated.write_bytes(good[:-5])
    with pytest.raises(ValueError, match=r"truncated IDX file: shape \(2, 3, 3\).*needs 34 bytes"):
        ds.read_idx(truncated)
    long = tmp_path / "long"
    long.write_bytes(good + b"\x00")
    with pytest.raises(ValueError, match="too long IDX file.*got 35"):
        ds.read_idx(long)
    header = tmp_path / "header"
    header.write_bytes(good[:9])
    with pytest.raises(ValueError, match="truncated IDX header"):
        ds.read_idx(header)
    tiny = tmp_path / "tiny"
    tiny.write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="4-byte IDX header"):
        ds.read_idx(tiny)
    gz = tmp_path / "trunc.gz"
    gz.write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(ValueError, match="gzip stream is truncated"):
        ds.read_idx(gz)


def test_load_idx_dataset(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = np.array([0, 1, 2, 9, 1, 0], dtype=np.uint8)
    ip = write_idx(tmp_path / "train-images-idx3-ubyte.gz", images, compress=True)
    lp = write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    d = ds.load_idx_dataset(ip, lp, target_names=ds.FASHION_MNIST_CLASSES, name="fashion")
    assert np.array_equal(d.X, images) and d.y.dtype == np.int64
    assert d.y.tolist() == labels.tolist()
    assert d.target_names[9] == "Ankle boot" and d.task == "multiclass"
    assert ds.load_idx_dataset(ip, lp).target_names == [str(k) for k in range(10)]
    short = write_idx(tmp_path / "labels5", labels[:5])
    with pytest.raises(ValueError, match="6 images .* but 5 labels"):
        ds.load_idx_dataset(ip, short)


def cifar_bytes(labels, images):
    """Records the way CIFAR-10's binary version stores them: label, R plane, G plane, B plane."""
    planes = np.asarray(images, np.uint8).transpose(0, 3, 1, 2).reshape(len(labels), -1)
    return np.column_stack([np.asarray(labels, np.uint8), planes]).tobytes()


def test_read_cifar10_binary(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)
    p = tmp_path / "data_batch_1.bin"
    p.write_bytes(cifar_bytes([3, 0, 9], images))
    out, labels = ds.read_cifar10_binary(p)
    assert out.shape == (3, 32, 32, 3) and out.dtype == np.uint8 and labels.tolist() == [3, 0, 9]
    assert np.array_equal(out, images)
    raw = p.read_bytes()
    assert out[0, 0, 1, 0] == raw[1 + 1] and out[0, 0, 0, 1] == raw[1 + 1024]
    assert out[0, 1, 0, 2] == raw[1 + 2048 + 32]
    q = tmp_path / "test_batch.bin"
    q.write_bytes(cifar_bytes([5], images[:1]))
    both, both_labels = ds.read_cifar10_binary([p, q])
    assert both.shape == (4, 32, 32, 3) and both_labels.tolist() == [3, 0, 9, 5]
    d = ds.load_cifar10_dataset(p)
    assert d.target_names[3] == "cat" and d.X.shape == (3, 32, 32, 3) and d.n_classes == 10


def test_read_cifar10_binary_errors(tmp_path):
    images = np.zeros((2, 32, 32, 3), np.uint8)
    truncated = tmp_path / "trunc.bin"
    truncated.write_bytes(cifar_bytes([1, 2], images)[:-100])
    with pytest.raises(ValueError, match=r"whole number of 3073-byte .*got 6046 bytes"):
        ds.read_cifar10_binary(truncated)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="got 0 bytes"):
        ds.read_cifar10_binary(empty)
    bad_label = tmp_path / "label.bin"
    bad_label.write_bytes(cifar_bytes([1, 12], images))
    with pytest.raises(ValueError, match="labels 0..9, got 12 in record 1"):
        ds.read_cifar10_binary(bad_label)
    with pytest.raises(ValueError, match="empty list"):
        ds.read_cifar10_binary([])


def test_no_pickle_in_readers_or_loaders():
    source = "".join(
        (Path(ds.__file__).parent / f).read_text() for f in ["readers.py", "bundled.py"]
    )
    assert "import pickle" not in source and "allow_pickle=True" not in source


# ----------------------------------------------------------------------------- catalogue, docs
def test_list_datasets_matches_loaders():
    table = ds.list_datasets()
    assert list(table.columns) == ["kind", "shape", "task", "license"]
    assert {"iris", "penguins", "titanic", "digits", "mnist_subset", "spiral"} <= set(table.index)
    for name, row in table.iterrows():
        d = ds.load(name)
        assert d.X.shape == row["shape"] and d.task == row["task"], name
    assert table.loc["penguins", "license"] == "CC0 1.0"


def test_load_by_name():
    assert ds.load("reg-plane", n_samples=10, seed=0).X.shape == (10, 2)
    assert ds.load("Penguins", dropna=False).n_samples == 344
    with pytest.raises(ValueError, match="unknown dataset 'cifar100'.*iris"):
        ds.load("cifar100")


def test_docs_example_runs():
    assert DOC.exists(), "docs/datasets.md is missing"
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks, "docs/datasets.md has a runnable python example"
    exec(compile(blocks[0], str(DOC), "exec"), {})


def test_loopback_connections_are_allowed_for_local_servers():
    """Local servers (the playground, a Dask cluster) are reached on 127.0.0.1 only."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        client = socket.create_connection(server.getsockname(), timeout=5)
        client.close()
    finally:
        server.close()
    with pytest.raises(RuntimeError, match="offline"):
        socket.socket().connect(("192.0.2.1", 80))
