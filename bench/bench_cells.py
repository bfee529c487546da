"""Lecture 05's hand-written LSTM and GRU cells vs. torch's nn.LSTM and nn.GRU.

Both sides get the same weights (copied with ``from_torch``) and the same input of the
lecture's shape -- a batch of 64 windows of 100 characters, embeddings of 48, 256 units --
and are timed on forward + backward of the whole sequence, best of 3 after a
warm-up, by :func:`lecture_utils.cells.time_cells` (the function the lecture's speed
table calls). One row per cell and device: the CPU, and CUDA when there is one.

Where the difference comes from, as read off ``torch.profiler``: see the notes in bench/RESULTS.md.
"""
from __future__ import annotations

import torch

from lecture_utils.cells import time_cells

SHAPE = (64, 100, 48, 256)  # batch, steps, input size, hidden size: the lecture's model
REPEATS = 3  # the shared 2-core VM's speed drifts; the best of a few runs is the stable figure


def run() -> list[dict]:
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        for r in time_cells(shapes=[SHAPE], repeats=REPEATS, device=device):
            module = {"lstm": "nn.LSTM", "gru": "nn.GRU"}[r["cell"]]
            rows.append({
                "benchmark": f"lecture 05: hand-written {r['cell'].upper()} cell, {device.upper()}",
                "what": f"`run_sequence` over `{r['cell'].upper()}Cell` vs. `{module}` with the same "
                        f"weights, forward + backward, B={r['batch']}, T={r['steps']}, "
                        f"I={r['input_size']}, H={r['hidden_size']} (best of {REPEATS} runs)",
                "result": f"{r['ratio']:.1f}× the time of `{module}` "
                          f"({r['hand_ms']:,.0f} ms vs. {r['torch_ms']:,.0f} ms)",
            })
    return rows


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    for row in run():
        print(f"| {row['benchmark']} | {row['what']} | {row['result']} |")
    print(f"{time.perf_counter() - start:.0f} s")
