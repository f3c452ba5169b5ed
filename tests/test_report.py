"""The HTML report: every section, images inline, nothing fetched, renders in Chromium.

The rendering test drives headless Chromium (Debian's `chromium`, installed by .ci/run)
and writes a screenshot to test-artifacts/. Page-initiated network requests are read
from Chromium's own net log, with a control page proving the detection works.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from nnlab.report import plots, write_report
from nnlab.workflow import train_run

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CLASSIFICATION_SECTIONS = [
    "diagnosis",
    "configuration",
    "model",
    "learning-curves",
    "confusion-matrix",
    "roc",
    "decision-boundary",
    "gradients",
]


@pytest.fixture(scope="module")
def circle_report(tmp_path_factory):
    run = train_run(dataset="circle", hidden="8,8", activation="tanh", epochs=40)
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, run)
    return run, path


class _Resources(HTMLParser):
    """Every URL-bearing attribute and tag of a page."""

    def __init__(self):
        super().__init__()
        self.urls, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data", "action", "background"):
                self.urls.append(value or "")


def test_every_section_is_present_and_images_are_inline(circle_report):
    run, path = circle_report
    html = path.read_text(encoding="utf-8")
    for section in CLASSIFICATION_SECTIONS:
        assert f'<section id="{section}">' in html
    parser = _Resources()
    parser.feed(html)
    assert parser.urls and all(u.startswith("data:image/png;base64,") for u in parser.urls)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert "url(" not in html and "@import" not in html
    assert "default-src 'none'" in html  # the browser itself may fetch nothing
    assert f"{run.test_metrics['test_accuracy']:.4f}" in html


def test_regression_report_has_its_plots(tmp_path):
    run = train_run(dataset="reg_plane", epochs=15)
    html = Path(write_report(tmp_path / "r.html", run)).read_text()
    assert '<section id="regression">' in html and "confusion-matrix" not in html


def test_figures_are_available_from_python(circle_report):
    run, _ = circle_report
    for fig in (
        plots.learning_curves(run.history),
        plots.gradient_norms(run.gradient_norms),
        run.decision_boundary_figure(),
        plots.confusion_matrix(run.confusion.counts, run.class_names),
    ):
        assert fig.axes
        assert fig.get_size_inches().min() > 2


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, (
        "Chromium is needed for this test: apt-get install chromium "
        "(python -m pytest does it when run as root)"
    )
    return path


def _render(page: Path, tmp: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """Load a page in headless Chromium: (rendered DOM, URLs the page itself requested)."""
    netlog = tmp / f"{page.stem}-net.json"
    args = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / (page.stem + '-profile')}",
        f"--log-net-log={netlog}",
        "--window-size=1200,4200",
        "--hide-scrollbars",
        "--virtual-time-budget=3000",
    ]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            args + [f"--screenshot={screenshot}", page.as_uri()],
            capture_output=True,
            timeout=120,
            check=True,
        )
    dom = subprocess.run(
        args + ["--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    log = json.loads(netlog.read_text() or "{}")
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    requested = [
        e["params"]["url"]
        for e in log.get("events", [])
        if e["type"] == start
        and "url" in e.get("params", {})
        and e["params"].get("initiator") != "not an origin"
    ]  # Chromium's own service requests carry initiator "not an origin"
    return dom, [u for u in requested if not u.startswith(("file:", "data:"))]


def test_report_renders_in_headless_chromium_without_requests(circle_report, tmp_path):
    _, path = circle_report
    shot = ARTIFACTS / "report.png"
    dom, requests = _render(path, tmp_path, screenshot=shot)
    for section in CLASSIFICATION_SECTIONS:
        assert f'id="{section}"' in dom
    assert requests == []
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000  # a real, non-blank page


def test_the_request_detector_sees_a_page_request(tmp_path):
    """Control: a page that does fetch something is caught, so the test above can fail."""
    page = tmp_path / "leaky.html"
    page.write_text('<html><body><img src="http://127.0.0.1:9/pixel.png"></body></html>')
    _, requests = _render(page, tmp_path)
    assert any(re.match(r"http://127\.0\.0\.1:9/", u) for u in requests)


def test_write_report_is_atomic(circle_report, tmp_path, monkeypatch):
    run, _ = circle_report
    target = tmp_path / "r.html"
    target.write_text("old report")

    def broken(_run):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr("nnlab.report.html.render_report", broken)
    with pytest.raises(RuntimeError):
        write_report(target, run)
    assert target.read_text() == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
    assert np.isfinite(run.p_test).all()


# -- one confusion-matrix layout (issue 12) ----------------------------------------------
class _Table(HTMLParser):
    """The cells of the report's confusion-matrix table (class="cm")."""

    def __init__(self):
        super().__init__()
        self.rows, self._in, self._cell = [], False, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "cm") in attrs:
            self._in = True
        elif self._in and tag == "tr":
            self.rows.append([])
        elif self._in and tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = False
        elif self._in and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _numbers(text: str) -> tuple[int, float]:
    count, pct = re.fullmatch(r"(\d+)\s*\(?([\d.]+)%\)?", text.strip()).groups()
    return int(count), float(pct)


