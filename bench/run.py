"""nnlab against PyTorch eager, Keras 3 (TensorFlow) and scikit-learn on the tasks of TASKS.md.

    python bench/run.py [--tasks ...] [--tools ...] [--repeats 3] [--quick]
                        [--epochs-scale keras=0.25 ...] [--out bench/results.json]

Every (task, tool) pair runs in a fresh process (bench/worker.py), pairs interleaved
(A B C A B C ...) and repeated; each process gets 2 threads. Repeat r shuffles (and draws
dropout masks) with seed r in every tool, and a tool's test metric is its mean over the
repeats: one shuffling order moves digits-cnn's test accuracy by up to 3 points
(bench/README.md). The parent builds every task's data and initial weights once and hands
them to the workers through an .npz, measures the GEMM limit in a child process with the
same environment, prints one table per task, a table of ratios (peer time / nnlab time) and
a check against the targets, and writes the raw figures to JSON. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib.metadata as md
import importlib.util
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "worker.py"
sys.path.insert(0, str(HERE))

from bench_tasks import SEED, TASKS  # noqa: E402

ALL_TOOLS = ("nnlab", "torch", "keras", "sklearn")
PEERS = ("torch", "keras", "sklearn")
TOOL_NAMES = {
    "nnlab": "nnlab",
    "torch": "PyTorch eager",
    "keras": "Keras 3 (TF)",
    "sklearn": "scikit-learn MLP",
}
INSTALL_HINT = {
    "torch": "pip install torch==2.13.0",
    "keras": "pip install tensorflow  (brings Keras 3)",
    "sklearn": "pip install scikit-learn",
}
SMALL_TASKS = ("iris", "penguins", "digits", "playground")
LARGE_TASKS = ("mnist-shape", "wide-regression")
# The goal: nnlab's speed-up over each peer on the small tasks ...
SMALL_TARGETS = {"torch": 5.0, "sklearn": 2.5, "keras": 30.0}
# ... over the fastest peer on the throughput tasks, and its share of the step-GEMM bound.
LARGE_TARGET_RATIO = 1.15
LARGE_TARGET_BOUND = 0.75
# The convnets (issue 18): nnlab's speed relative to each peer (seconds_peer / seconds_nnlab),
# and its test accuracy within ACCURACY_POINTS percentage points of each peer's.
CNN_TARGETS = {
    "digits-cnn": {"keras": 1.0, "torch": 1.0},
    "mnist-cnn": {"keras": 1.0, "torch": 0.8},
}
ACCURACY_POINTS = 1.0
THREADS = 2
QUICK_FRACTION = 0.1


# -- environment ---------------------------------------------------------------------------


def child_env(threads: int = THREADS) -> dict:
    """The workers' environment: pinned threads, no OpenBLAS core overrides."""
    env = dict(os.environ)
    for k in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    ):
        env[k] = str(threads)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["KERAS_BACKEND"] = "tensorflow"
    env["PYTHONHASHSEED"] = "0"
    return env


def detect_tools() -> tuple[list[str], dict]:
    """The peers that are importable here (nnlab always) and why the others are missing."""
    have, missing = ["nnlab"], {}
    checks = {"torch": ("torch",), "keras": ("tensorflow", "keras"), "sklearn": ("sklearn",)}
    for tool, mods in checks.items():
        absent = [m for m in mods if importlib.util.find_spec(m) is None]
        if absent:
            missing[tool] = f"not installed ({', '.join(absent)}); {INSTALL_HINT[tool]}"
            continue
        if tool == "keras":
            try:
                major = int(md.version("keras").split(".")[0])
            except (md.PackageNotFoundError, ValueError):
                major = 0
            if major < 3:
                missing[tool] = f"Keras {md.version('keras')} is not Keras 3; {INSTALL_HINT[tool]}"
                continue
        have.append(tool)
    return have, missing


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in (
        "numpy",
        "scipy",
        "scikit-learn",
        "torch",
        "tensorflow",
        "keras",
        "threadpoolctl",
        "pandas",
    ):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = None
    try:
        import nnlab

        out["nnlab"] = nnlab.__version__
    except ImportError:
        out["nnlab"] = None
    return out


