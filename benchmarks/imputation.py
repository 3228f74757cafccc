"""Imputation benchmark: quality on mfeat, error and time against the peers on `latent`, cluster speed/memory.

Usage::

    python benchmarks/imputation.py quality --seeds 5          # (a) mfeat: error on hidden values, downstream F1
    python benchmarks/imputation.py quality --seeds 5 --scenarios mcar70 --methods sklearn-iterative
    python benchmarks/imputation.py latent --seeds 3           # (c) latent n = 20k: error and time vs peers
    python benchmarks/imputation.py speed                      # (b) latent 10k / 100k / 1M streamed, GFLOP/s
    python benchmarks/imputation.py report                     # JSON parts -> benchmarks/results/imputation.md

Each part writes ``benchmarks/results/imputation_<part>.json``; quality and latent runs merge their rows into
it (a row is one scenario × seed × method; a rerun replaces it) and append their command, date, machine and
time limit to its ``runs``. ``report`` joins the parts into the Markdown page. Every imputer runs under a
time limit (``--time-limit``); a run past it is recorded as not finished, and a speed ratio from it is
reported as a lower bound. Speed cases of part (b) run in fresh subprocesses so that their peak resident
memory (``ru_maxrss``) is their own.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

# One thread everywhere (BLAS, OpenMP, torch): the 2 cores are shared with other busy jobs, and two threads
# contending with them ran 5-20x slower than one. Set before numpy/torch are imported; override from the shell.
THREADS = os.environ.setdefault("MISSMODAL_BENCH_THREADS", "1")
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, THREADS)

import numpy as np  # noqa: E402

from missmodal._atomic import atomic_path  # noqa: E402

# MISSMODAL_BENCH_RESULTS: write elsewhere (trial runs) instead of the committed results folder
RESULTS = Path(os.environ.get("MISSMODAL_BENCH_RESULTS", Path(__file__).resolve().parent / "results"))
SCENARIOS = {"mcar30": ("mcar", {"rate": 0.3}), "mcar50": ("mcar", {"rate": 0.5}), "mcar70": ("mcar", {"rate": 0.7}),
             "zipf": ("zipf", {"exponent": 1.0})}
# name -> (registry name, params); None = a scikit-learn peer. Seeded imputers get random_state = the run's seed.
# Defaults everywhere: `cluster` is ClusterImputer() (k chosen by masked-block validation), `auto` AutoImputer().
METHODS = {
    "mean": ("mean", {}), "knn": ("knn", {}), "iterative": ("iterative", {}), "generative": ("generative", {}),
    "cluster": ("cluster", {}), "cluster-soft": ("cluster", {"assignment": "soft"}), "auto": ("auto", {}),
    "sklearn-knn": (None, {}), "sklearn-iterative": (None, {}),
}
DEFAULT_METHODS = [m for m in METHODS if m != "sklearn-iterative"]


def set_threads() -> None:
    import torch

    torch.set_num_threads(int(THREADS))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    import torch

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
            "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "load_average_at_start": load,
            "note": f"shared 2-core CPU machine (other developers' jobs running; load average {load:.1f} at start), "
                    f"no GPU; {THREADS} thread(s) for BLAS/OpenMP/torch"}


class TimeLimit(Exception):
    """Raised by the alarm when a run passes its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise :class:`TimeLimit` after ``seconds`` of wall time (SIGALRM; Python-level loops are interrupted)."""
    def _raise(signum, frame):
        raise TimeLimit

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- imputers under comparison, fitted on train rows, filling train and test rows ---------------------------


class StandardisedPeer:
    """A scikit-learn imputer run on the same standardisation as missmodal's: each column centred and scaled
    by its mean and standard deviation over the rows where it is observed (StandardScaler ignores NaN), imputed
    in that space, mapped back."""

    def __init__(self, name: str, seed: int):
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer, KNNImputer
        from sklearn.preprocessing import StandardScaler

        self.scaler = StandardScaler()
        self.imputer = {"sklearn-knn": lambda: KNNImputer(n_neighbors=5),
                        "sklearn-iterative": lambda: IterativeImputer(max_iter=10, random_state=seed)}[name]()

    def fit(self, X: np.ndarray) -> "StandardisedPeer":
        self.imputer.fit(self.scaler.fit_transform(X))
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return self.scaler.inverse_transform(self.imputer.transform(self.scaler.transform(X))).astype(np.float32)


def build(method: str, seed: int):
    from missmodal.impute import make_imputer

    kind, params = METHODS[method]
    if kind is None:
        return StandardisedPeer(method, seed)
    imputer = make_imputer(kind, **params)
    if "random_state" in imputer.get_params():
        imputer.set_params(random_state=seed)
    return imputer


def fit_fill(method: str, seed: int, train, test) -> tuple[np.ndarray, np.ndarray, dict, float]:
    """Fit ``method`` on the incomplete train rows; return the filled train and test arrays, what it chose
    (``metadata["imputation"]``) and the seconds of fit + both fills."""
    started = time.perf_counter()
    imputer = build(method, seed)
    if isinstance(imputer, StandardisedPeer):
        X_train, X_test = train.to_array()[0], test.to_array()[0]
        imputer.fit(X_train)
        filled_train, filled_test, chosen = imputer.transform(X_train), imputer.transform(X_test), {}
    else:
        imputer.fit(train)
        completed = imputer.transform(test)
        filled_train, filled_test = imputer.transform(train).to_array()[0], completed.to_array()[0]
        chosen = {k: v for k, v in completed.metadata["imputation"].items() if k not in ("method", "imputed_slots")}
    return filled_train, filled_test, chosen, time.perf_counter() - started


def as_completed(data, filled: np.ndarray):
    """``data`` with its modalities replaced by the column blocks of ``filled`` (every slot observed)."""
    bounds = np.cumsum([0] + [data.modalities[n].shape[1] for n in data.modality_names])
    return data.replace(modalities={n: filled[:, bounds[m]:bounds[m + 1]] for m, n in enumerate(data.modality_names)},
                        observed=np.ones_like(data.observed))


# --- (a) quality on mfeat ----------------------------------------------------------------------------------


def downstream(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, seed: int,
               mlp: bool) -> dict:
    """F1-micro of a standardised logistic regression (and, with ``mlp``, a small MLP) trained on the imputed
    train rows and scored on the imputed test rows."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X_train)
    scores = {}
    models = {"f1_logreg": LogisticRegression(max_iter=300)}
    if mlp:
        models["f1_mlp"] = MLPClassifier((64,), max_iter=100, early_stopping=True, random_state=seed)
    for key, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(scaler.transform(X_train), y_train)
        scores[key] = float(f1_score(y_test, model.predict(scaler.transform(X_test)), average="micro"))
    return scores


