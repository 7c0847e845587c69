"""`mathpref report --html` opened in a real headless browser (Debian's chromium driven by
Playwright): every plot rendered, no console errors. Under CI=true a missing browser fails."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mathpref.pipeline.runner import Runner
from mathpref.pipeline.spec import load_spec
from mathpref.store import Store
from tests.evaluation.eval_helpers import build_hand_run

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(what: str):
    msg = f"{what}; install it with ./scripts/setup --chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: {msg}")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    exe = shutil.which("chromium")
    if exe is None:
        _missing("Debian's chromium is not on PATH")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


def _report(store: Path, pipeline: str, out: Path, *extra: str) -> str:
    r = subprocess.run(
        [sys.executable, "-m", "mathpref.cli", "report", "--html", str(out)]
        + ["--pipeline", pipeline, "--store", str(store), *extra],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def _open(browser, path: Path):
    """Load the page; return it with the console errors and page errors seen."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url[:80]}"))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors


def _check_plots(page) -> list[str]:
    """Every plot's image decoded and its screenshot region is not blank; returns their keys."""
    from PIL import Image

    keys = []
    for fig in page.query_selector_all("figure.plot"):
        img = fig.query_selector("img")
        key = fig.get_attribute("data-plot")
        assert img.evaluate("i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0"), key
        shot = Image.open(io.BytesIO(img.screenshot())).convert("L")
        assert shot.size[0] > 100 and shot.size[1] > 100, key
        low, high = shot.getextrema()
        dark = sum(shot.histogram()[:200]) / (shot.size[0] * shot.size[1])
        assert high - low > 100 and dark > 0.01, f"plot {key} looks blank ({dark:.4f} dark)"
        keys.append(key)
    return keys


@pytest.fixture(scope="module")
def qwen_store(tmp_path_factory):
    if not (REPO.parent / "shared" / "data" / "qwen25_math_samples").is_dir():
        pytest.skip("../shared/data is not beside the checkout")
    store = tmp_path_factory.mktemp("qwen-report") / "st"
    Runner(load_spec(str(REPO / "pipelines" / "math-qwen-samples.toml")), Store(store)).build()
    return store


def test_build_report_renders_every_plot(browser, qwen_store, tmp_path):
    out = tmp_path / "qwen.html"
    assert "(6 plot(s))" in _report(qwen_store, "math-qwen-samples", out)
    text = out.read_text()
    assert "<script" not in text and "http://" not in text and "https://" not in text
    page, errors = _open(browser, out)
    keys = _check_plots(page)
    assert keys == [
        "arm_accuracy",
        "pass_rate_histogram",
        "s_end_vs_correctness",
        "pair_types",
        "length_comparison",
        "metric_curves",
    ]
    body = page.inner_text("body")
    assert "maj@8" in body and "arm_accuracy" in body  # the metrics table and the analyses
    shot = os.environ.get("MATHPREF_REPORT_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=True)
    page.close()
    assert errors == []


def test_eval_report_with_comparison(browser, tmp_path):
    store = tmp_path / "st"
    for run in ("A", "B"):
        build_hand_run(tmp_path, store, run)
    out = tmp_path / "eval.html"
    _report(store, "run-A", out)  # run-B is found as an evaluation run on the same benchmark
    page, errors = _open(browser, out)
    assert _check_plots(page) == ["arm_accuracy", "metric_curves"]
    body = page.inner_text("body")
    assert "Paired comparison on 12 shared problem(s)" in body
    assert "exact McNemar p = 0.1797 (b = 2, c = 7): NOT significant" in body
    assert page.query_selector_all("p.verdict.ns")
    page.close()
    assert errors == []


def test_the_checks_catch_a_blank_plot_and_a_console_error(browser, tmp_path):
    """The two checks above can fail: a white image and a script error are caught."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 360), "white").save(buf, format="PNG")
    from mathpref.plots import data_uri

    page_file = tmp_path / "bad.html"
    page_file.write_text(
        '<!DOCTYPE html><html><body><figure class="plot" data-plot="blank">'
        f'<img width="640" height="360" src="{data_uri(buf.getvalue())}"></figure>'
        "<script>undefinedFunction();</script></body></html>"
    )
    page, errors = _open(browser, page_file)
    with pytest.raises(AssertionError, match="plot blank looks blank"):
        _check_plots(page)
    page.close()
    assert any("undefinedFunction" in e for e in errors)