def machine_info() -> dict:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_model": model,
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "memory_gib": mem,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "loadavg_at_start": list(os.getloadavg()),
    }


def git_info() -> dict:
    """The commit measured, and whether nnlab/ or bench/ differ from it."""

    def git(*args):
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    return {
        "commit": git("rev-parse", "HEAD"),
        "nnlab_dirty": bool(git("status", "--porcelain", "--", "nnlab")),
        "bench_dirty": bool(git("status", "--porcelain", "--", "bench")),
    }


def numpy_info() -> dict:
    import numpy as np

    info = {"version": np.__version__}
    try:
        cfg = np.show_config(mode="dicts")
        deps = cfg.get("Build Dependencies", {})
        info["build_blas"] = deps.get("blas")
        info["build_lapack"] = deps.get("lapack")
        info["simd"] = cfg.get("SIMD Extensions")
    except Exception as exc:  # older numpy: no dicts mode
        info["show_config_error"] = repr(exc)
    return info


# -- running -------------------------------------------------------------------------------


def epochs_for(task: str, tool: str, quick: bool, scale: dict) -> int:
    full = TASKS[task].epochs
    frac = QUICK_FRACTION if quick else 1.0
    frac *= scale.get(tool, 1.0)
    if frac >= 1.0:
        return full
    return max(2, min(full, math.ceil(full * frac)))


def run_worker(
    task, tool, data_path, out_path, epochs, env, timeout, seed=0
) -> tuple[dict | None, str]:
    cmd = [
        sys.executable,
        str(WORKER),
        "--task",
        task,
        "--tool",
        tool,
        "--data",
        str(data_path),
        "--out",
        str(out_path),
        "--threads",
        str(THREADS),
        "--seed",
        str(seed),
    ]
    if epochs != TASKS[task].epochs:
        cmd += ["--epochs", str(epochs)]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s: {shlex.join(cmd)}"
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return None, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    res = json.loads(Path(out_path).read_text())
    res["process_wall_seconds"] = wall
    res["loadavg_1min_before"] = load0
    return res, ""


def merge_gemm(first: dict, second: dict) -> dict:
    """Per GEMM the faster of two measurements (taken before and after the runs): the limit
    is what the machine can do, and load from other processes only ever slows it."""
    merged = json.loads(json.dumps(first))
    for task, g in merged["tasks"].items():
        other = {r["label"]: r for r in second["tasks"].get(task, {}).get("gemms", [])}
        rows = []
        for r in g["gemms"]:
            o = other.get(r["label"])
            rows.append(o if o is not None and o["seconds"] < r["seconds"] else r)
        total = sum(r["seconds"] for r in rows)
        g.update(
            gemms=rows,
            step_gemm_seconds=total,
            step_gemm_bound_samples_per_s=g["batch_size"] / total,
        )
    merged["measurements"] = [first, second]
    return merged


def measure_gemm(tasks, env, tmp, timeout=600, tag="gemm") -> dict:
    out = Path(tmp) / f"{tag}.json"
    cmd = [
        sys.executable,
        str(WORKER),
        "--gemm",
        "--tasks",
        *tasks,
        "--out",
        str(out),
        "--threads",
        str(THREADS),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"GEMM measurement failed: {proc.stderr[-2000:]}")
    return json.loads(out.read_text())


# -- summarising ---------------------------------------------------------------------------