def quality_run(scenario: str, seed: int, methods: list[str], limit: float, mlp: bool) -> list[dict]:
    from sklearn.model_selection import train_test_split

    from missmodal import load_dataset, simulate_missingness
    from missmodal.impute import reconstruction_error

    full = load_dataset("mfeat")
    mechanism, params = SCENARIOS[scenario]
    data = simulate_missingness(full, mechanism, seed=seed, **params)
    train_rows, test_rows = train_test_split(np.arange(full.n_samples), test_size=0.3, random_state=seed,
                                             stratify=full.target)
    train, test = data.subset(train_rows), data.subset(test_rows)
    truth, hidden = full.subset(test_rows), ~test.observed
    rows = []
    for method in methods:
        row = {"scenario": scenario, "seed": seed, "method": method, "time_limit_seconds": limit}
        try:
            with time_limit(limit):
                filled_train, filled_test, chosen, seconds = fit_fill(method, seed, train, test)
        except TimeLimit:
            row["error_message"] = f"not finished within {limit:.0f} s"
            rows.append(row)
            print(f"{scenario} seed {seed} {method:<17} {row['error_message']}", flush=True)
            continue
        errors = reconstruction_error(truth, as_completed(test, filled_test), hidden)
        row.update(impute_seconds=seconds, chosen=chosen, error=errors["mean"],
                   error_per_modality={k: v for k, v in errors.items() if k != "mean"})
        row.update(downstream(filled_train, train.target, filled_test, test.target, seed, mlp))
        rows.append(row)
        print(f"{scenario} seed {seed} {method:<17} error {row['error']:.3f}  F1 LR {row['f1_logreg']:.3f}  "
              f"({seconds:.1f} s) {chosen.get('choice', chosen.get('n_clusters', ''))}", flush=True)
    return rows


