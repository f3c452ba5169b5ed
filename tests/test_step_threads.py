"""The step's helper thread (nnlab.step.threads): every block once, on two threads, errors
raised in the caller, safe after fork and when nested; OpenBLAS's workers quieted."""

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from nnlab.step import threads
from nnlab.step.threads import for_blocks


def _record(blocks):
    seen, lock = [], threading.Lock()

    def work(start, stop):
        time.sleep(0.01)  # both threads get to run
        with lock:
            seen.append((start, stop, threading.get_ident()))

    for_blocks(blocks, work)
    return seen


def test_every_block_runs_once_shared_by_the_caller_and_the_helper():
    blocks = [(i, i + 1) for i in range(7)]
    seen = _record(blocks)
    assert sorted((a, b) for a, b, _ in seen) == blocks
    idents = {ident for *_, ident in seen}
    assert threading.get_ident() in idents and len(idents) == 2


def test_one_block_stays_on_the_caller():
    seen = _record([(0, 5)])
    assert [(a, b) for a, b, _ in seen] == [(0, 5)]
    assert seen[0][2] == threading.get_ident()


def test_blocks_stay_on_the_caller_while_blas_is_held_to_one_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        assert threads.blas_threads() == 1
        seen = _record([(i, i + 1) for i in range(4)])
    assert {ident for *_, ident in seen} == {threading.get_ident()}
    assert threads.blas_threads() >= 2  # the limit lifted, the helper is back
    assert len({ident for *_, ident in _record([(i, i + 1) for i in range(4)])}) == 2


def test_an_error_on_either_thread_is_raised_in_the_caller():
    caller = threading.get_ident()

    def fail_on(helper: bool):
        def work(start, stop):
            time.sleep(0.01)  # both threads get to take a block
            if (threading.get_ident() != caller) == helper:
                raise ValueError("on the helper" if helper else "on the caller")

        return work

    blocks = [(i, i + 1) for i in range(6)]
    with pytest.raises(ValueError, match="on the caller"):
        for_blocks(blocks, fail_on(helper=False))
    with pytest.raises(ValueError, match="on the helper"):
        for_blocks(blocks, fail_on(helper=True))


def test_for_blocks_inside_the_helper_runs_there_instead_of_waiting_on_itself():
    inner = []

    def work(start, stop):
        if start == 1:  # on the helper: a nested split must not queue behind itself
            for_blocks([(10, 11), (11, 12)], lambda a, b: inner.append(threading.get_ident()))

    done = threading.Event()
    worker = threading.Thread(
        target=lambda: (for_blocks([(0, 1), (1, 2)], work), done.set()), daemon=True
    )
    worker.start()
    assert done.wait(10), "for_blocks called on the helper deadlocked"
    assert len(inner) == 2 and len(set(inner)) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_forked_child_gets_its_own_helper():
    for_blocks([(0, 1), (1, 2)], lambda a, b: None)  # the parent's helper exists
    pid = os.fork()
    if pid == 0:  # the child: the inherited executor has no thread; a new one must start
        _split_in_child()
    assert _wait_for_child(pid) == 0, "for_blocks in a forked child hung or failed"


_SPIN = """
import os, sys, time
os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ.pop("OPENBLAS_THREAD_TIMEOUT", None)
import numpy as np
from nnlab.step import threads
from threadpoolctl import threadpool_info

def spin():
    a = np.ones((600, 600))
    a @ a  # a multi-threaded GEMM: OpenBLAS's worker then waits for work
    cpu = time.process_time()
    time.sleep(0.3)  # this thread sleeps: any CPU time now is the worker's
    return time.process_time() - cpu

before = spin()
quieted = threads.quiet_blas_workers()
after = spin()
a = np.arange(36.0).reshape(6, 6)
right = np.array_equal(a @ a, np.einsum("ij,jk->ik", a, a))
count = [i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"]
print(before, after, quieted, os.environ.get("OPENBLAS_THREAD_TIMEOUT"), right, count)
"""


def _run(code, env=None):
    env = {**os.environ, **(env or {})}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_quiet_blas_workers_stops_openblas_spinning_and_keeps_its_threads():
    before, after, quieted, timeout, right, count = _run(_SPIN)
    assert quieted == "True" and timeout == "None"  # set only while OpenBLAS read it
    # OpenBLAS's worker spins ~2**28 cycles (~0.1 s) after a GEMM; quieted, ~2**20
    assert float(before) > 0.02, f"no spin to quiet ({before} s of CPU while asleep)"
    assert float(after) < 0.01, f"the worker still spins ({after} s of CPU while asleep)"
    assert right == "True" and count == "[2]"


