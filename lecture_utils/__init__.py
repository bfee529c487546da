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
* :mod:`~lecture_utils.text` -- one vocabulary class for characters and words, a word tokenizer;
* :mod:`~lecture_utils.batching` -- a contiguous split, a text read as B tracks in windows of T;
* :mod:`~lecture_utils.names` -- names as padded tensors with boundary tokens;
* :mod:`~lecture_utils.models` -- a language model over RNN / GRU / LSTM cells, the model table;
* :mod:`~lecture_utils.cells` -- LSTM and GRU cells written out, equal to torch's (lecture 05);
* :mod:`~lecture_utils.training` -- one training loop: loss as a function, carried state, metrics;
* :mod:`~lecture_utils.char_lm` -- lecture 05's model configuration, shared with ``make pretrain``;
* :mod:`~lecture_utils.lm_baselines` -- uniform, n-gram and compressor baselines of a language model;
* :mod:`~lecture_utils.unit_probe` -- which units of a language model follow which features of the text;
* :mod:`~lecture_utils.sentiment` -- reviews in batches by length, the sentiment classifier, its linear baseline;
* :mod:`~lecture_utils.sampling` -- temperature and top-k sampling of names and texts;
* :mod:`~lecture_utils.checkpoint` -- atomic checkpoints of any model, refusing another one.

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
