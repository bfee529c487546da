"""Lecture 04: names as teacher-forcing tensors, a seeded split, the novel's proper nouns (lecture_utils.l04_names);
the notebook's teach cells (model, training step, sampling loop, lecture 01's formulas) against the package and
torch; and each exercise check, passing the reference solution and naming what is wrong in a typical mistake."""
from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch.nn import functional as F

from lecture_utils import l04_names as l04
from lecture_utils.exercises import CheckFailed
from lecture_utils.experiments import load_results, reproduce
from lecture_utils.l04_names import (
    BOUNDARY,
    PAD,
    check_top_k,
    check_two_layers,
    name_tensors,
    proper_nouns,
    split_names,
    top_k_probabilities,
)
from lecture_utils.models import CharRNN
from lecture_utils.sampling import generate_names
from lecture_utils.teach import teach_namespace
from lecture_utils.training import fit, padded_token_loss

from .conftest import NAMES, ROOT, student_teach_namespace

NOTEBOOK = ROOT / "notebooks" / "04_name_generation.ipynb"


def test_name_tensors_shift_by_one_and_pad(names_vocab):
    inputs, targets = name_tensors(["иван", "анастасия"], names_vocab)
    assert inputs.shape == targets.shape == (2, 10) and inputs.dtype == torch.long
    assert names_vocab.decode(inputs[0], keep_specials=True) == "<b>иван" + "<pad>" * 5
    assert names_vocab.decode(targets[0], keep_specials=True) == "иван<b>" + "<pad>" * 5
    assert torch.equal(inputs[1, 1:], targets[1, :-1])
    assert (PAD, BOUNDARY) == ("<pad>", "<b>")


def test_name_tensors_refuse_one_string(names_vocab):
    with pytest.raises(TypeError, match="names must be a list of names, not one str"):
        name_tensors("анна", names_vocab)


def test_split_is_a_partition_fixed_by_its_own_seed_alone():
    """The split draws from its own generator: the global random state, however it was used, cannot move it."""
    names = pd.DataFrame({"name": [f"{name}{i}" for i in range(10) for name in NAMES]})
    np.random.seed(0)
    train, val = split_names(names, 0.2, seed=1)
    np.random.seed(123)
    np.random.rand(7)
    train_again, val_again = split_names(names, 0.2, seed=1)
    assert val.equals(val_again) and train.equals(train_again)
    assert len(val) == 16 and len(train) == 64
    assert not set(train.name) & set(val.name) and sorted([*train.name, *val.name]) == sorted(names.name)
    _, other_val = split_names(names, 0.2, seed=2)
    assert not other_val.equals(val)


@pytest.mark.parametrize("fraction", [0, 1, -0.2, 1.2, math.nan])
def test_split_names_refuses_fractions_outside_0_1(fraction):
    with pytest.raises(ValueError, match=r"val_fraction must (lie in \(0, 1\)|be a finite number), got"):
        split_names(pd.DataFrame({"name": NAMES}), fraction, seed=0)