def merge_rows(path: Path, rows: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """The rows already in ``path`` (JSON with a ``rows`` list) with those of the same ``keys`` replaced."""
    if not path.exists():
        return rows
    new = {tuple(r[k] for k in keys) for r in rows}
    old = [r for r in json.loads(path.read_text()).get("rows", []) if tuple(r.get(k) for k in keys) not in new]
    return old + rows


def quality(seeds: list[int], scenarios: list[str], methods: list[str], limit: float, mlp: bool, save) -> dict:
    """Rows of every scenario × seed × method; ``save(rows)`` is called after each seed, so a run stopped
    early keeps the seeds it finished."""
    rows = []
    for scenario in scenarios:
        for seed in seeds:
            rows += quality_run(scenario, seed, methods, limit, mlp)
            save(rows)
    return rows


# --- (b) speed and memory on latent ------------------------------------------------------------------------


def latent_incomplete(n: int, seed: int = 0):
    from missmodal import load_dataset, simulate_missingness

    return simulate_missingness(load_dataset("latent", n_samples=n, n_modalities=6, dim=128, seed=seed),
                                "mcar", rate=0.5, seed=seed)


def case_in_memory(n: int, k: int, tol: float) -> dict:
    """Fit + transform of ClusterImputer on n latent rows in memory."""
    from missmodal.impute import ClusterImputer

    data = latent_incomplete(n)
    X, widths = data.to_array()
    del data
    rss_data = peak_rss_mb()
    started = time.perf_counter()
    imputer = ClusterImputer(n_clusters=k, modalities=widths, random_state=0, tol=tol).fit(X)
    fitted = time.perf_counter()
    imputer.transform(X)
    done = time.perf_counter()
    return {"n": n, "k": k, "tol": tol, "fit_seconds": fitted - started, "transform_seconds": done - fitted,
            "total_seconds": done - started, "n_iter": imputer.n_iter_, "data_mb": X.nbytes / 2**20,
            "peak_rss_mb_after_data": rss_data, "peak_rss_mb": peak_rss_mb(),
            "complete_centres": int(imputer.centers_observed_.all(axis=1).sum())}


def write_latent_parquet(n: int, path: str, chunk: int = 100_000) -> dict:
    """The n-row latent dataset with 50% MCAR, written in row chunks (each chunk seeded by its index)."""
    from missmodal import load_dataset, simulate_missingness
    from missmodal.data import ParquetBatchWriter

    full = load_dataset("latent", n_samples=n, n_modalities=6, dim=128, seed=0)
    with ParquetBatchWriter(path) as writer:
        for i, start in enumerate(range(0, n, chunk)):
            part = full.subset(slice(start, start + chunk))
            writer.write(simulate_missingness(part, "mcar", rate=0.5, seed=i))
    return {"n": n, "bytes_on_disk": os.path.getsize(path), "data_mb": n * 768 * 4 / 2**20}


def case_streamed(path: str, k: int, batch_size: int, tol: float, max_iter: int, spill_dir: str | None = None) -> dict:
    """Streamed fit and imputation of a Parquet file in row batches (Lloyd passes replayed from a local
    spill file when ``spill_dir`` is given)."""
    from missmodal.impute import ClusterImputer, impute_parquet

    started = time.perf_counter()
    imputer = ClusterImputer(n_clusters=k, random_state=0, tol=tol, max_iter=max_iter, batch_size=batch_size)
    imputer.fit_parquet(path, batch_size=batch_size, spill_dir=spill_dir)
    fitted = time.perf_counter()
    out = path + ".imputed.parquet"
    counts = impute_parquet(imputer, path, out, batch_size=batch_size)
    done = time.perf_counter()
    os.remove(out)
    return {"n": counts["rows"], "k": k, "batch_size": batch_size, "tol": tol, "max_iter": max_iter,
            "spill": spill_dir is not None, "fit_seconds": fitted - started, "transform_seconds": done - fitted, "total_seconds": done - started,
            "n_iter": imputer.n_iter_, "peak_rss_mb": peak_rss_mb(), "data_mb": counts["rows"] * 768 * 4 / 2**20}


def case_gflops(b: int = 16384, d: int = 768, k: int = 64, repeats: int = 20) -> dict:
    """The assignment step (partial distance + argmin) against torch.matmul of the same shapes."""
    import torch

    from missmodal.impute.distance import BlockGeometry, partial_sq_distance

    g = torch.Generator().manual_seed(0)
    geometry = BlockGeometry([d // 6] * 6)
    o = (torch.rand(b, 6, generator=g) < 0.5).float()
    z = torch.randn(b, d, generator=g) * geometry.expand(o > 0)
    c, q = torch.randn(k, d, generator=g), torch.ones(k, 6)
    z_sq = geometry.block_sq_norms(z)

    def timed(fn):
        fn()
        best = np.inf
        for _ in range(repeats):
            started = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - started)
        return best

    flops = 2 * b * d * k
    t_assign = timed(lambda: torch.argmin(partial_sq_distance(z, o, c, q, geometry), dim=1))
    t_assign_sq = timed(lambda: torch.argmin(partial_sq_distance(z, o, c, q, geometry, z_sq), dim=1))
    t_matmul = timed(lambda: torch.matmul(z, c.T))
    return {"shape": [b, d, k], "matmul_gflops": flops / t_matmul / 1e9, "assignment_gflops": flops / t_assign / 1e9,
            "assignment_gflops_norms_cached": flops / t_assign_sq / 1e9, "ratio": t_matmul / t_assign,
            "note": "best of %d; GFLOP counted as 2·b·D·k for both" % repeats}


def case_mfeat_timing(k: int) -> dict:
    from missmodal import load_dataset, simulate_missingness
    from missmodal.impute import ClusterImputer

    data = simulate_missingness(load_dataset("mfeat"), "mcar", rate=0.5, seed=0)
    best = []
    for _ in range(3):
        started = time.perf_counter()
        ClusterImputer(n_clusters=k, random_state=0).fit(data).transform(data)
        best.append(time.perf_counter() - started)
    return {"k": k, "seconds_best_of_3": min(best), "seconds_all": best}


def subprocess_case(*args: str, timeout: float = 600) -> dict:
    """One case in a fresh process; a failure or timeout is recorded, not raised."""
    command = [sys.executable, __file__, "case", *args]
    print("  $", " ".join(command[1:]), flush=True)
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"not finished within {timeout:.0f} s"}
    if run.returncode != 0:
        return {"error": run.stderr.strip().splitlines()[-1] if run.stderr.strip() else f"exit {run.returncode}"}
    return json.loads(run.stdout.strip().splitlines()[-1])


def speed(sizes: list[int], streamed: int, k: int, tol: float, streamed_max_iter: int) -> dict:
    result = {"k": k, "tol": tol, "mfeat": subprocess_case("mfeat", str(k)), "gflops": subprocess_case("gflops")}
    print(result["mfeat"], result["gflops"], flush=True)
    result["in_memory"] = []
    for n in sizes:
        result["in_memory"].append(subprocess_case("memory", str(n), str(k), str(tol)))
        print(result["in_memory"][-1], flush=True)
    if streamed:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as folder:
            path = os.path.join(folder, "latent.parquet")
            result["streamed_data"] = subprocess_case("write-latent", str(streamed), path)
            result["streamed_runs"] = [subprocess_case("streamed", path, str(k), "65536", str(tol), str(streamed_max_iter),
                                                 timeout=1800)]
            print(result["streamed_runs"], flush=True)
    return result


# --- (c) latent 6 x 128 at n = 20,000: hidden-value error and time against the peers, one process ---------


def latent_run(n: int, n_test: int, seed: int, methods: list[str], limit: float) -> list[dict]:
    """Fit every method on ``n`` incomplete latent rows (50% MCAR) and fill ``n_test`` further rows, in this
    process one after the other; error on the hidden test values, seconds of fit + test fill."""
    from missmodal import load_dataset, simulate_missingness
    from missmodal.impute import reconstruction_error

    full = load_dataset("latent", n_samples=n + n_test, n_modalities=6, dim=128, seed=seed)
    data = simulate_missingness(full, "mcar", rate=0.5, seed=seed)
    train, test = data.subset(slice(0, n)), data.subset(slice(n, n + n_test))
    truth, hidden = full.subset(slice(n, n + n_test)), ~test.observed
    rows = []
    for method in methods:
        row = {"n": n, "n_test": n_test, "seed": seed, "method": method, "time_limit_seconds": limit}
        started = time.perf_counter()
        try:
            with time_limit(limit):
                imputer = build(method, seed)
                if isinstance(imputer, StandardisedPeer):
                    filled = imputer.fit(train.to_array()[0]).transform(test.to_array()[0])
                    chosen = {}
                else:
                    completed = imputer.fit(train).transform(test)
                    filled = completed.to_array()[0]
                    chosen = {k: v for k, v in completed.metadata["imputation"].items()
                              if k not in ("method", "imputed_slots")}
        except TimeLimit:
            row.update(seconds=time.perf_counter() - started, error_message=f"not finished within {limit:.0f} s")
            rows.append(row)
            print(f"latent n={n} seed {seed} {method:<17} {row['error_message']}", flush=True)
            continue
        row.update(seconds=time.perf_counter() - started, chosen=chosen,
                   error=reconstruction_error(truth, as_completed(test, filled), hidden)["mean"])
        rows.append(row)
        print(f"latent n={n} seed {seed} {method:<17} error {row['error']:.3f} ({row['seconds']:.1f} s) "
              f"{chosen.get('choice', chosen.get('n_clusters', ''))}", flush=True)
    return rows


def latent(n: int, n_test: int, seeds: list[int], methods: list[str], limit: float, save) -> list[dict]:
    rows = []
    for seed in seeds:
        rows += latent_run(n, n_test, seed, methods, limit)
        save(rows)
    return rows


LATENT_DATA = "latent, 6 modalities x 128 dims, 50% MCAR; fit on the first n rows, n_test further rows filled and " \
              "scored (error on their hidden true values)"
QUALITY_NOTES = {"split": "stratified 70/30 train/test per seed; imputers fit on the incomplete train rows",
                 "error": "normalised RMSE on the hidden true test values, per modality (units of its spread), averaged"}


# --- report -----------------------------------------------------------------------------------------------


def mean_sd(values: list[float]) -> str:
    """``mean ± sd`` (sd with ddof = 1; only the mean for one value)."""
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f} (1 seed)"
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def per_seed(rows: list[dict], method: str, metric: str, **where) -> dict[int, float]:
    return {r["seed"]: r[metric] for r in rows if r["method"] == method and metric in r
            and all(r.get(k) == v for k, v in where.items())}