def summarize(runs: list[dict], gemm: dict | None = None) -> dict:
    """Per task and tool: median and min-max seconds, metric, steady step, RSS, bound share."""
    groups: dict = {}
    for r in runs:
        groups.setdefault(r["task"], {}).setdefault(r["tool"], []).append(r)
    out: dict = {}
    for task, by_tool in groups.items():
        bound = None
        if gemm and task in gemm.get("tasks", {}):
            bound = gemm["tasks"][task]["step_gemm_bound_samples_per_s"]
        for tool, rs in by_tool.items():
            secs = [r["train_seconds"] for r in rs]
            steady = statistics.median(r["steady_step_ms"] for r in rs)
            batch = rs[0].get("batch_size", TASKS[task].batch if task in TASKS else None)
            frac = None
            if bound and steady and batch:
                frac = (batch / (steady / 1e3)) / bound
            out.setdefault(task, {})[tool] = {
                "n": len(rs),
                "median_s": statistics.median(secs),
                "min_s": min(secs),
                "max_s": max(secs),
                "metric_name": rs[0].get("metric_name"),
                "test_metric": statistics.fmean(r["test_metric"] for r in rs),
                "test_metric_min": min(r["test_metric"] for r in rs),
                "test_metric_max": max(r["test_metric"] for r in rs),
                "steady_step_ms": steady,
                "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
                "bound_fraction": frac,
                "epochs_run": rs[0].get("epochs_run"),
                "epochs_full": rs[0].get("epochs_full"),
                "extrapolated": any(r.get("epochs_run") != r.get("epochs_full") for r in rs),
                "version": rs[0].get("version"),
            }
    return out


def compute_ratios(summary: dict) -> dict:
    """{task: {peer: peer median seconds / nnlab median seconds}} (> 1: nnlab is faster)."""
    ratios = {}
    for task, by_tool in summary.items():
        base = by_tool.get("nnlab")
        if not base or not base["median_s"]:
            continue
        ratios[task] = {
            peer: by_tool[peer]["median_s"] / base["median_s"] for peer in PEERS if peer in by_tool
        }
    return ratios


def check_targets(summary: dict, ratios: dict) -> list[dict]:
    """Each target of the goal as a row: what, wanted, got, ok (None if not measured)."""
    rows = []
    for task in summary:
        r = ratios.get(task, {})
        if task in SMALL_TASKS:
            for peer, want in SMALL_TARGETS.items():
                got = r.get(peer)
                rows.append(
                    {
                        "task": task,
                        "check": f"speed-up vs {peer}",
                        "want": f">= {want}x",
                        "got": got,
                        "ok": None if got is None else got >= want,
                    }
                )
        elif task in LARGE_TASKS:
            got = min(r.values()) if r else None
            fastest = min(r, key=r.get) if r else None
            rows.append(
                {
                    "task": task,
                    "check": f"speed-up vs fastest peer ({fastest})",
                    "want": f">= {LARGE_TARGET_RATIO}x",
                    "got": got,
                    "ok": None if got is None else got >= LARGE_TARGET_RATIO,
                }
            )
            frac = summary[task].get("nnlab", {}).get("bound_fraction")
            rows.append(
                {
                    "task": task,
                    "check": "nnlab share of step-GEMM bound",
                    "want": f">= {LARGE_TARGET_BOUND:.0%}",
                    "got": frac,
                    "ok": None if frac is None else frac >= LARGE_TARGET_BOUND,
                }
            )
        for peer, want in CNN_TARGETS.get(task, {}).items():
            got = r.get(peer)
            rows.append(
                {
                    "task": task,
                    "check": f"speed vs {peer} (peer s / nnlab s)",
                    "want": f">= {want}x",
                    "got": got,
                    "ok": None if got is None else got >= want,
                }
            )
            if peer in summary[task] and "nnlab" in summary[task]:
                rows.append(accuracy_row(task, peer, summary[task]))
        if task in CNN_TARGETS:
            continue  # the peak-RSS comparison is reported in the table, not a target here
        mine = summary[task].get("nnlab", {}).get("peak_rss_mb")
        others = {p: summary[task][p]["peak_rss_mb"] for p in PEERS if p in summary[task]}
        if mine is not None and others:
            lowest = min(others, key=others.get)
            rows.append(
                {
                    "task": task,
                    "check": f"peak RSS below every peer's (lowest: {lowest})",
                    "want": f"< {others[lowest]:.0f} MB",
                    "got": mine,
                    "ok": mine < others[lowest],
                }
            )
    return rows


# -- printing ------------------------------------------------------------------------------


def _fmt_s(x):
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def _fmt_metric(name, v):
    return f"acc {v:.3f}" if name == "accuracy" else f"MSE {v:.4f}"


