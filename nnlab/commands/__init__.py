"""Pieces of the `nnlab` command line (the commands themselves are in `nnlab.cli`).

- `options`: one flag per workflow setting, with its default shown in `--help`;
- `console`: what a run prints (the plan, the progress, the summary);
- `run_folder`: the files of a run folder;
- `errors`: the exit codes and one-line messages (`handle_errors`), the `--force` flag;
- `group`: the `nnlab` group itself (usage errors in one line, the overview).
"""
