"""summary(batch_size=...) FLOPs of the recurrent layers, Embedding and the wrappers, by hand."""

from nnlab.diagnostics import flops_per_sample
from nnlab.diagnostics.memory import layer_flops
from nnlab.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Embedding,
    Input,
    SimpleRNN,
    TimeDistributed,
)
from nnlab.models import Model, Sequential


def test_recurrent_embedding_and_wrapper_flops_by_hand():
    # tokens (7 steps) -> Embedding(50, 3): a look-up, 0 FLOPs
    # LSTM(4) over 7 steps of 3 features: G = 16; per step 2*(3+4)*16 + 16 = 240 -> 1680
    # TimeDistributed(Dense(2)) on (7, 4): 7 * (2*4*2 + 2) = 126
    # Bidirectional(GRU(5), sum) on (7, 2): G = 15, reset_after -> 2 biases:
    #   per direction 7 * (2*(2+5)*15 + 2*15) = 7 * 240 = 1680, both 3360, + 5 for the sum
    # SimpleRNN(3, use_bias=False) on (7, 5): 7 * 2*(5+3)*3 = 336
    model = Sequential(
        [
            Input(shape=(7,)),
            Embedding(50, 3),
            LSTM(4, return_sequences=True),
            TimeDistributed(Dense(2)),
            Bidirectional(GRU(5, return_sequences=True), merge_mode="sum"),
            SimpleRNN(3, use_bias=False),
        ]
    )
    per_layer = [layer_flops(layer) for layer in model.layers]
    assert per_layer == [0, 1680, 126, 3360 + 7 * 5, 336]
    assert flops_per_sample(model) == 1680 + 126 + 3395 + 336


def test_gru_reset_before_and_bidirectional_ave_and_return_state():
    x = Input(shape=(4, 2))
    out, h = GRU(3, reset_after=False, return_state=True)(x)  # 4 * (2*(2+3)*9 + 9) = 396
    y = Bidirectional(SimpleRNN(2), merge_mode="ave")(x)  # 2 * 4*(2*(2+2)*2 + 2) + 2*2 = 148
    model = Model(x, [out, y])
    assert flops_per_sample(model) == 396 + 148