def test_split_names_refuses_an_empty_part_and_a_missing_seed():
    with pytest.raises(ValueError, match="leaves 0 for validation and 3 for training"):
        split_names(pd.DataFrame({"name": NAMES[:3]}), 0.1, seed=0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got None"):
        split_names(pd.DataFrame({"name": NAMES}), 0.25, seed=None)


def test_split_names_splits_a_list_as_well():
    train, val = split_names(NAMES, 0.25, seed=0)
    assert isinstance(train, list) and len(val) == 2 and sorted(train + val) == sorted(NAMES)


# ------------------------------------------------------------------ proper nouns (exercise 4's data)

TEXT = ("Левин сказал Кити, что Вронский уехал. Анна ждала. Вчера Вронский вернулся к Анне, и Левин тоже. "
        "Он звал Надежду, но надежду потерял.")


def test_proper_nouns_are_mid_sentence_capitals_never_written_in_lower_case():
    # «Анна» only starts a sentence, «Вчера» and «Он» too; «Надежду» is also a common noun («надежду»)
    assert proper_nouns(TEXT) == ["анне", "вронский", "кити", "левин"]
    assert proper_nouns(TEXT, min_count=2) == ["вронский"]  # the first «Левин» starts the text


def test_proper_nouns_refuse_a_list_and_a_zero_count():
    with pytest.raises(TypeError, match="text must be a str"):
        proper_nouns(["Левин"])
    with pytest.raises(ValueError, match="min_count"):
        proper_nouns(TEXT, min_count=0)


# ------------------------------------------------------------------ the notebook's teach cells


@pytest.fixture(scope="module")
def lecture():
    return teach_namespace(NOTEBOOK)


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_name_rnn_is_char_rnn_given_the_same_weights(lecture, cell):
    """The notebook's model has CharRNN's parameters under the same names, and the same outputs:
    in eval mode, from a given state, and in training mode with the same dropout masks."""
    torch.manual_seed(0)
    ours = lecture["NameRNN"](11, hidden_size=7, cell=cell, embedding_dim=5, dropout=0.3)
    torch.manual_seed(0)
    package = CharRNN(11, hidden_size=7, cell=cell, embedding_dim=5, dropout=0.3)
    for name, value in ours.state_dict().items():  # one seed gives the same initial weights, too
        torch.testing.assert_close(value, package.state_dict()[name], rtol=0, atol=0)
    with torch.no_grad():
        for parameter in ours.parameters():
            parameter.normal_()
    package.load_state_dict(ours.state_dict())  # strict: the same names and shapes
    ids = torch.randint(0, 11, (4, 6))
    ours.eval(), package.eval()
    (scores, state), (package_scores, package_state) = ours(ids), package(ids)
    torch.testing.assert_close(scores, package_scores)
    torch.testing.assert_close(ours(ids, state)[0], package(ids, package_state)[0])
    assert scores.shape == (4, 6, 11)
    ours.train(), package.train()
    torch.manual_seed(1)
    with_dropout = ours(ids)[0]
    torch.manual_seed(1)
    torch.testing.assert_close(with_dropout, package(ids)[0])


def test_an_embedding_is_a_one_hot_row_times_its_matrix(lecture):
    embedding = lecture["NameRNN"](9).embedding
    ids = torch.tensor([[1, 4, 4, 0], [8, 2, 3, 1]])
    torch.testing.assert_close(embedding(ids), F.one_hot(ids, 9).float() @ embedding.weight)


@pytest.mark.parametrize("with_start", [False, True])
def test_rnn_layer_is_nn_rnn_with_lecture_01_names(lecture, with_start):
    """weight_ih_l0 = W_xh, weight_hh_l0 = W_hh, bias_ih_l0 + bias_hh_l0 = b_h; h_0 given or zeros."""
    torch.manual_seed(2)
    rnn = torch.nn.RNN(4, 6, batch_first=True, dtype=torch.float64)
    x = torch.randn(3, 5, 4, dtype=torch.float64)
    start = torch.randn(1, 3, 6, dtype=torch.float64) if with_start else None
    out, h_n = rnn(x, start)
    by_hand = lecture["rnn_layer"](x, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0 + rnn.bias_hh_l0,
                                   None if start is None else start[0])
    torch.testing.assert_close(by_hand, out, rtol=0, atol=1e-12)
    torch.testing.assert_close(by_hand[:, -1], h_n[0], rtol=0, atol=1e-12)


def test_the_reference_two_layer_rnn_is_torchs(lecture):
    torch.manual_seed(3)
    rnn = torch.nn.RNN(4, 6, num_layers=2, batch_first=True, dtype=torch.float64)
    x = torch.randn(2, 7, 4, dtype=torch.float64)
    torch.testing.assert_close(lecture["two_layer_rnn"](x, rnn), rnn(x)[0], rtol=0, atol=1e-12)


def name_batches(vocab, size=3):
    inputs, targets = name_tensors(NAMES, vocab)
    return [(inputs[i:i + size], targets[i:i + size]) for i in range(0, len(NAMES), size)]


@pytest.mark.parametrize("cell, dropout", [("rnn", 0.0), ("lstm", 0.3), ("gru", 0.0)])
def test_train_step_is_one_step_of_fit(lecture, names_vocab, cell, dropout):
    """The same batches from the same start: train_step's losses are fit's, step by step (the
    mean over non-<pad> targets), and the weights end the same, with clipping on and dropout."""
    pad = names_vocab.id(PAD)
    batches = name_batches(names_vocab)
    torch.manual_seed(4)
    ours = lecture["NameRNN"](len(names_vocab), hidden_size=16, cell=cell, embedding_dim=8, dropout=dropout)
    package, start = copy.deepcopy(ours), copy.deepcopy(ours.state_dict())
    optimizer = torch.optim.Adam(ours.parameters(), lr=0.01)
    torch.manual_seed(5)
    losses = [lecture["train_step"](ours, optimizer, x, y, pad, clip=0.5) for x, y in batches]

    fit_losses, padded = [], padded_token_loss(pad)

    def recording_loss(model, batch, state=None):
        result = padded(model, batch, state)
        if model.training:
            fit_losses.append(result.loss.item() / result.count)
        return result

    torch.manual_seed(5)
    fit(package, batches, batches[:1], loss_fn=recording_loss, epochs=1, lr=0.01, clip=0.5, show_progress=False)
    assert losses == pytest.approx(fit_losses, rel=1e-6)
    for (name, value), theirs in zip(ours.named_parameters(), package.parameters()):
        torch.testing.assert_close(value, theirs, rtol=0, atol=1e-5, msg=name)
    assert (ours.head.weight - start["head.weight"]).abs().max() > 1e-3  # the steps did move the weights


def test_train_step_loss_ignores_padding(lecture, names_vocab):
    """More <pad> columns change nothing: the loss is the mean of -ln p over the real targets."""
    pad = names_vocab.id(PAD)
    torch.manual_seed(6)
    model = lecture["NameRNN"](len(names_vocab), hidden_size=8, embedding_dim=4)
    inputs, targets = name_tensors(NAMES[:3], names_vocab)
    extra = torch.full((3, 4), pad)
    with torch.no_grad():
        logits, _ = model(inputs)
    log_p = torch.log_softmax(logits, dim=-1).gather(-1, targets.clamp(min=0)[..., None])[..., 0]
    real = targets != pad
    expected = -(log_p[real]).sum().item() / real.sum().item()
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)  # the step moves nothing
    step = lecture["train_step"]
    assert step(model, frozen, inputs, targets, pad) == pytest.approx(expected, rel=1e-6)
    assert step(model, frozen, torch.cat([inputs, extra], 1), torch.cat([targets, extra], 1), pad) == \
        pytest.approx(expected, rel=1e-6)


