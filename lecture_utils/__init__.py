"""Helper package of the open course on recurrent neural networks.

Small modules with one job each:

* :mod:`~lecture_utils.config` -- run mode (full / smoke), seeding, device;
* :mod:`~lecture_utils.data` -- the dataset registry, fetching and loaders;
* :mod:`~lecture_utils.atomic` -- atomic file writes (datasets, checkpoints);
* :mod:`~lecture_utils.progress` -- the progress bar of long loops;
* :mod:`~lecture_utils.plots` -- learning curves and heatmaps;
* :mod:`~lecture_utils.binary_adder` -- bits in and out of the binary-addition RNN;
* :mod:`~lecture_utils.numpy_rnn` -- vectorised character RNN and LSTM in numpy (lecture 02);
* :mod:`~lecture_utils.numpy_train` -- Adagrad, min-char-rnn's training loop, sampling, gradient check;
* :mod:`~lecture_utils.text` -- character vocabularies;
* :mod:`~lecture_utils.names` -- names as padded tensors with boundary tokens;
* :mod:`~lecture_utils.models` -- a char-level model over RNN / GRU / LSTM cells;
* :mod:`~lecture_utils.training` -- the training loop with history and best-model restore;
* :mod:`~lecture_utils.sampling` -- temperature and top-k sampling, name generation;
* :mod:`~lecture_utils.checkpoint` -- atomic checkpoints that refuse another model.

The torch modules are imported on demand (``from lecture_utils.models import CharRNN``)
so that the numpy lectures do not wait for torch to load.
"""
from .config import SEED, by_mode, get_device, is_smoke, mode_name, seed_everything
from .data import DataError, fetch, load_imdb, load_names, load_text
from . import plots
from .progress import progress

__all__ = [
    "SEED", "by_mode", "get_device", "is_smoke", "mode_name", "seed_everything",
    "DataError", "fetch", "load_imdb", "load_names", "load_text", "plots", "progress",
]
