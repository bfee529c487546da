"""Helper package of the open course on recurrent neural networks.

One rule orders it: a lecture-agnostic **core** that any lecture builds on, and **one module
per lecture** (``lNN_topic``) for what only that lecture needs. The core never imports a
lecture module (``tests/test_layout.py`` checks it). The modules, their lectures and
notebooks are declared once in :mod:`~lecture_utils.course`.

Core:

* :mod:`~lecture_utils.config` -- run mode (full / smoke), seeding, device;
* :mod:`~lecture_utils.checks` -- argument checks with errors that name the value;
* :mod:`~lecture_utils.data` -- the dataset registry and loaders; :mod:`~lecture_utils.fetching` --
  cache, mirror and verified download; :mod:`~lecture_utils.atomic` -- atomic file writes;
* :mod:`~lecture_utils.text` -- one vocabulary for characters and words, the tokenizer, special tokens;
* :mod:`~lecture_utils.sequences` -- splits, text windows, padded batches by length, teacher forcing;
* :mod:`~lecture_utils.models` -- the cell-kind table, the model registry, shared model helpers;
* :mod:`~lecture_utils.cells` -- LSTM and GRU cells written out, equal to torch's;
* :mod:`~lecture_utils.training` -- one training loop: the loss as a function, the state in the loop;
* :mod:`~lecture_utils.metrics` -- nats, bits, perplexity, the NLL of a text;
* :mod:`~lecture_utils.lm_baselines` -- uniform, Kneser-Ney n-gram and compressor baselines;
* :mod:`~lecture_utils.sampling` -- temperature and top-k sampling of names and texts;
* :mod:`~lecture_utils.checkpoint` -- atomic checkpoints of any registered model;
* :mod:`~lecture_utils.plots`, :mod:`~lecture_utils.progress`, :mod:`~lecture_utils.timing` --
  figures, progress bars, honest timings;
* :mod:`~lecture_utils.experiments` -- sweeps of configurations x seeds shipped with provenance;
* :mod:`~lecture_utils.seedbatch` -- many seeds of a small recurrent network trained as one computation;
* :mod:`~lecture_utils.exercises` -- checks a student runs on an exercise: not solved, right, or what is wrong;
* :mod:`~lecture_utils.formatting` -- numbers as a Russian reader expects them (comma, thin spaces, plurals);
* :mod:`~lecture_utils.course` -- the course manifest; :mod:`~lecture_utils.teach` -- running a
  notebook's teaching cells (tests and benchmarks).

Lectures:

* :mod:`~lecture_utils.l01_theory` -- gradient flow and the memory task;
* :mod:`~lecture_utils.l02_min_char_rnn` -- min-char-rnn and an LSTM in numpy, trainer, sampling, gradient check;
* :mod:`~lecture_utils.l03_binary_adder` -- bits in and out of the binary-addition RNN;
* :mod:`~lecture_utils.l04_names` -- names as teacher-forcing tensors;
* :mod:`~lecture_utils.l05_char_lm` -- the Anna Karenina model's configuration and training, unit probes;
* :mod:`~lecture_utils.l06_sentiment` -- the sentiment classifier, its loss, verdict and linear baseline.

The torch modules are imported on demand (``from lecture_utils.models import CharRNN``)
so that the numpy lectures do not wait for torch to load.
"""
from . import exercises, plots
from .config import SEED, by_mode, get_device, is_smoke, mode_name, seed_everything
from .fetching import DataError
from .progress import progress

__all__ = [
    "SEED", "by_mode", "get_device", "is_smoke", "mode_name", "seed_everything",
    "DataError", "exercises", "fetch", "load_imdb", "load_names", "load_text", "plots", "progress",
]

# The registry and its loaders are imported on first use (``lu.fetch``, ``lu.data``), so that
# ``python -m lecture_utils.data`` (make data) runs that module once, as the script, and not
# after the package has imported it already (which Python warns about).
_FROM_DATA = ("data", "fetch", "load_imdb", "load_names", "load_text")


def __getattr__(name: str):
    if name in _FROM_DATA:
        from importlib import import_module

        data = import_module(".data", __name__)
        return data if name == "data" else getattr(data, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_FROM_DATA})