def name_model(vocab, boundary_bias):
    torch.manual_seed(7)
    model = CharRNN(len(vocab), hidden_size=12, cell="gru", embedding_dim=6)
    with torch.no_grad():
        model.head.bias[vocab.id(BOUNDARY)] += boundary_bias  # names of a few letters, not 20
    return model


@pytest.mark.filterwarnings("ignore:.*reached max_len:UserWarning")  # a cut name is drawn alike too
@pytest.mark.parametrize("temperature", [0.7, 1.0, 2.0])
@pytest.mark.parametrize("kind", ["package", "notebook"])
def test_sample_name_draws_what_generate_names_draws(lecture, names_vocab, temperature, kind):
    """With one generator seed, the hand-written loop and the package's sampler give the same names,
    for the package's model and for the notebook's (the same draws, the state carried alike)."""
    model = name_model(names_vocab, 1.0)
    if kind == "notebook":
        ours = lecture["NameRNN"](len(names_vocab), hidden_size=12, cell="gru", embedding_dim=6)
        ours.load_state_dict(model.state_dict())
        model = ours
    ours_names, package_names = [], []
    for seed in range(12):
        ours_names.append(lecture["sample_name"](model, names_vocab, temperature=temperature,
                                                 generator=torch.Generator().manual_seed(seed)))
        package_names += generate_names(model, names_vocab, 1, temperature=temperature,
                                        generator=torch.Generator().manual_seed(seed))
    assert ours_names == package_names
    assert len(set(ours_names)) > 3 and max(map(len, ours_names)) >= 3  # several steps, not one


