"""`make pretrain`: train lecture 05's character LSTM for long and ship the checkpoint.

The configuration of the notebook's live run (lecture_utils.l05_char_lm: ANNA_MODEL with its
full hidden size, ANNA_TRAINING), trained by train_char_lm for many epochs instead of minutes.
Writes pretrained/anna_lstm.pt (weights, config, vocabulary) and pretrained/anna_lstm.json (how
it was made and how good it is); the notebook and tests/test_l05_char_lm.py load the checkpoint
and check it against the JSON.

    .venv/bin/python tools/pretrain.py [--epochs N] [--max-minutes M]
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

import lecture_utils as lu
from lecture_utils.atomic import atomic_path
from lecture_utils.checkpoint import save_checkpoint
from lecture_utils.data import REGISTRY
from lecture_utils.l05_char_lm import ANNA_MODEL, ANNA_TRAINING, SHIPPED_CHECKPOINT, train_char_lm
from lecture_utils.metrics import nats_to_bits, text_nll
from lecture_utils.sequences import split_contiguous
from lecture_utils.text import Vocab
from lecture_utils.timing import machine

VAL_FRACTION = 0.1


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _checkpoint_path(text: str) -> Path:
    path = Path(text)
    if path.suffix != ".pt":  # the info file is the same name with .json: it must not be the checkpoint
        raise argparse.ArgumentTypeError(f"the checkpoint's name must end in .pt (its info goes to .json), "
                                         f"got {text!r}")
    return path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=_positive(int), default=19)  # what the shipped run did
    parser.add_argument("--max-minutes", type=_positive(float), default=None,
                        help="start no new epoch after this many minutes")
    parser.add_argument("--out", type=_checkpoint_path, default=SHIPPED_CHECKPOINT,
                        help="the checkpoint (.pt); the info is written beside it as .json")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)

    lu.seed_everything()
    device = lu.get_device()
    text = lu.load_text("anna_karenina_ru")
    vocab = Vocab.build([text])
    ids = torch.tensor(vocab.encode(text))
    train_ids, val_ids = split_contiguous(ids, VAL_FRACTION)
    print(f"{len(text):,} characters, {len(vocab)} in the alphabet, device {device}", flush=True)

    def report(epoch, history):
        print(f"\nepoch {epoch + 1}: train {history.train_loss[-1]:.4f}, val {history.val_loss[-1]:.4f} "
              f"nats/char, {time.perf_counter() - started:.0f} s", flush=True)

    started = time.perf_counter()
    model, history = train_char_lm(train_ids, val_ids, len(vocab), args.epochs, device=device,
                                   max_seconds=None if args.max_minutes is None else args.max_minutes * 60,
                                   on_epoch=report)
    seconds = time.perf_counter() - started
    val_nll = text_nll(model, val_ids)
    model.cpu()
    save_checkpoint(args.out, model, vocab, val_nll=val_nll, epochs=len(history.val_loss))
    info = {
        "command": shlex.join(["python", *sys.argv]),
        "data": "anna_karenina_ru", "data_sha256": REGISTRY["anna_karenina_ru"].sha256,
        "val_fraction": VAL_FRACTION, "model": ANNA_MODEL, "training": ANNA_TRAINING,
        "parameters": model.num_parameters(),
        "epochs_run": len(history.val_loss), "best_epoch": history.best_epoch + 1,
        "train_loss": [round(x, 4) for x in history.train_loss],
        "val_loss": [round(x, 4) for x in history.val_loss],
        "val_nll_nats_per_char": round(val_nll, 4), "val_bits_per_char": round(nats_to_bits(val_nll), 4),
        "training_seconds": round(seconds), "device": machine(device),
        "torch": torch.__version__, "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    with atomic_path(args.out.with_suffix(".json")) as tmp:
        tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(info, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