def _fmt_metric_span(s: dict) -> str:
    """The mean test metric over the repeats (one shuffling seed each), and its range."""
    text = _fmt_metric(s["metric_name"], s["test_metric"])
    lo, hi = s.get("test_metric_min"), s.get("test_metric_max")
    if lo is None or s.get("n", 1) < 2:
        return text
    digits = 3 if s["metric_name"] == "accuracy" else 4
    return f"{text} [{lo:.{digits}f}-{hi:.{digits}f}]"


def format_gemm(gemm: dict) -> str:
    lines = [
        f"== GEMM limit: float32, {gemm['threads']} threads, NumPy "
        f"{_blas_name(gemm.get('blas', []))}; best of before and after the runs =="
    ]
    for task, g in gemm["tasks"].items():
        lines.append(
            f"-- {task}: step-GEMM bound {g['step_gemm_bound_samples_per_s']:,.0f} "
            f"samples/s (batch {g['batch_size']}, {g['step_gemm_seconds'] * 1e6:.1f} us "
            "of GEMM per step)"
        )
        for r in g["gemms"]:
            shape = f"({r['m']}x{r['k']})@({r['k']}x{r['n']})"
            kern = "" if r["kernel"] == "matmul" else f"  [{r['kernel']}]"
            lines.append(
                f"   {r['label']:<16} {shape:<24} {r['gflops']:8.2f} GFLOP/s "
                f"{r['seconds'] * 1e6:9.2f} us{kern}"
            )
    return "\n".join(lines)


def _blas_name(blas) -> str:
    for b in blas:
        if b.get("user_api") == "blas" and "numpy" in (b.get("filepath") or ""):
            return f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')} kernel)"
    for b in blas:
        if b.get("user_api") == "blas":
            return f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')} kernel)"
    return "BLAS unknown"


def accuracy_row(task: str, peer: str, by_tool: dict) -> dict:
    """nnlab's test accuracy against a peer's, in points; not compared when either ran
    fewer epochs than the task's (--quick, --epochs-scale): a shorter fit is less trained."""
    check = f"test accuracy within {ACCURACY_POINTS:g} point of {peer}"
    want = f"{peer} - nnlab <= {ACCURACY_POINTS:g}"
    short = [t for t in ("nnlab", peer) if by_tool[t]["extrapolated"]]
    if short:
        check += f" ({' and '.join(short)} ran fewer epochs: not compared)"
        return {"task": task, "check": check, "want": want, "got": None, "ok": None}
    gap = 100 * (by_tool[peer]["test_metric"] - by_tool["nnlab"]["test_metric"])
    return {"task": task, "check": check, "want": want, "got": gap, "ok": gap <= ACCURACY_POINTS}


def format_task_table(task: str, by_tool: dict, gemm: dict | None, quick: bool) -> str:
    spec = TASKS[task]
    net = spec.describe()
    bound = ""
    if gemm and task in gemm.get("tasks", {}):
        bound = f"; step-GEMM bound {gemm['tasks'][task]['step_gemm_bound_samples_per_s']:,.0f}/s"
    tag = "  [QUICK: fewer epochs, times extrapolated]" if quick else ""
    lines = [f"== {task}: {net}, batch {spec.batch}, {spec.epochs} epochs{bound}{tag} =="]
    head = (
        f"{'tool':<17} {'median s [min - max]':<26} {'test metric: mean [min-max]':<28} "
        f"{'steady ms/step':>14} {'peak RSS MB':>12} {'% of bound':>10}"
    )
    lines += [head, "-" * len(head)]
    for tool in ALL_TOOLS:
        if tool not in by_tool:
            continue
        s = by_tool[tool]
        star = "*" if s["extrapolated"] else ""
        span = f"{_fmt_s(s['median_s'])}{star} [{_fmt_s(s['min_s'])} - {_fmt_s(s['max_s'])}]"
        frac = "" if s["bound_fraction"] is None else f"{100 * s['bound_fraction']:.2f}%"
        lines.append(
            f"{TOOL_NAMES[tool]:<17} {span:<26} "
            f"{_fmt_metric_span(s):<28} "
            f"{s['steady_step_ms']:>14.3f} {s['peak_rss_mb']:>12.0f} {frac:>10}"
        )
    notes = [
        f"{TOOL_NAMES[t]} ran {s['epochs_run']} of {s['epochs_full']} epochs"
        for t, s in by_tool.items()
        if s["extrapolated"]
    ]
    if notes:
        lines.append(
            "* extrapolated to the full epoch count from the steady epoch time: " + "; ".join(notes)
        )
    return "\n".join(lines)