def test_quiet_blas_workers_keeps_a_users_setting_and_skips_with_other_threads():
    users = _SPIN.replace('os.environ.pop("OPENBLAS_THREAD_TIMEOUT", None)', "")
    assert _run(users, {"OPENBLAS_THREAD_TIMEOUT": "25"})[2:4] == ["False", "25"]
    busy = _SPIN.replace(
        "quieted = threads.quiet_blas_workers()",
        "import threading\nt = threading.Thread(target=time.sleep, args=(1,)); t.start()\n"
        "quieted = threads.quiet_blas_workers()",
    )
    assert _run(busy)[2:4] == ["False", "None"]


def test_threaded_pool_and_convolution_give_the_same_bits_as_one_thread(monkeypatch):
    from nnlab import layers, models
    from nnlab.utils import set_random_seed

    def fit_weights():
        set_random_seed(0)
        model = models.Sequential(
            [
                layers.Input((28, 28, 1)),
                layers.Conv2D(8, 3, activation="relu"),
                layers.MaxPooling2D(2),
                layers.Conv2D(16, 3, activation="relu"),
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        rng = np.random.default_rng(0)
        X = rng.random((256, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, len(X))
        model.fit(X, y, batch_size=128, epochs=2, verbose=0, shuffle=False)
        return model.get_weights()

    split = []
    real = threads.for_blocks

    def counting(blocks, work):
        blocks = list(blocks)
        split.append(len(blocks) >= threads.SPLIT_MIN_BLOCKS)
        real(blocks, work)

    for module in ("nnlab.layers.pooling", "nnlab.layers.convolutional", "nnlab.layers.patches"):
        monkeypatch.setattr(f"{module}.for_blocks", counting)
    two = fit_weights()
    assert any(split), "no loop was split over the two threads"
    monkeypatch.setattr(threads, "SPLIT_MIN_BLOCKS", 10**9)  # everything on the caller
    one = fit_weights()
    for a, b in zip(two, one):
        np.testing.assert_array_equal(a, b)


_AFTER_MAIN = """
import threading, time
from nnlab.step.threads import for_blocks

def split(tag):
    out = [0] * 4

    def work(start, stop):
        out[start] = start + 1

    for_blocks([(i, i + 1) for i in range(4)], work)
    print(tag, out == [1, 2, 3, 4])

if EARLY:
    split("early")  # the helper exists before the interpreter starts shutting down

def late():
    time.sleep(0.3)  # the main thread has returned: the interpreter is shutting down
    split("late")

threading.Thread(target=late).start()
"""


@pytest.mark.parametrize("early", [False, True], ids=["no-helper-yet", "helper-started"])
def test_a_thread_that_outlives_the_main_thread_still_gets_its_blocks_done(early):
    """A fit on a (non-daemon) thread that the main thread does not wait for runs after
    the interpreter began its shutdown, when no executor accepts work any more."""
    printed = _run(f"EARLY = {early}\n" + _AFTER_MAIN)
    assert printed == (["early", "True"] if early else []) + ["late", "True"]


def _split_in_child() -> None:
    """In a forked child: for_blocks over two blocks, then exit 0 if both ran, else 1."""
    code = 1
    try:
        out = [0, 0]

        def work(start, stop):
            out[start] = start + 1

        for_blocks([(0, 1), (1, 2)], work)
        code = 0 if out == [1, 2] else 1
    finally:
        os._exit(code)


def _wait_for_child(pid: int, seconds: float = 20) -> int | None:
    """The forked child's exit code, or None (and the child killed) if it hangs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    return None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_fork_while_another_thread_starts_the_helper_does_not_hang_the_child():
    """Another thread holds the lock around the helper's creation when this one forks:
    the child inherits that lock held, by a thread it does not have."""
    held, release = threading.Event(), threading.Event()

    def starting_the_helper():
        with threads._helper_lock:
            held.set()
            release.wait(20)

    other = threading.Thread(target=starting_the_helper, daemon=True)
    other.start()
    assert held.wait(10)
    pid = os.fork()
    if pid == 0:
        _split_in_child()
    release.set()
    other.join(10)
    assert _wait_for_child(pid) == 0, "for_blocks in the child hung or failed"


_LIMITED = """
import os
os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ.pop("OPENBLAS_THREAD_TIMEOUT", None)
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits
from nnlab.step import threads

def count():
    return [i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"]

a = np.random.default_rng(0).random((300, 300))
with threadpool_limits(1):
    one = a @ a
    quieted = threads.quiet_blas_workers()
    inside, same = count(), np.array_equal(a @ a, one)  # still 1 thread: the same bits
print(quieted, inside, same, count(), threads.quiet_blas_workers())
"""


def test_quiet_blas_workers_keeps_a_threadpoolctl_limit_and_acts_once():
    quieted, inside, same, after, again = _run(_LIMITED)
    assert (quieted, inside, same) == ("True", "[1]", "True")
    assert (after, again) == ("[2]", "False")  # the limit lifted as usual; once only
