"""`nnlab tune`: a hyper-parameter search from the shell (registered in nnlab/cli.py).

    nnlab tune iris
    nnlab tune digits --space space.toml --strategy bayes --trials 40 --cv 3 --workers 2
    nnlab tune data.csv --target price --scheduler tcp://10.0.0.5:8786 --resume

Writes into --out (default runs/tune-<data>): trials.jsonl (the resumable results
file), table.csv, best.json, best_model.nnlab and report.html.
"""

from __future__ import annotations

import json
import os

import click

from nnlab.commands.errors import handle_errors


@click.command()
@click.argument("data")
@click.option("--target", default=None, help="Target column (needed for a CSV).")
@click.option("--space", "space_path", type=click.Path(dir_okay=False),
              help="TOML file with a [space] table (default: a space for the task).")
@click.option("--strategy", type=click.Choice(["grid", "random", "halving", "hyperband", "bayes"]),
              default="random", show_default=True, help="How candidates are chosen.")
@click.option("--trials", type=click.IntRange(min=1), default=None,
              help="Candidates to try [default: 20; grid: the whole grid].")
@click.option("--cv", type=click.IntRange(min=2), default=5, show_default=True,
              help="Folds of cross-validation on the training rows.")
@click.option("--scheduler", default=None,
              help="Dask scheduler address (tcp://host:port), or 'serial' for no workers.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster [default: one per core].")
@click.option("--resume", is_flag=True, help="Continue the search in --out/trials.jsonl.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the split, folds, proposals and every trial.")
@click.option("--test-size", type=click.FloatRange(0, 1, max_open=True), default=0.2,
              show_default=True, help="Share of rows kept for the winner's test.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Output folder [default: runs/tune-<data>].")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bar of trials.")
@handle_errors
def tune(data, target, space_path, strategy, trials, cv, scheduler, workers, resume, seed,
         test_size, out_dir, progress):  # fmt: skip
    """Search hyper-parameters of an MLP on DATA (a dataset name or a CSV) by k-fold CV."""
    from nnlab.tuning import Search

    if scheduler and workers:
        raise ValueError("Give either --scheduler (an existing cluster) or --workers, not both.")
    if space_path and not os.path.exists(space_path):
        raise ValueError(f"No such space file: {space_path}")
    if trials is None and strategy != "grid":
        trials = 20
    name = os.path.splitext(os.path.basename(data))[0]
    out_dir = out_dir or os.path.join("runs", f"tune-{name}")
    os.makedirs(out_dir, exist_ok=True)
    search = Search(data, space_path, strategy=strategy, n_trials=trials, cv=cv, seed=seed,
                    scheduler=scheduler or "processes", n_workers=workers,
                    results=os.path.join(out_dir, "trials.jsonl"), resume=resume,
                    test_size=test_size, target=target or "", progress=progress)  # fmt: skip
    result = search.run()
    from nnlab.fileio import atomic_write

    with atomic_write(os.path.join(out_dir, "table.csv"), "w", encoding="utf-8") as f:
        result.table.to_csv(f, index=False)
    best = {"params": result.best_params, "cv_score": result.best_score,
            "trial": result.best_index, "test": result.test_metrics}  # fmt: skip
    with atomic_write(os.path.join(out_dir, "best.json"), "w", encoding="utf-8") as f:
        json.dump(best, f, indent=2)
    result.save_model(os.path.join(out_dir, "best_model.nnlab"))
    result.write_report(os.path.join(out_dir, "report.html"))
    ok = int((result.table["status"] == "ok").sum())
    click.echo(f"trials     {len(result.table)} records, {ok} ok")
    click.echo(f"best       trial {result.best_index}: {json.dumps(result.best_params)}")
    click.echo(f"cv score   {result.best_score:.4f} (mean of {cv} folds)")
    for k, v in result.test_metrics.items():
        click.echo(f"test {k:<6}{v:.4f}")
    click.echo(f"out        {out_dir}")