def format_ratios(ratios: dict, summary: dict) -> str:
    peers = [p for p in PEERS if any(p in r for r in ratios.values())]
    head = f"{'task':<16} " + " ".join(f"{TOOL_NAMES[p]:>17}" for p in peers)
    lines = [
        "== Ratios: peer median time / nnlab median time (> 1 means nnlab is faster) ==",
        head,
        "-" * len(head),
    ]
    for task, r in ratios.items():
        cells = []
        for p in peers:
            if p in r:
                star = "*" if summary[task][p]["extrapolated"] else ""
                cells.append(f"{r[p]:>16.2f}{star or ' '}")
            else:
                cells.append(f"{'-':>17}")
        lines.append(f"{task:<16} " + " ".join(cells))
    return "\n".join(lines)


def format_targets(rows: list[dict]) -> str:
    lines = ["== Targets =="]
    for r in rows:
        got = r["got"]
        if got is None:
            got_s = "n/a"
        elif "RSS" in r["check"]:
            got_s = f"{got:.0f} MB"
        elif "bound" in r["check"]:
            got_s = f"{got:.1%}"
        elif "accuracy" in r["check"]:
            got_s = f"{got:+.1f} pt"
        else:
            got_s = f"{got:.2f}x"
        ok = {True: "ok", False: "MISSED", None: "not measured"}[r["ok"]]
        lines.append(f"{r['task']:<16} {r['check']:<46} want {r['want']:<10} got {got_s:<10} {ok}")
    return "\n".join(lines)


# -- main ----------------------------------------------------------------------------------