def paired(a: dict[int, float], b: dict[int, float]) -> list[float]:
    """Per-seed differences ``a − b`` over the seeds both have."""
    return [a[seed] - b[seed] for seed in sorted(set(a) & set(b))]


def commands_block(part: dict) -> list[str]:
    return [f"- `{run['command']}` ({run['date']}, {run['seconds'] / 60:.1f} min; time limit per run "
            f"{run['time_limit_seconds']:.0f} s; {run['machine']['note']})" for run in part["runs"]]


def quality_report(q: dict) -> list[str]:
    rows = q["rows"]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    scenarios = [s for s in SCENARIOS if any(r["scenario"] == s for r in rows)]
    lines = ["## (a) Quality on mfeat (mean ± sd over seeds, ddof = 1)", "", "Made by:", *commands_block(q), "",
             f"Error: {QUALITY_NOTES['error']}. F1: micro-F1 on the test rows; {QUALITY_NOTES['split']}. Every imputer with its defaults "
             "(settings of `cluster` and `auto` chosen by masked-block validation on the train rows only); "
             "scikit-learn peers on the same per-column standardisation as missmodal's. A cell with fewer seeds "
             "says so; runs past the time limit are listed below the tables.", "",
             "Seeds finished: " + "; ".join(f"{s} {sorted({r['seed'] for r in rows if r['scenario'] == s})}"
                                            for s in scenarios) + ".", ""]
    metrics = (("error", "hidden-value error (lower is better)", min), ("f1_logreg", "F1-micro, logistic regression", max),
               ("f1_mlp", "F1-micro, MLP (64 hidden)", max))
    for metric, title, pick in metrics:
        if sum(any(metric in r for r in rows if r["method"] == m) for m in methods) < 2:
            continue  # a metric only one method was scored on (e.g. the MLP of an --mlp run) compares nothing
        lines += [f"**{title}**", "", "| method | " + " | ".join(scenarios) + " |",
                  "| --- | " + " | ".join("---" for _ in scenarios) + " |"]
        for method in methods:
            cells = [mean_sd(list(per_seed(rows, method, metric, scenario=s).values())) for s in scenarios]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines += ["", f"Paired per-seed difference to the method with the {'lowest' if pick is min else 'highest'} "
                      f"mean of each column (mean ± sd of the differences; * = |mean difference| within the sd of "
                      "that method's own seed values):", "",
                  "| method | " + " | ".join(scenarios) + " |", "| --- | " + " | ".join("---" for _ in scenarios) + " |"]
        leaders = {}
        for s in scenarios:
            full = {m: per_seed(rows, m, metric, scenario=s) for m in methods}
            most = max(len(v) for v in full.values())
            candidates = {m: np.mean(list(v.values())) for m, v in full.items() if len(v) == most}
            leaders[s] = pick(candidates, key=candidates.get)
        for method in methods:
            cells = []
            for s in scenarios:
                best = per_seed(rows, leaders[s], metric, scenario=s)
                if method == leaders[s]:
                    cells.append("(leader)")
                    continue
                diff = paired(per_seed(rows, method, metric, scenario=s), best)
                if len(diff) < 2:
                    cells.append("—")
                    continue
                within = abs(np.mean(diff)) <= np.std(list(best.values()), ddof=1)
                cells.append(f"{np.mean(diff):+.3f} ± {np.std(diff, ddof=1):.3f}{' *' if within else ''}")
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    auto = [r for r in rows if r["method"] == "auto" and "chosen" in r]
    if auto:
        lines += ["**What `auto` chose** (masked-block validation on the train rows; per scenario, choices over seeds)", ""]
        for s in scenarios:
            picks = [r["chosen"].get("choice") for r in auto if r["scenario"] == s]
            lines.append(f"- {s}: " + ", ".join(f"{name} × {picks.count(name)}" for name in dict.fromkeys(picks)))
        lines.append("")
    clusters = [r for r in rows if r["method"] in ("cluster", "cluster-soft") and "chosen" in r]
    if clusters:
        lines += ["**k chosen by `n_clusters=\"auto\"`** (per scenario, over seeds): " + "; ".join(
            f"{m} {s}: " + ", ".join(str(r["chosen"]["n_clusters"]) for r in clusters if r["method"] == m and r["scenario"] == s)
            for m in ("cluster", "cluster-soft") for s in scenarios), ""]
    late = [r for r in rows if "error_message" in r]
    lines += [f"- {r['method']}, {r['scenario']}, seed {r['seed']}: {r['error_message']}" for r in late]
    seconds = {m: [r["impute_seconds"] for r in rows if r["method"] == m and "impute_seconds" in r] for m in methods}
    lines += ["", "Seconds of fit + both fills per run (mean ± sd over all runs): " + "; ".join(
        f"{m} {mean_sd(v)}" for m, v in seconds.items() if v), ""]
    return lines


