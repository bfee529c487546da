"""`make pretrain`'s command line (tools/pretrain.py): bad arguments stop it before hours of training."""
from __future__ import annotations

import importlib.util
import sys

import pytest

from lecture_utils.l05_char_lm import SHIPPED_CHECKPOINT

from .conftest import ROOT


def load_pretrain():
    spec = importlib.util.spec_from_file_location("course_tools_pretrain", ROOT / "tools" / "pretrain.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pretrain = load_pretrain()


def test_defaults_write_the_shipped_checkpoint():
    args = pretrain.parse_args([])
    assert args.out == SHIPPED_CHECKPOINT and args.out.suffix == ".pt"
    assert args.epochs == 19 and args.max_minutes is None


@pytest.mark.parametrize("argv, word", [
    (["--out", "anna.json"], ".pt"),        # D2: the info file would overwrite the checkpoint
    (["--out", "anna"], ".pt"),
    (["--epochs", "0"], "positive"),        # D22: refused before the corpus is loaded
    (["--epochs", "-3"], "positive"),
    (["--max-minutes", "-1"], "positive"),
    (["--max-minutes", "nan"], "positive"),
    (["--epochs", "2.5"], "number"),
])
def test_bad_arguments_stop_before_training(argv, word, capsys):
    with pytest.raises(SystemExit) as stop:
        pretrain.parse_args(argv)
    assert stop.value.code == 2
    assert word in capsys.readouterr().err

