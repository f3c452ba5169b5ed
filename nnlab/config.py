"""Global configuration, Keras-style: `nnlab.config.set_floatx('float64')`."""

from nnlab.backend import epsilon, floatx, max_weight_bytes, set_floatx, set_max_weight_bytes

__all__ = ["epsilon", "floatx", "max_weight_bytes", "set_floatx", "set_max_weight_bytes"]