def latent_report(part: dict) -> list[str]:
    rows = part["rows"]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    n = rows[0]["n"]
    lines = [f"## (c) Latent 6 × 128 at n = {n}: hidden-value error and time against the peers (one process)", "",
             "Made by:", *commands_block(part), "", f"Data: {LATENT_DATA} (n = {n}, n_test = {rows[0]['n_test']}). Each seed runs every method in the same "
             "process one after the other, so the time ratios (peer seconds / cluster seconds, per seed) share the "
             "machine's load. A run past the time limit gives a lower bound on its ratio (the limit / cluster seconds).", "",
             "| method | hidden-value error | seconds (fit + fill) | seconds / cluster seconds (per seed: mean, min) | "
             "error − cluster error (paired) |", "| --- | --- | --- | --- | --- |"]
    reference = {r["seed"]: r["seconds"] for r in rows if r["method"] == "cluster" and "error" in r}
    reference_error = per_seed(rows, "cluster", "error")
    for method in methods:
        done = [r for r in rows if r["method"] == method and "error" in r]
        late = [r for r in rows if r["method"] == method and "error_message" in r]
        errors = [r["error"] for r in done]
        secs = [r["seconds"] for r in done]
        ratios = [r["seconds"] / reference[r["seed"]] for r in done if r["seed"] in reference]
        bounds = [r["time_limit_seconds"] / reference[r["seed"]] for r in late if r["seed"] in reference]
        ratio = f"{np.mean(ratios):.0f}×, {np.min(ratios):.0f}×" if ratios else ""
        if bounds:
            ratio += f"{'; ' if ratio else ''}≥ {np.min(bounds):.0f}× ({len(late)} seed(s) not finished within " \
                     f"{late[0]['time_limit_seconds']:.0f} s)"
        if late and method == "cluster":
            ratio = f"not finished within {late[0]['time_limit_seconds']:.0f} s ({len(late)} seed(s)): no ratio"
        diff = paired(per_seed(rows, method, "error"), reference_error) if method != "cluster" else []
        lines.append(f"| {method} | {mean_sd(errors)} | {mean_sd(secs)} | {ratio} | "
                     f"{(f'{np.mean(diff):+.3f} ± {np.std(diff, ddof=1):.3f}' if len(diff) > 1 else '')} |")
    chosen = [str(r["chosen"].get("n_clusters")) for r in rows if r["method"] == "cluster" and "chosen" in r]
    lines += ["", f"k chosen by the cluster imputer's default (`n_clusters=\"auto\"`), per seed: {', '.join(chosen)}", ""]
    return lines


