"""Data preparation: tabular input, leak-free splits, preprocessing."""

from nnlab.data.preprocessing import PCA, MinMaxScaler, OneHotEncoder, StandardScaler
from nnlab.data.split import class_labels, holdout_split, kfold_indices
from nnlab.data.tabular import (
    OutputProposal,
    TabularPreprocessor,
    load_csv,
    propose_output,
)

__all__ = [
    "MinMaxScaler",
    "OneHotEncoder",
    "OutputProposal",
    "PCA",
    "StandardScaler",
    "TabularPreprocessor",
    "class_labels",
    "holdout_split",
    "kfold_indices",
    "load_csv",
    "propose_output",
]