def test_sample_name_never_draws_padding_and_stops_at_max_len(lecture, names_vocab):
    model = name_model(names_vocab, -1e4)  # the boundary is never drawn: every name is cut
    with torch.no_grad():
        model.head.bias[names_vocab.id(PAD)] += 1e4  # <pad> would win every draw if it were allowed
    generator, package_generator = torch.Generator().manual_seed(8), torch.Generator().manual_seed(8)
    name = lecture["sample_name"](model, names_vocab, max_len=9, generator=generator)
    with pytest.warns(UserWarning, match="reached max_len=9"):
        package_name = generate_names(model, names_vocab, 1, max_len=9, generator=package_generator)[0]
    assert name == package_name and len(name) == 9 and set(name) <= set("".join(NAMES))


# ------------------------------------------------------------------ the exercises' checks, both ways


def test_check_two_layers_passes_the_reference_solution(lecture, capsys):
    assert check_two_layers(lecture["two_layer_rnn"]) is True
    assert "два слоя RNN: верно" in capsys.readouterr().out


def test_check_two_layers_names_typical_mistakes(lecture):
    rnn_layer = lecture["rnn_layer"]

    def first_layer_only(x, rnn):
        return rnn_layer(x, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0 + rnn.bias_hh_l0)

    def one_bias(x, rnn):  # b = bias_ih alone
        first = rnn_layer(x, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0)
        return rnn_layer(first, rnn.weight_ih_l1, rnn.weight_hh_l1, rnn.bias_ih_l1)

    with pytest.raises(CheckFailed, match="это выход первого слоя; подайте его на вход второго слоя"):
        check_two_layers(first_layer_only)
    with pytest.raises(CheckFailed, match=r"два слоя RNN\[\d+, \d+, \d+\]: ожидалось .*, получено .* \(неверны"):
        check_two_layers(one_bias)
    with pytest.raises(CheckFailed, match="верните один тензор out"):
        check_two_layers(lambda x, rnn: rnn(x))


def test_check_top_k_passes_right_samplers(lecture, capsys):
    def masked(scores, k, generator=None):  # another right way: -inf below the k-th score
        kth = torch.topk(scores, k).values[-1]
        probs = torch.softmax(scores.masked_fill(scores < kth, -math.inf), dim=-1)
        return torch.multinomial(probs, 1, generator=generator)  # a one-element tensor is fine

    assert check_top_k(lecture["sample_top_k"]) is True
    assert check_top_k(masked) is True
    assert "top-3: верно (χ²" in capsys.readouterr().out


def test_check_top_k_names_typical_mistakes():
    def every_id(scores, k, generator=None):  # k forgotten
        return torch.multinomial(torch.softmax(scores, dim=-1), 1, generator=generator).item()

    def position(scores, k, generator=None):  # the place among the k, not the id
        top = torch.topk(scores, k)
        return torch.multinomial(torch.softmax(top.values, dim=-1), 1, generator=generator).item()

    def greedy(scores, k, generator=None):
        return scores.argmax().item()

    with pytest.raises(CheckFailed, match=r"top-3: исход \d выпал \d+ раз, а его вероятность 0"):
        check_top_k(every_id)
    with pytest.raises(CheckFailed, match=r"top-3: исход [01] выпал \d+ раз, а его вероятность 0"):
        check_top_k(position)
    with pytest.raises(CheckFailed, match=r"top-3: частоты не совпадают с распределением \(χ²"):
        check_top_k(greedy)
    with pytest.raises(CheckFailed, match="должна вернуть один номер символа"):
        check_top_k(lambda scores, k, generator=None: torch.topk(scores, k).indices)


