"""Where a training step's time goes: a py-spy profile of a fit, by kind of work.

    pip install py-spy                     # in the bench extra
    python bench/profile_step.py --task wide-regression [--epochs 2] [--checkout ../base]

Records one fit of the task (bench/ab_step.py's child: the benchmark's data, network and
optimizer) with `py-spy record --threads --native`, then sorts the main thread's samples
inside the epoch loop by the frames they pass through: the BLAS GEMMs, the optimizer's
update, the loss, the ReLU's forward and backward, Dense's own work (bias add, bias
gradient), batching, and the rest (graph walk or step plan loop, guard, logs). With
`--checkout` it profiles another checkout's nnlab (for a profile before a change).
`--raw FILE` sorts a raw profile recorded before instead of recording one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
EPOCH_LOOP = ("train_epoch", "_train_epoch")  # the loop's name now and before issue 13

# (kind, frame-name prefixes): a sample counts for the first kind one of its frames matches
KINDS = [
    ("optimizer update (Adam, blocks, flushing)",
     ("Optimizer.", "update_in_blocks", "Adam.", "flush_denormals")),
    ("loss (fused output + loss)",
     ("TrainingMixin.batch_loss", "Model._loss", "fused_output_loss")),
    ("activation backward (ReLU)", ("ReLU.backward", "Activation.backward_inplace")),
    ("activation forward (ReLU, in place)", ("Activation.forward_inplace",)),
    ("Dense: bias add, db sums", ("Dense.",)),
    ("batching (Data.take, shuffled copy)",
     ("Data.take", "_Data.take", "array_batches", "index_batches")),
]
GEMM = "GEMMs (BLAS, main thread's share)"
OTHER = "other (graph walk or step plan loop, guard, logs)"


def kind_of(frames: list[str]) -> str:
    """The kind of work of one sample, from its frames below the epoch loop."""
    names = [f.split(" (")[0] for f in frames]
    if any("gemm" in name.lower() for name in names):
        return GEMM
    for kind, prefixes in KINDS:
        if any(name.startswith(prefixes) for name in names):
            return kind
    return OTHER


def sort_samples(lines) -> tuple[Counter, int]:
    """Counts per kind of the samples inside the epoch loop, and their total, from py-spy's
    raw format (one 'frame;frame;... count' line per distinct stack)."""
    counts: Counter = Counter()
    total = 0
    for line in lines:
        stack, _, n = line.rstrip("\n").rpartition(" ")
        frames = [f.strip() for f in stack.split(";")]
        loop = [i for i, f in enumerate(frames) if f.split(" (")[0] in EPOCH_LOOP]
        if not loop or not n.isdigit():
            continue
        counts[kind_of(frames[loop[0] + 1:])] += int(n)
        total += int(n)
    return counts, total


def record(task: str, epochs: int, rate: int, checkout: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(checkout), "OPENBLAS_NUM_THREADS": "2"}
    fit = [sys.executable, str(HERE / "ab_step.py"), "--child", task, str(epochs)]
    subprocess.run(
        ["py-spy", "record", "--threads", "--native", "-r", str(rate), "-f", "raw", "-o",
         str(out), "--", *fit], cwd=checkout, env=env, check=True, capture_output=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="wide-regression")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--checkout", default=str(HERE.parent), help="the nnlab to profile")
    parser.add_argument("--raw", help="sort this raw py-spy profile instead of recording")
    args = parser.parse_args(argv)
    if args.raw:
        raw = Path(args.raw)
    else:
        raw = Path(tempfile.mkdtemp()) / "profile.raw"
        record(args.task, args.epochs, args.rate, Path(args.checkout).resolve(), raw)
    with open(raw) as f:
        counts, total = sort_samples(f)
    if not total:
        raise SystemExit(f"{raw}: no samples inside the epoch loop ({', '.join(EPOCH_LOOP)})")
    print(f"main-thread samples inside the epoch loop: {total}")
    for kind, n in counts.most_common():
        print(f"{100 * n / total:5.1f}%  {kind}")


if __name__ == "__main__":
    main()
