"""Callbacks with Keras's hook names; `fit` calls them around epochs and batches.

Every callback gets the same `logs` dict (so a change one makes is seen by the later
ones); keys are `loss`, metric names and `val_` plus a name. A callback stops training
with `self.model.stop_training = True`.

One callback (or one family) per module: `base` (Callback, CallbackList, History),
`progress`, `monitor` (what the watching callbacks share), `early_stopping`,
`learning_rate`, `terminate_on_nan`, `csv_logger`, `checkpoint`; BackupAndRestore,
LambdaCallback and TensorBoard live in `nnlab.backup_and_restore`,
`nnlab.callbacks_lambda` and `nnlab.callbacks_tensorboard`.
"""

from nnlab.backup_and_restore import BackupAndRestore
from nnlab.callbacks.base import Callback, CallbackList, History
from nnlab.callbacks.checkpoint import ModelCheckpoint
from nnlab.callbacks.csv_logger import CSVLogger
from nnlab.callbacks.early_stopping import EarlyStopping
from nnlab.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from nnlab.callbacks.progress import ProgressBar
from nnlab.callbacks.terminate_on_nan import TerminateOnNaN
from nnlab.callbacks_lambda import LambdaCallback
from nnlab.callbacks_tensorboard import TensorBoard

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
]