def test_top_k_probabilities_are_the_softmax_of_the_k_highest():
    probabilities = top_k_probabilities(torch.tensor([1.0, 3.0, 2.0, 0.0]), 2)
    expected = torch.zeros(4)
    expected[[1, 2]] = torch.softmax(torch.tensor([3.0, 2.0]), dim=0)
    torch.testing.assert_close(probabilities, expected)
    with pytest.raises(ValueError, match="k in 1..4"):
        top_k_probabilities(torch.zeros(4), 5)


def test_the_students_edition_runs_the_exercises_unsolved(tmp_path, capsys):
    """With the solutions replaced by placeholders (tools/student.py), the teach cells still run,
    the functions return None and both checks say «не решено» instead of failing."""
    unsolved = student_teach_namespace(NOTEBOOK, tmp_path)
    assert unsolved["two_layer_rnn"](torch.zeros(1, 2, 3), torch.nn.RNN(3, 4, num_layers=2)) is None
    assert check_two_layers(unsolved["two_layer_rnn"]) is False
    assert check_top_k(unsolved["sample_top_k"]) is False
    out = capsys.readouterr().out
    assert "два слоя RNN: не решено" in out and "top-3: не решено" in out
    assert "NameRNN" in unsolved and "train_step" in unsolved and "sample_name" in unsolved  # taught, not solved


# --------------------------------------------------------------------------- shipped experiments

def test_split_three_is_a_partition_of_70_15_15():
    names = pd.DataFrame({"name": [f"n{i}" for i in range(200)], "gender": ["f", "m"] * 100})
    train, validation, test = l04.split_three(names, seed=3)
    assert (len(train), len(validation), len(test)) == (140, 30, 30)
    assert sorted(pd.concat([train, validation, test]).name) == sorted(names.name)
    again = l04.split_three(names, seed=3)
    assert all(a.equals(b) for a, b in zip((train, validation, test), again))
    assert not l04.split_three(names, seed=4)[2].equals(test)


def test_ends_in_a_counts_a_and_ya_endings():
    assert l04.ends_in_a(["анна", "мария", "иван", "илья"]) == 0.75  # «илья» ends in я too
    with pytest.raises(ValueError, match="no names"):
        l04.ends_in_a([])


def test_the_three_cells_have_equal_parameter_counts():
    counts = {cell: CharRNN(33, hidden_size=size, cell=cell, embedding_dim=32).num_parameters()
              for cell, size in l04.CELL_SIZES.items()}
    assert counts == {"rnn": 54_023, "gru": 53_841, "lstm": 54_177}
    assert max(counts.values()) / min(counts.values()) < 1.01


def test_sweeps_share_their_settings_and_the_final_learning_rates_are_the_validation_choice():
    by_name = {sweep.name: sweep for sweep in l04.SWEEPS}
    assert set(by_name) == {"cells_lr", "cells", "cells_exercises"}
    assert all(sweep.fixed["epochs"] == l04.CELL_SETTINGS["epochs"] for sweep in l04.SWEEPS)
    assert not by_name["cells_lr"].fixed.get("report_test")  # selection never reads the test names
    chosen = l04.chosen_learning_rates(load_results(by_name["cells_lr"]))
    for config in by_name["cells"].configs:
        assert config["lr"] == chosen[config["cell"]], config


@pytest.mark.parametrize("name, config, seed", [("cells_lr", 0, 0), ("cells", 3, 1), ("cells_exercises", 4, 2)])
def test_one_shipped_run_of_each_sweep_reproduces(name, config, seed, one_thread):
    sweep = next(sweep for sweep in l04.SWEEPS if sweep.name == name)
    reproduce(sweep, config, seed, rtol=1e-5, atol=1e-7)  # float32 sums differ in the last digits across CPUs