def parse_scale(items) -> dict:
    out = {}
    for item in items or []:
        tool, _, frac = item.partition("=")
        if tool not in ALL_TOOLS or not frac:
            raise SystemExit(f"--epochs-scale wants TOOL=FRACTION with TOOL in {ALL_TOOLS}")
        out[tool] = float(frac)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="nnlab vs its peers (bench/TASKS.md)")
    p.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    p.add_argument("--tools", nargs="+", default=list(ALL_TOOLS), choices=list(ALL_TOOLS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"run {QUICK_FRACTION:.0%}% of every task's epochs (at least 2) for every "
        "tool and extrapolate; labelled QUICK",
    )
    p.add_argument(
        "--epochs-scale",
        nargs="*",
        metavar="TOOL=FRACTION",
        help="run a slow tool for a fraction of the epochs, extrapolated (e.g. keras=0.25)",
    )
    p.add_argument("--timeout", type=int, default=1800, help="seconds allowed per worker run")
    p.add_argument("--out", default=str(HERE / "results.json"))
    a = p.parse_args(argv)
    scale = parse_scale(a.epochs_scale)

    available, missing = detect_tools()
    tools = [t for t in a.tools if t in available]
    if "nnlab" not in tools:
        tools.insert(0, "nnlab")
    for tool, why in missing.items():
        print(f"missing peer: {TOOL_NAMES[tool]}: {why}", file=sys.stderr)
    print(
        f"tools: {', '.join(tools)}; tasks: {', '.join(a.tasks)}; repeats {a.repeats}"
        + ("; QUICK" if a.quick else ""),
        file=sys.stderr,
    )

    started = _dt.datetime.now(_dt.timezone.utc)
    machine = machine_info()
    git_start = git_info()  # taken just before the snapshot of nnlab/
    env = child_env()
    runs, failures = [], []
    with tempfile.TemporaryDirectory(prefix="nnlab-bench-") as tmp:
        # Every worker imports the same nnlab: a copy of the tree as it is now, so that
        # edits made by others during a long run cannot mix versions.
        snapshot = Path(tmp) / "src"
        shutil.copytree(
            ROOT / "nnlab",
            snapshot / "nnlab",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        env["NNLAB_BENCH_SRC"] = str(snapshot)
        sys.path.insert(0, str(snapshot))
        data = {}
        for task in a.tasks:
            import numpy as np
            from bench_tasks import build_data

            data[task] = Path(tmp) / f"{task}.npz"
            np.savez(data[task], **build_data(task))
        print("measuring the GEMM limit ...", file=sys.stderr)
        gemm_before = measure_gemm(a.tasks, env, tmp, tag="gemm-before")
        k = 0
        n_pairs = sum(
            1 for t in a.tasks for tool in tools if not (tool == "sklearn" and TASKS[t].net)
        )
        total = a.repeats * n_pairs
        for rep in range(a.repeats):
            for task in a.tasks:
                for tool in tools:  # interleaved: A B C A B C ...
                    if tool == "sklearn" and TASKS[task].net:
                        continue  # no convolutional layers in scikit-learn
                    k += 1
                    epochs = epochs_for(task, tool, a.quick, scale)
                    out = Path(tmp) / f"r{rep}-{task}-{tool}.json"
                    res, err = run_worker(
                        task, tool, data[task], out, epochs, env, a.timeout, seed=rep
                    )
                    if res is None:
                        failures.append({"task": task, "tool": tool, "repeat": rep, "error": err})
                        print(f"[{k}/{total}] {task} {tool} FAILED: {err[-300:]}", file=sys.stderr)
                        continue
                    res["repeat"] = rep
                    runs.append(res)
                    print(
                        f"[{k}/{total}] {task:<16} {tool:<8} {res['train_seconds']:8.3f} s  "
                        f"{res['metric_name']} {res['test_metric']:.4f}",
                        file=sys.stderr,
                    )
        print("measuring the GEMM limit again ...", file=sys.stderr)
        gemm = merge_gemm(gemm_before, measure_gemm(a.tasks, env, tmp, tag="gemm-after"))

    summary = summarize(runs, gemm)
    ratios = compute_ratios(summary)
    targets = check_targets(summary, ratios)
    blocks = [format_gemm(gemm)]
    blocks += [format_task_table(t, summary[t], gemm, a.quick) for t in a.tasks if t in summary]
    blocks += [format_ratios(ratios, summary), format_targets(targets)]
    if missing:
        blocks.append(
            "Missing peers: " + "; ".join(f"{TOOL_NAMES[t]}: {w}" for t, w in missing.items())
        )
    if failures:
        blocks.append(
            "Failed runs: " + "; ".join(f"{f['task']}/{f['tool']}#{f['repeat']}" for f in failures)
        )
    text = "\n\n".join(blocks)
    print(text)

    machine["loadavg_at_end"] = list(os.getloadavg())
    git_end = git_info()
    if git_end["commit"] != git_start["commit"]:
        note = (
            f"note: the checkout moved from {str(git_start['commit'])[:10]} to "
            f"{str(git_end['commit'])[:10]} during the run; every run used the snapshot of "
            "nnlab/ taken at the start"
        )
        print(note)
        text += "\n\n" + note
    result = {
        "date": started.isoformat(timespec="seconds"),
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable, *sys.argv]),
        "machine": machine,
        "numpy": {
            **numpy_info(),
            "threadpool_in_workers": gemm.get("blas"),
            "parent_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
            "note": "workers run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE",
        },
        "packages": package_versions(),
        "git": {"at_start": git_start, "at_end": git_end},
        "settings": {
            "threads": THREADS,
            "repeats": a.repeats,
            "quick": a.quick,
            "epochs_scale": scale,
            "seed": SEED,
            "tools": tools,
            "tasks": a.tasks,
            "adam_epsilon": 1e-8,
        },
        "tools_missing": missing,
        "tasks": {t: TASKS[t].to_dict() for t in a.tasks},
        "gemm": gemm,
        "runs": runs,
        "failures": failures,
        "summary": summary,
        "ratios": ratios,
        "targets": targets,
        "tables": text,
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {out}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
