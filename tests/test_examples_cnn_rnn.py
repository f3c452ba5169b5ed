"""examples/mnist_cnn.py and examples/lstm_sequence.py, reduced to a few seconds: they learn."""

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist_cnn_example_learns_in_a_few_steps():
    ex = _load("mnist_cnn")
    X_train, y_train, X_test, y_test = ex.load_split()
    assert X_train.shape == (4000, 28, 28, 1) and X_test.shape == (1000, 28, 28, 1)
    assert X_train.dtype.name == "float32" and 0.0 <= X_train.min() and X_train.max() <= 1.0
    assert ex.build_model().count_params() == 34826  # Keras's MNIST convnet example
    # 512 images, 2 epochs (8 Adam steps): far above chance (10 %) on the 1,000 test images
    acc = ex.train_one(seed=0, epochs=2, n_train=512)
    assert acc > 0.5, acc


def test_lstm_sequence_example_learns_the_sine():
    ex = _load("lstm_sequence")
    mse, baseline = ex.run(epochs=5, n_train=200)
    assert baseline > 0.3 and mse < 0.05, (mse, baseline)
