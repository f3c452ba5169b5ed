"""The append-only results file: one JSON line per finished trial, resumable.

The first line is a header describing the search (strategy and its options, space,
seed, folds, a fingerprint of the data). Every finished trial is appended as one line,
flushed and fsync'ed as it completes, so a killed search loses at most the trials in
flight (a half-written last line is dropped on resume). Opening an existing file is
refused unless `resume=True`, and a resumed search must have the same header.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "trials.jsonl")
    >>> with ResultsFile(path, {"seed": 0}) as results:
    ...     results.append({"key": "0:full", "status": "ok"})
    >>> sorted(ResultsFile(path, {"seed": 0}, resume=True).finished)
    ['0:full']
"""

from __future__ import annotations

import json
import os


class ResultsFile:
    """Open (create, or with `resume` reload) a results file for a search `header`."""

    def __init__(self, path, header: dict, resume: bool = False):
        self.path = os.fspath(path)
        self.header = json.loads(json.dumps(header))
        self.finished: dict[str, dict] = {}
        exists = os.path.exists(self.path) and os.path.getsize(self.path) > 0
        if exists and not resume:
            raise ValueError(
                f"The results file {self.path} already exists. Pass --resume (resume=True) "
                "to continue that search, or choose another results path."
            )
        if exists:
            self._reload()
            self._file = open(self.path, "a", encoding="utf-8")
        else:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            self._file = open(self.path, "w", encoding="utf-8")
            self._write({"header": self.header})

    def _reload(self) -> None:
        with open(self.path, "rb") as f:
            raw = f.read()
        lines = raw.split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        if tail:  # a line cut by a kill: drop it
            with open(self.path, "r+b") as f:
                f.truncate(len(raw) - len(tail))
        if not complete:
            raise ValueError(f"{self.path} has no header line: it is not an nnlab results file.")
        try:
            first = json.loads(complete[0])
            rows = [json.loads(line) for line in complete[1:] if line.strip()]
        except json.JSONDecodeError as exc:
            raise ValueError(f"{self.path} is not an nnlab results file: {exc}") from None
        old = first.get("header") if isinstance(first, dict) else None
        if old != self.header:
            diff = sorted(k for k in set(old or {}) | set(self.header)
                          if (old or {}).get(k) != self.header.get(k))  # fmt: skip
            raise ValueError(
                f"{self.path} was written by a different search (differs in {diff}). "
                "Resume with the same settings, or choose another results path."
            )
        self.finished = {row["key"]: row for row in rows}

    def _write(self, row: dict) -> None:
        self._file.write(json.dumps(row, allow_nan=True) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def append(self, record: dict) -> None:
        """Write one finished trial (flushed and fsync'ed before returning)."""
        self._write(record)
        self.finished[record["key"]] = record

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
