"""Storage or files -> arrays -> scoring -> results: the evaluation of a survey wave."""

from .codebook import Variable, codebook, scale_points
from .csvdata import Dataset, read_csv
from .evaluate import evaluate

__all__ = ["Variable", "codebook", "scale_points", "Dataset", "read_csv", "evaluate"]
