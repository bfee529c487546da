"""Lecture 05's main model: training characters per second, and what carrying the state costs.

The notebook chooses its live-run length from this speed (a 15-minute budget on a
2-core CPU), and ``make pretrain`` takes epochs × 1.54 M characters at it. The ratio
row compares the lecture's carried, detached state with starting every window from
zeros: both run the same matrix products, so it should stay near 1.
"""
from __future__ import annotations

import torch

import lecture_utils as lu
from lecture_utils.l05_char_lm import ANNA_MODEL, ANNA_TRAINING
from lecture_utils.models import CharRNN
from lecture_utils.sequences import TextWindows
from lecture_utils.text import Vocab
from lecture_utils.timing import best_of
from lecture_utils.training import fit, stream_token_loss

STEPS = 12


def zero_state_loss(model, batch, state=None):
    """``stream_token_loss`` that ignores the carried state: every window starts from zero."""
    return stream_token_loss(model, batch)


def chars_per_second(ids, vocab_size: int, carry_state: bool) -> float:
    lu.seed_everything()
    model = CharRNN(vocab_size, **ANNA_MODEL)
    B, T = ANNA_TRAINING["batch_size"], ANNA_TRAINING["seq_len"]
    train = TextWindows(ids[:B * T * STEPS + B], B, T)
    val = TextWindows(ids[:2 * T + 2], 2, T)
    loss_fn = stream_token_loss if carry_state else zero_state_loss
    fit(model, [train[0]], val, loss_fn=loss_fn, epochs=1)  # warm-up
    seconds = best_of(lambda: fit(model, train, val, loss_fn=loss_fn, epochs=1), repeats=1, warmup=0)
    return B * T * STEPS / seconds


def run() -> list[dict]:
    text = lu.load_text("anna_karenina_ru")
    vocab = Vocab.build([text])
    ids = torch.tensor(vocab.encode(text[:200_000]))
    carried = chars_per_second(ids, len(vocab), True)
    fresh = chars_per_second(ids, len(vocab), False)
    shape = (f"2-layer LSTM {ANNA_MODEL['hidden_size']}, {ANNA_TRAINING['batch_size']} tracks × "
             f"{ANNA_TRAINING['seq_len']} steps, {torch.get_num_threads()} threads")
    return [
        {"benchmark": "lecture 05 main model", "what": f"training characters per second ({shape})",
         "result": f"{carried:,.0f} chars/s: one epoch of 1.54 M characters in {1_536_830 / carried / 60:.1f} min"},
        {"benchmark": "lecture 05 main model", "what": "carried detached state vs zero state per window",
         "result": f"{carried / fresh:.2f}× the speed ({carried:,.0f} vs {fresh:,.0f} chars/s)"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
