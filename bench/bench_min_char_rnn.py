"""min-char-rnn training: the package's vectorised loop vs. the lecture's per-step one-hot loop.

The reference is the readable code of notebooks/02_min_char_rnn.ipynb (its cells tagged
``teach``: one-hot inputs, one outer product per step and weight, Adagrad per matrix;
``train_readable`` drives them). The package must be at least 5x faster with the same
smoothed-loss trajectory. Three rows:

1. Speed. Both implementations continue the same run -- weights, Adagrad memory, hidden
   state and position in the text taken from ``CharTrainer.snapshot()`` after a warm-up of
   3,000 iterations -- and read the same text for 2,000 iterations; whole training
   iterations are timed (best of 3), not single loss calls, because the optimizer step
   and the per-iteration overhead are part of what the vectorisation saves.
2. Why the comparison starts warm. With an empty Adagrad memory the first update moves
   every weight by about +-lr whatever its gradient, and the next ones divide tiny
   gradients by tiny accumulated squares: differences in the last digits, which two
   correct implementations summing in a different order always have, are amplified.
   This row shows the effect without the readable loop: ``CharTrainer`` against itself,
   one weight changed in its 14th digit (what it looks like against the readable loop:
   the notes in bench/RESULTS.md).
3. What reading the text in 32 parallel tracks in float32 (the lecture's long run) buys
   on top, in characters per second.

The lecture only states the result (same losses, faster) and points here for the why.
"""
from __future__ import annotations

import numpy as np

import lecture_utils as lu
from lecture_utils import course
from lecture_utils.data import REPO_ROOT
from lecture_utils.l02_min_char_rnn import CharTrainer, NumpyRNN
from lecture_utils.teach import teach_namespace
from lecture_utils.text import Vocab
from lecture_utils.timing import best_of

ITERATIONS = 2000
WARM_UP = 3000
REPEATS = 3  # this shared 2-core VM's speed drifts; the best of a few runs is the stable figure


def timed(fn) -> float:
    """Seconds of one call of ``fn`` (the runs here continue a state, so no warm-up call)."""
    return best_of(fn, repeats=1, warmup=0)


def fresh_trainer(data, vocab_size: int) -> CharTrainer:
    """min-char-rnn's setup (hidden 100, chunks of 25, lr 0.1) from the lecture's seed."""
    return CharTrainer(NumpyRNN(vocab_size, 100, np.random.default_rng(lu.SEED)), data, seq_length=25, lr=0.1)


def compare_training(lecture, data, vocab_size: int) -> tuple[float, float, float]:
    """One run: warm up, then 2,000 iterations with each implementation from the same state.
    Returns the two times and the largest difference of the smoothed losses."""
    trainer = fresh_trainer(data, vocab_size)
    for _ in range(WARM_UP):
        trainer.step()
    warm = trainer.snapshot()
    readable_curve = []
    slow = timed(lambda: readable_curve.extend(
        lecture["train_readable"](data, warm["params"], ITERATIONS, resume=warm)))
    fast = timed(lambda: [trainer.step() for _ in range(ITERATIONS)])
    diff = np.abs(np.subtract(readable_curve, trainer.smooth_losses[WARM_UP:])).max()
    if diff >= 1e-6:
        raise AssertionError(f"smoothed losses differ by {diff:.2e}")
    return slow, fast, diff


def cold_start_sensitivity(data, vocab_size: int) -> float:
    """Why the comparison starts warm: the package against itself from the same fresh weights,
    one weight changed in its 14th digit. Returns the largest smoothed-loss difference."""
    runs = []
    for nudge in (0.0, 1e-14):
        trainer = fresh_trainer(data, vocab_size)
        trainer.model.params["Whh"][0, 0] *= 1 + nudge
        for _ in range(ITERATIONS):
            trainer.step()
        runs.append(trainer.smooth_losses)
    return float(np.abs(np.subtract(*runs)).max())


def run() -> list[dict]:
    lecture = teach_namespace(REPO_ROOT / course.lecture(2).path)
    text = lu.load_text("karamazov_ru")
    vocab = Vocab.build([text])
    data = np.array(vocab.encode(text))

    slow_times, fast_times, diffs = zip(*(compare_training(lecture, data, len(vocab)) for _ in range(REPEATS)))
    slow, fast, diff = min(slow_times), min(fast_times), max(diffs)

    cold_gap = cold_start_sensitivity(data, len(vocab))

    chars_per_second = {}
    for batch, dtype in ((1, np.float64), (32, np.float32)):
        tracks = CharTrainer(NumpyRNN(len(vocab), 100, np.random.default_rng(0), dtype=dtype), data,
                             batch_size=batch)
        tracks.step()  # allocate the buffers
        updates = max(20, 2000 // batch)
        best = best_of(lambda tracks=tracks, updates=updates: [tracks.step() for _ in range(updates)],
                       repeats=REPEATS, warmup=0)
        chars_per_second[batch] = updates * batch * 25 / best
    return [
        {
            "benchmark": f"min-char-rnn: {ITERATIONS:,} training iterations",
            "what": "`CharTrainer` (float64) vs. the lecture's per-step one-hot loop (`train_readable`), "
                    f"continuing the same run (best of {REPEATS} runs)",
            "result": f"{slow / fast:.1f}× the iterations/s ({ITERATIONS / slow:,.0f} → {ITERATIONS / fast:,.0f}); "
                      f"smoothed losses differ by at most {diff:.0e}",
        },
        {
            "benchmark": "min-char-rnn: why the comparison starts warm",
            "what": f"`CharTrainer` against itself from fresh weights, one weight changed by 1e-14 (relative), "
                    f"{ITERATIONS:,} iterations",
            "result": f"smoothed losses differ by up to {cold_gap:.2f}: early Adagrad steps amplify "
                      "last-digit differences, so only bit-identical code could agree from a cold start",
        },
        {
            "benchmark": "min-char-rnn: characters per second",
            "what": "32 tracks of text at once in float32 (the lecture's long run) vs. one track in float64 "
                    f"(best of {REPEATS} runs)",
            "result": f"{chars_per_second[32] / chars_per_second[1]:.1f}× "
                      f"({chars_per_second[1]:,.0f} → {chars_per_second[32]:,.0f} chars/s)",
        },
    ]
