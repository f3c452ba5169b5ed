"""Global configuration, Keras-style: `nnlab.config.set_floatx('float64')`."""

from nnlab.backend import epsilon, floatx, set_floatx

__all__ = ["epsilon", "floatx", "set_floatx"]
