"""Helper package of the open course on recurrent neural networks.

Small modules with one job each:

* :mod:`~lecture_utils.config` -- run mode (full / smoke), seeding, device;
* :mod:`~lecture_utils.data` -- the dataset registry, fetching and loaders;
* :mod:`~lecture_utils.progress` -- the progress bar of long loops;
* :mod:`~lecture_utils.plots` -- learning curves and heatmaps;
* :mod:`~lecture_utils.binary_adder` -- bits in and out of the binary-addition RNN.
"""
from .config import SEED, by_mode, get_device, is_smoke, mode_name, seed_everything
from .data import DataError, fetch, load_imdb, load_names, load_text
from . import plots
from .progress import progress

__all__ = [
    "SEED", "by_mode", "get_device", "is_smoke", "mode_name", "seed_everything",
    "DataError", "fetch", "load_imdb", "load_names", "load_text", "plots", "progress",
]
