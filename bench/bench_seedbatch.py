"""Seeds trained as one computation (lecture_utils.seedbatch) against one seed at a time.

The setting of lecture 01's adding-problem sweep at T = 50: hidden 64, batches of 64, Adam,
clipping per copy. Three ways to train five seeds for the same number of updates:
``SeedBatchedRNN`` with all five seeds at once, the same class with one seed, five times, and
torch's own ``nn.LSTM``/``nn.RNN`` + ``nn.Linear`` (the fused library cell), five times. Reported:
seed-updates per second (best of 3 after a warm-up), and the largest difference between the
parameters the batched run and the one-at-a-time runs end with (they must be equal up to rounding).
One thread, as ``make experiments`` runs.
"""
from __future__ import annotations

import time

import torch
from torch import nn

from lecture_utils import l01_theory
from lecture_utils.seedbatch import SeedBatchedRNN, clip_per_seed

SEEDS = (0, 1, 2, 3, 4)
STEPS, HIDDEN, BATCH, UPDATES, REPEATS = 50, 64, 64, 30, 3
KINDS = {"lstm": {"forget_bias": 1.0}, "rnn": {}}


def train_batched(kind: str, seeds, updates: int) -> SeedBatchedRNN:
    model = SeedBatchedRNN(kind, 2, HIDDEN, 1, seeds, **KINDS[kind])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    for _ in range(updates):
        pairs = [l01_theory.adding_batch(BATCH, STEPS, generator=g) for g in generators]
        x, y = torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
        loss = ((model(x).squeeze(-1) - y) ** 2).mean(dim=1).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip_per_seed(list(model.parameters()), 1.0)
        optimizer.step()
    return model


def train_torch(kind: str, seed: int, updates: int) -> None:
    cell, head = SeedBatchedRNN(kind, 2, HIDDEN, 1, [seed], **KINDS[kind]).reference(seed)
    params = list(cell.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(updates):
        x, y = l01_theory.adding_batch(BATCH, STEPS, generator=generator)
        out, _ = cell(x)
        loss = ((head(out[:, -1]).squeeze(-1) - y) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()


def best_seconds(work) -> float:
    work()  # warm-up
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def run() -> list[dict]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    rows = []
    try:
        for kind in KINDS:
            batched = best_seconds(lambda: train_batched(kind, SEEDS, UPDATES))  # noqa: B023
            serial = best_seconds(lambda: [train_batched(kind, [s], UPDATES) for s in SEEDS])  # noqa: B023
            library = best_seconds(lambda: [train_torch(kind, s, UPDATES) for s in SEEDS])  # noqa: B023
            together = train_batched(kind, SEEDS, UPDATES)
            gap = 0.0
            for k, seed in enumerate(SEEDS):
                alone = train_batched(kind, [seed], UPDATES)
                gap = max(gap, max((a[k] - b[0]).abs().max().item()
                                   for a, b in zip(together.parameters(), alone.parameters())))
            rate = lambda seconds: len(SEEDS) * UPDATES / seconds  # noqa: E731
            module = {"lstm": "nn.LSTM", "rnn": "nn.RNN"}[kind]
            rows.append({
                "benchmark": f"lecture 01: {len(SEEDS)} seeds of a {kind.upper()} at once, CPU, 1 thread",
                "what": f"adding problem T={STEPS}, H={HIDDEN}, B={BATCH}: seed-updates/s of `SeedBatchedRNN` "
                        f"with {len(SEEDS)} seeds vs. the same class one seed at a time vs. `{module}` + "
                        f"`nn.Linear` one seed at a time ({UPDATES} updates, best of {REPEATS})",
                "result": f"{rate(batched):.0f} vs. {rate(serial):.0f} vs. {rate(library):.0f} seed-updates/s "
                          f"(batched {serial / batched:.2f}× the one-at-a-time speed, {library / batched:.2f}× "
                          f"`{module}`'s); largest parameter difference {gap:.1e}",
            })
    finally:
        torch.set_num_threads(threads)
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"| {row['benchmark']} | {row['what']} | {row['result']} |")