def speed_report(s: dict) -> list[str]:
    lines = [f"## (b) Cluster imputer speed and memory (latent, 6 × 128 dims, 50% MCAR, k = {s['k']}, tol = {s['tol']})", "",
             "tol: Lloyd stops when at most tol · n rows change cluster in a pass (the library default is "
             "1e-4; 0 is the published rule). Peers are timed in part (c), in one process with the cluster imputer.", "",
             f"Command: `{s['command']}`  ", f"Machine: {s['machine']['note']}", "",
             "| case | n | fit s | transform s | total s | Lloyd passes | peak RSS MB | data MB |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in s["in_memory"]:
        lines.append(f"| cluster, in memory | {c['n']} | {c['fit_seconds']:.1f} | {c['transform_seconds']:.1f} | "
                     f"{c['total_seconds']:.1f} | {c['n_iter']} | {c['peak_rss_mb']:.0f} | {c['data_mb']:.0f} |")
    for c in s.get("streamed_runs", []):
        if "error" in c:
            lines.append(f"| cluster, streamed Parquet, max_iter {c['max_iter']} | {s['streamed_data']['n']} | "
                         f"{c['error']} | | | | | {s['streamed_data']['data_mb']:.0f} |")
            continue
        spill = ", Lloyd passes from a local spill file" if c.get("spill") else ""
        lines.append(f"| cluster, streamed Parquet (batch {c['batch_size']}, max_iter {c['max_iter']}{spill}) | {c['n']} | "
                     f"{c['fit_seconds']:.1f} | {c['transform_seconds']:.1f} | {c['total_seconds']:.1f} | {c['n_iter']} | "
                     f"{c['peak_rss_mb']:.0f} | {c['data_mb']:.0f} |")
    lines += [""] + [f"- {note}" for note in s.get("notes", [])]
    g = s["gflops"]
    lines.append(f"- assignment step {g['shape']} (b, D, k): {g['assignment_gflops']:.1f} GFLOP/s "
                 f"({g['assignment_gflops_norms_cached']:.1f} with row norms cached) vs torch.matmul "
                 f"{g['matmul_gflops']:.1f} GFLOP/s: {g['ratio']:.2f} of the matmul rate")
    m = s["mfeat"]
    lines += [f"- mfeat (2000 × 649, 50% MCAR), k = {m['k']}: fit + transform {m['seconds_best_of_3']:.2f} s (best of 3)", ""]
    return lines


def report(path_md: Path) -> None:
    lines = ["# Imputation benchmark", "", "Written by `python benchmarks/imputation.py report` from the JSON files "
             "next to it; each part lists the commands that made its rows.", ""]
    parts = {"quality": quality_report, "latent": latent_report, "speed": speed_report}
    for name, render in parts.items():
        path = RESULTS / f"imputation_{name}.json"
        if path.exists():
            lines += render(json.loads(path.read_text()))
    with atomic_path(path_md) as tmp:
        Path(tmp).write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--seeds", type=int, default=5)
    q.add_argument("--seed-start", type=int, default=0, help="first seed (seeds seed-start .. seed-start + seeds - 1)")
    q.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=list(SCENARIOS))
    q.add_argument("--methods", nargs="+", default=DEFAULT_METHODS, choices=list(METHODS))
    q.add_argument("--time-limit", type=float, default=900.0, help="seconds per imputer run (fit + fills)")
    q.add_argument("--mlp", action="store_true", help="also score a small MLP downstream (slower)")
    lt = sub.add_parser("latent")
    lt.add_argument("--n", type=int, default=20_000)
    lt.add_argument("--n-test", type=int, default=1_000)
    lt.add_argument("--seeds", type=int, default=2)
    lt.add_argument("--seed-start", type=int, default=0)
    lt.add_argument("--methods", nargs="+", default=["cluster", "cluster-soft", "knn", "sklearn-knn"],
                    choices=list(METHODS))
    lt.add_argument("--time-limit", type=float, default=600.0, help="seconds per imputer run (fit + fill)")
    s = sub.add_parser("speed")
    s.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 100_000])
    s.add_argument("--streamed", type=int, default=1_000_000)
    s.add_argument("--k", type=int, default=64)
    s.add_argument("--tol", type=float, default=1e-2, help="ClusterImputer tol (share of rows changing cluster)")
    s.add_argument("--streamed-max-iter", type=int, default=100, help="Lloyd passes cap of the streamed case")
    c = sub.add_parser("case")
    c.add_argument("name")
    c.add_argument("args", nargs="*")
    sub.add_parser("report")
    args = parser.parse_args()
    set_threads()
    command = "python benchmarks/imputation.py " + " ".join(sys.argv[1:])
    if args.part == "case":
        cases = {"memory": lambda n, k, tol: case_in_memory(int(n), int(k), float(tol)),
                 "write-latent": lambda n, p: write_latent_parquet(int(n), p),
                 "streamed": lambda p, k, b, tol, it, *spill: case_streamed(p, int(k), int(b), float(tol), int(it), *spill),
                 "gflops": case_gflops, "mfeat": lambda k: case_mfeat_timing(int(k))}
        print(json.dumps(cases[args.name](*args.args)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.part == "report":
        report(RESULTS / "imputation.md")
        return
    started, date = time.perf_counter(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    run = {"command": command, "date": date, "machine": machine()}
    path = RESULTS / f"imputation_{args.part}.json"
    if args.part == "speed":
        payload = speed(args.sizes, args.streamed, args.k, args.tol, args.streamed_max_iter)
        payload.update(command=command, machine=run["machine"])
        with atomic_path(path) as tmp:
            Path(tmp).write_text(json.dumps(payload, indent=1) + "\n")
    else:
        seeds = list(range(args.seed_start, args.seed_start + args.seeds))
        keys = ("scenario", "seed", "method") if args.part == "quality" else ("n", "seed", "method")

        def save(rows: list[dict]) -> None:
            """Merge ``rows`` into the part's JSON (rows of the same keys replaced) and record this run; under a
            lock, so that runs of several scenarios in parallel processes do not overwrite each other."""
            with open(path.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                previous = json.loads(path.read_text()) if path.exists() else {}
                runs = [r for r in previous.get("runs", []) if (r["command"], r["date"]) != (command, date)]
                run.update(seconds=time.perf_counter() - started, time_limit_seconds=args.time_limit,
                           finished_rows=len(rows))
                payload = {"rows": merge_rows(path, rows, keys), "runs": runs + [run]}
                with atomic_path(path) as tmp:
                    Path(tmp).write_text(json.dumps(payload, indent=1) + "\n")

        if args.part == "quality":
            quality(seeds, args.scenarios, args.methods, args.time_limit, args.mlp, save)
        else:
            latent(args.n, args.n_test, seeds, args.methods, args.time_limit, save)
    report(RESULTS / "imputation.md")


if __name__ == "__main__":
    main()
