"""nnlab playground: TensorFlow Playground in the browser, trained by nnlab's engine.

`nnlab playground` starts the local server (`nnlab.playground.server`); the page only draws
and sends the user's choices. From Python, the pieces are public:

- `PlaygroundTrainer`: Playground's training rule (square error, its initialisation, its
  batches and regularization step), see `nnlab.playground.trainer`;
- `PlaygroundState`: every setting, read from / written to a Playground URL fragment;
- `generate`, `feature_matrix`, `seed_number`: the page's data, inputs and seeds.

Example:
    >>> from nnlab.playground import PlaygroundState, PlaygroundTrainer, feature_matrix, generate
    >>> state = PlaygroundState.from_fragment("dataset=xor&networkShape=&x=false&y=false"
    ...                                       "&xTimesY=true&seed=0.5")
    >>> data = generate(state)
    >>> X = feature_matrix(data["X_train"], state.features())
    >>> net = PlaygroundTrainer(X.shape[1], hidden=state.networkShape, seed=0)
    >>> history = net.fit(X, data["y_train"], epochs=100)
    >>> bool(history["loss"][-1] < 0.05)
    True
"""

from nnlab.playground.data import generate, seed_number
from nnlab.playground.features import FEATURES, feature_matrix
from nnlab.playground.state import PlaygroundState
from nnlab.playground.trainer import PlaygroundTrainer

__all__ = ["FEATURES", "PlaygroundState", "PlaygroundTrainer", "feature_matrix", "generate",
           "seed_number"]
