"""One command-line flag per workflow setting (`nnlab.run_config.SETTINGS`).

The flags default to None, so that a `--config` file's values apply unless a flag is
given; `--help` still shows each setting's real default (`[default: ...]`).
"""

from __future__ import annotations

import os

import click

from nnlab.run_config import (
    ACTIVATIONS,
    DEFAULTS,
    OPTIMIZERS,
    SCALINGS,
    SETTINGS,
    load_config,
    resolve_config,
)

# setting -> (flag names, click type); dataset and csv come from the SOURCE argument.
_FLAGS = {
    "target": (["--target"], str),
    "positive_class": (["--positive-class"], str),
    "drop": (["--drop"], str),
    "hidden": (["--hidden"], str),
    "activation": (["--activation"], click.Choice(ACTIVATIONS)),
    "dropout": (["--dropout"], click.FloatRange(0, 1, max_open=True)),
    "l2": (["--l2"], click.FloatRange(min=0)),
    "optimizer": (["--optimizer"], click.Choice(OPTIMIZERS)),
    "learning_rate": (["--lr", "--learning-rate"], click.FloatRange(min=0, min_open=True)),
    "epochs": (["--epochs"], click.IntRange(min=1)),
    "batch_size": (["--batch-size"], click.IntRange(min=1)),
    "patience": (["--patience"], click.IntRange(min=0)),
    "seed": (["--seed"], int),
    "val_size": (["--val-size"], click.FloatRange(0, 1, max_open=True)),
    "test_size": (["--test-size"], click.FloatRange(0, 1, max_open=True)),
    "scaling": (["--scaling"], click.Choice(SCALINGS)),
    "standardize_target": (["--standardize-target/--no-standardize-target"], bool),
    "non_numeric": (["--non-numeric"], click.Choice(["error", "missing"])),
}


class SettingOption(click.Option):
    """A flag whose value is None unless given (so a config file's value stands) and
    whose help shows the setting's real default."""

    def __init__(self, *args, shown_default: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.shown_default = shown_default

    def get_help_extra(self, ctx):
        extra = super().get_help_extra(ctx)
        if self.shown_default:
            extra["default"] = self.shown_default
        return extra


def shown_default(key: str) -> str:
    """A setting's default as `--help` shows it."""
    value = DEFAULTS[key]
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def setting_flags(exclude=()):
    """A decorator adding one flag per workflow setting (except those in `exclude`)."""

    def decorate(fn):
        for key in reversed(list(_FLAGS)):
            if key in exclude:
                continue
            names, kind = _FLAGS[key]
            extra = {} if kind is bool else {"type": kind}
            fn = click.option(
                *names,
                key,
                cls=SettingOption,
                default=None,
                help=SETTINGS[key],
                shown_default=shown_default(key),
                **extra,
            )(fn)
        return click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="A TOML file of settings (a run's config.toml); flags override it.",
        )(fn)

    return decorate


def looks_like_csv(source: str) -> bool:
    """A path (ends in .csv, has a slash, or exists) rather than a dataset name."""
    return source.endswith(".csv") or os.path.sep in source or os.path.exists(source)


def settings(source, config_path, **flags) -> dict:
    """The run's settings: defaults, then the config file, then SOURCE and the flags."""
    config = load_config(config_path) if config_path else {}
    if source:
        if looks_like_csv(source):
            if not os.path.exists(source):
                raise ValueError(f"No such CSV file: {source}")
            flags["csv"] = os.path.abspath(source)
        else:
            flags["dataset"] = source
    return resolve_config(config, **flags)
