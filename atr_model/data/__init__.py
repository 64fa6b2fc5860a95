"""Data layer: the data contract, datasets, loaders, the Kyrgyz open-data build and the demo."""

from atr_model.data.contract import LAYERS
from atr_model.data.dataset import Dataset, read_dataset, validate_layer
from atr_model.data.demo import make_demo_dataset

__all__ = ["LAYERS", "Dataset", "make_demo_dataset", "read_dataset", "validate_layer"]
