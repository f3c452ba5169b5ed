"""Explain's presets: lecture networks with the slides' own numbers.

`lecture-003` is the 3-4-1 network that lecture 003 trains by hand: sigmoid hidden and
output layers, the slides' weights (biases 0), input x = (7, 8, 10), target 1, binary
cross-entropy and plain gradient descent with learning rate 0.5, for seven steps. The
slides state eta = 0.5, and 0.5 is the rate that reproduces their predictions 0.648,
0.758, ... (one of their two update examples computes with 0.05; see docs/explain.md).
"""

from __future__ import annotations

import numpy as np

#: w1[i][j]: from input i to hidden unit j (the slides' w_ji^1 table, rows i).
LECTURE_003_W1 = [
    [0.179, -0.186, -0.008, -0.048],
    [0.044, -0.028, -0.063, -0.131],
    [0.010, -0.035, -0.004, 0.088],
]
#: w2[i]: from hidden unit i to the output (the slides' w_1i^2).
LECTURE_003_W2 = [[0.088], [0.171], [0.005], [-0.040]]
LECTURE_003_X = [[7.0, 8.0, 10.0]]
LECTURE_003_Y = [[1.0]]
LECTURE_003_LEARNING_RATE = 0.5
LECTURE_003_STEPS = 7


def lecture_003():
    """(model, x, y) of lecture 003's worked example, in float64.

    Example:
        >>> model, x, y = lecture_003()
        >>> round(float(model.predict(x, verbose=0)[0, 0]), 3)
        0.521
    """
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential
    from nnlab.optimizers import SGD

    model = Sequential(
        [
            Input(shape=(3,), dtype="float64"),
            Dense(4, activation="sigmoid", dtype="float64", name="hidden"),
            Dense(1, activation="sigmoid", dtype="float64", name="output"),
        ],
        name="lecture_003",
    )
    model.set_weights(
        [np.array(LECTURE_003_W1), np.zeros(4), np.array(LECTURE_003_W2), np.zeros(1)]
    )
    model.compile(
        optimizer=SGD(learning_rate=LECTURE_003_LEARNING_RATE), loss="binary_crossentropy"
    )
    return model, np.array(LECTURE_003_X), np.array(LECTURE_003_Y)


#: name -> (builder, default number of steps)
PRESETS = {"lecture-003": (lecture_003, LECTURE_003_STEPS)}
