"""Preprocessing fitted on the training set only (the lectures' rule), from scikit-learn.

- `MinMaxScaler(feature_range=(a, b))`: x' = a + (x - min) (b - a) / (max - min)
- `StandardScaler()`: z-score, x' = (x - mean) / std
- `PCA(n_components, whiten=False)`: zero-centre, project on the principal axes;
  `whiten=True` also divides each component by its standard deviation
- `OneHotEncoder()`: categories to 0/1 columns

These are scikit-learn's own classes, re-exported so that nnlab code reads in one
vocabulary; `fit` them on training rows and `transform` validation and test rows.
`nnlab.model_selection.cross_validate(preprocessing=StandardScaler)` does that per fold.
"""

from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

__all__ = ["MinMaxScaler", "OneHotEncoder", "PCA", "StandardScaler"]
