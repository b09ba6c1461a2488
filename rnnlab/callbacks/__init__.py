"""Callbacks: hooks called by ``fit`` at the start and end of training and of each epoch.

Epochs run as one compiled call, so hooks are per epoch, never per batch:
adding callbacks adds no Python work inside an epoch.

Keras's callbacks, with Keras's names, arguments and defaults:
:class:`EarlyStopping`, :class:`ReduceLROnPlateau`, :class:`LearningRateScheduler`,
:class:`TerminateOnNaN`, :class:`CSVLogger`, :class:`LambdaCallback`,
:class:`ModelCheckpoint`, :class:`BackupAndRestore` (and :class:`History`, which
``fit`` returns).

Example:
    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, logs["loss"])
"""

from rnnlab.callbacks.base import Callback, CallbackList, History
from rnnlab.callbacks.checkpoints import BackupAndRestore, ModelCheckpoint
from rnnlab.callbacks.early_stopping import EarlyStopping, TerminateOnNaN
from rnnlab.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from rnnlab.callbacks.logging import CSVLogger, LambdaCallback

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
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
