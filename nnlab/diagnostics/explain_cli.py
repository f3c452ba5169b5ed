"""`nnlab explain`: every number of a training step, on a saved model or a preset.

    nnlab explain --preset lecture-003
    nnlab explain model.nnlab --csv rows.csv --row 3
    nnlab explain model.nnlab --x 0.1,-1.2,0.5 --y 1 --steps 2 --html step.html

No math here: the command reads its inputs and calls `nnlab.diagnostics.explain`.
"""

from __future__ import annotations

import os

import click
import numpy as np

from nnlab.commands.errors import handle_errors
from nnlab.diagnostics.explain import MAX_PARAMS, explain
from nnlab.diagnostics.explain_presets import PRESETS


def _numbers(option: str, text: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in text.split(",")], dtype=np.float64)
    except ValueError:
        raise ValueError(
            f"{option} expects comma-separated numbers, e.g. {option} 1,2.5,-3. Received: {text!r}"
        ) from None


def _from_csv(model, csv_path: str, row: int):
    """Row `row` of a CSV through the model's saved preprocessing, and its target."""
    import pandas as pd

    from nnlab.utils import to_categorical

    prep = getattr(model, "preprocessing", None)
    if prep is None:
        raise ValueError(
            "--csv needs a model saved with its fitted preprocessing (by `nnlab train`); "
            "give the model's inputs directly with --x and --y instead."
        )
    if not os.path.exists(csv_path):
        raise ValueError(f"No such CSV file: {csv_path}")
    frame = pd.read_csv(csv_path)
    if row >= len(frame):
        raise ValueError(f"--row {row} is past the end of {csv_path} ({len(frame)} rows).")
    rows = frame.iloc[[row]]
    x, y = prep.transform(rows), prep.transform_target(rows)
    if prep.task == "binary":
        y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    elif prep.task == "multiclass":
        y = to_categorical(y, len(prep.classes))
    return x, y


@click.command("explain")
@click.argument("model_path", required=False, type=click.Path(dir_okay=False))
@click.option("--preset", type=click.Choice(sorted(PRESETS)), help="A lecture's example.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="CSV with raw rows.")
@click.option(
    "--row",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Row of --csv (0 = the first data row).",
)
@click.option("--x", "x_text", help="The model's inputs, comma-separated (already scaled).")
@click.option("--y", "y_text", help="The target(s), comma-separated.")
@click.option("--steps", type=click.IntRange(min=1), help="Consecutive steps [preset's or 1].")
@click.option(
    "--digits", type=click.IntRange(0, 12), default=3, show_default=True, help="Decimals printed."
)
@click.option("--weight", help="Weight for the chain rule, e.g. hidden/kernel[2,3].")
@click.option("--all-steps", is_flag=True, help="Write out every step, not only the first.")
@click.option(
    "--max-params",
    type=click.IntRange(min=1),
    default=MAX_PARAMS,
    show_default=True,
    help="Larger models are summarised per layer.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write the explanation as an HTML page.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing --html file (never the command's own inputs).",
)
@handle_errors
def explain_command(
    model_path,
    preset,
    csv_path,
    row,
    x_text,
    y_text,
    steps,
    digits,
    weight,
    all_steps,
    max_params,
    html_path,
    force,
):
    """Every number of a training step: forward, loss, chain rule, update."""
    if (model_path is None) == (preset is None):
        raise ValueError("Give exactly one of: a saved model (MODEL_PATH) or --preset NAME.")
    if csv_path is not None and (preset is not None or x_text is not None or y_text is not None):
        raise ValueError("--csv gives the sample of a saved model; do not combine it with --x/--y.")
    if html_path is not None:  # checked before any work, as every nnlab output
        from nnlab.outputs import check_output

        check_output(html_path, {"the model": model_path, "the input CSV": csv_path}, force)
    if preset is not None:
        build, preset_steps = PRESETS[preset]
        model, x, y = build()
        steps = steps or preset_steps
    else:
        from nnlab.models import load_model

        if not os.path.exists(model_path):
            raise ValueError(f"No such model file: {model_path}")
        model = load_model(model_path)
        if csv_path is not None:
            x, y = _from_csv(model, csv_path, row)
        elif x_text is None or y_text is None:
            raise ValueError("Give the sample: --csv FILE [--row N], or --x ... and --y ...")
    if x_text is not None or y_text is not None:
        if x_text is None or y_text is None:
            raise ValueError("--x and --y go together: give both.")
        x, y = _numbers("--x", x_text)[None, :], _numbers("--y", y_text)[None, :]
    trace = explain(model, x, y, steps=steps or 1, weight=weight, max_params=max_params)
    click.echo(trace.to_text(digits, all_steps), nl=False)
    if html_path is not None:
        from nnlab.fileio import atomic_write

        with atomic_write(html_path, "w", encoding="utf-8") as f:
            f.write(trace.to_html(digits, full_page=True, all_steps=all_steps))
        click.echo(f"wrote {html_path}")
