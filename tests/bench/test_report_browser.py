"""Open report.html in headless Chromium and check that every figure rendered."""

import re
import shutil
import subprocess

import pytest

from missmodal.bench import BenchConfig, run_bench

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var images = Array.from(document.images);
  var ok = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var mark = document.createElement('div');
  mark.id = 'figure-check';
  mark.textContent = 'rendered ' + ok + ' of ' + images.length;
  document.body.appendChild(mark);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package 'chromium'); "
                                              ".ci/run installs it where apt-get can")
def test_every_figure_renders_in_chromium(tmp_path):
    # the clinical cohort's covariates are always observed, so the audit draws its mechanism chart too
    config = BenchConfig(datasets=["clinical:n_samples=200"], sections=["audit", "imputation"], imputers=["mean"])
    run_bench(config, tmp_path)
    html = (tmp_path / "report.html").read_text()
    n_figures = html.count("<img ")
    assert n_figures >= 3
    page = tmp_path / "checked.html"
    page.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"))
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    match = re.search(r"rendered (\d+) of (\d+)", result.stdout)
    assert match, result.stderr[-2000:]
    assert int(match.group(1)) == int(match.group(2)) == n_figures