def test_confusion_figure_and_table_agree_in_orientation_and_numbers(tmp_path):
    run = train_run(dataset="iris", epochs=8, hidden="4")  # a few mistakes on purpose
    html = Path(write_report(tmp_path / "r.html", run)).read_text()
    table = _Table()
    table.feed(html)
    header, *body = table.rows
    names = ["setosa", "versicolor", "virginica"]
    assert header == ["Predicted \\ actual", *names, "Total predicted"]
    assert [row[0] for row in body] == [*names, "Total actual"]
    html_cells = [[_numbers(c) for c in row[1:]] for row in body]

    fig = plots.confusion_matrix(run.confusion)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [row[0] for row in body]
    assert [t.get_text() for t in ax.get_xticklabels()] == header[1:]
    assert ax.get_ylabel() == "predicted label" and ax.get_xlabel() == "actual label"
    fig_cells = [[None] * 4 for _ in range(4)]
    for t in ax.texts:
        x, y = t.get_position()
        fig_cells[int(y)][int(x)] = _numbers(t.get_text().replace("\n", " "))
    assert fig_cells == html_cells

    # and the numbers are the truth: cell (i, j) = predicted class i, actual class j
    pred = run.p_test.argmax(axis=1)
    for i in range(3):
        for j in range(3):
            n = int(np.sum((pred == i) & (run.y_test == j)))
            assert html_cells[i][j] == (n, round(100 * n / len(pred), 2))
    assert (pred != run.y_test).any()  # an off-diagonal cell is checked too
    # the metric function's array keeps scikit-learn's orientation (rows true)
    from sklearn.metrics import confusion_matrix as sk_confusion

    np.testing.assert_array_equal(run.confusion.counts, sk_confusion(run.y_test, pred))


def test_gradient_section_explains_the_figure_and_gives_a_verdict(circle_report):
    run, path = circle_report
    html = path.read_text(encoding="utf-8")
    section = html.split('<section id="gradients">')[1].split("</section>")[0]
    assert "L2 norm of the gradient" in section and "vanishing gradients" in section
    assert "Verdict: " in section


def test_a_csv_runs_report_names_the_csv(tmp_path):
    from nnlab.datasets.bundled import DATA_DIR

    csv = tmp_path / "my_penguins.csv"
    csv.write_bytes((DATA_DIR / "penguins.csv").read_bytes())
    run = train_run(csv=str(csv), target="species", epochs=3)
    html = Path(write_report(tmp_path / "r.html", run)).read_text()
    assert run.dataset == "my_penguins.csv" and run.name == "my_penguins-0"
    assert "<td>dataset</td><td>my_penguins.csv</td>" in html
    assert "penguins_lecture" not in html
