"""Frozen-encoder benchmark: `hf` text throughput against a plain transformers loop, tfidf peak memory.

Usage::

    python benchmarks/encode.py throughput --seeds 3     # (a) items/s, missmodal encode vs a hand-written loop
    python benchmarks/encode.py memory                   # (b) peak RSS of tfidf encodes at n = 10k and 100k
    python benchmarks/encode.py report                   # JSON parts -> benchmarks/results/encode.md

(a) Per seed: a random-weight BERT (4 layers, hidden 256, 4 heads, intermediate 1024, 2,000-word vocabulary)
saved with save_pretrained, and 1,024 texts of 5-60 words. missmodal's path is the whole
`encode_manifest` run (CSV manifest in, cache chunks, Parquet out; texts batched in order of length within each
1,024-row chunk); the peer is a plain loop (tokenize with
padding, forward, masked mean, to numpy) with the same batch size and max length. Both run in this process,
alternately (order swapped on odd seeds), one thread each; the ratio is paired per seed.
(b) Each case runs in a fresh subprocess so that its peak resident memory (``ru_maxrss``) is its own; the peer
is scikit-learn's TfidfVectorizer + TruncatedSVD fitted and applied on all n texts in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREADS = os.environ.setdefault("MISSMODAL_BENCH_THREADS", "1")
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, THREADS)
os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
# missmodal: defaults (1,024-row chunks, texts batched by length inside a chunk); missmodal-unsorted: chunks of one
# batch, so that every batch holds the same texts, in manifest order, as the plain loop's (pipeline overhead alone).
METHODS = ("missmodal", "missmodal-unsorted", "plain")
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
N_WORDS = 2000


def words() -> list[str]:
    return [f"w{i}" for i in range(N_WORDS)]


def random_texts(n: int, rng: np.random.Generator, low: int = 5, high: int = 60) -> list[str]:
    vocabulary = np.array(words())
    return [" ".join(vocabulary[rng.integers(0, N_WORDS, rng.integers(low, high + 1))]) for _ in range(n)]


def build_model(directory: Path, seed: int) -> None:
    """A random-weight BERT and its word-level tokenizer, saved with save_pretrained."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(SPECIALS) + N_WORDS, hidden_size=256, num_hidden_layers=4,
                        num_attention_heads=4, intermediate_size=1024, max_position_embeddings=128)
    BertModel(config).save_pretrained(directory)
    BertTokenizerFast(vocab={w: i for i, w in enumerate(SPECIALS + words())}).save_pretrained(directory)


def plain_loop(directory: Path, texts: list[str], batch_size: int, max_length: int) -> np.ndarray:
    """The peer: what a user writes by hand with transformers."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory)
    model = AutoModel.from_pretrained(directory).eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start:start + batch_size], padding=True, truncation=True, max_length=max_length,
                              return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out.append(((hidden * mask).sum(1) / mask.sum(1)).numpy())
    return np.concatenate(out)


def missmodal_encode(directory: Path, manifest: Path, output: Path, batch_size: int, max_length: int,
                     chunk_rows: int) -> None:
    from missmodal.encode import EncodeOptions, encode_manifest

    encode_manifest(manifest, {"text": f"hf:{directory}"}, output, id="id", batch_size=batch_size,
                    chunk_rows=chunk_rows, options=EncodeOptions(max_length=max_length))


def throughput(args) -> dict:
    import pandas as pd
    import torch

    from missmodal.data import read_data

    torch.set_num_threads(int(THREADS))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for seed in range(args.seeds):
            model_dir = tmp / f"model{seed}"
            build_model(model_dir, seed)
            texts = random_texts(args.n, np.random.default_rng(seed))
            manifest = tmp / f"manifest{seed}.csv"
            pd.DataFrame({"id": [f"t{i}" for i in range(args.n)], "text": texts}).to_csv(manifest, index=False)
            plain_loop(model_dir, texts[:args.batch_size], args.batch_size, args.max_length)  # warm-up
            timings, outputs = {}, {}
            order = list(METHODS) if seed % 2 == 0 else list(METHODS)[::-1]
            for method in order:
                start = time.perf_counter()
                if method == "plain":
                    outputs[method] = plain_loop(model_dir, texts, args.batch_size, args.max_length)
                else:
                    chunk_rows = 1024 if method == "missmodal" else args.batch_size
                    missmodal_encode(model_dir, manifest, tmp / f"{method}.parquet", args.batch_size, args.max_length,
                                     chunk_rows)
                timings[method] = time.perf_counter() - start
                if method != "plain":
                    outputs[method] = read_data(tmp / f"{method}.parquet").modalities["text"]
            rows.append({"seed": seed, "n": args.n, "seconds": timings,
                         "items_per_s": {m: args.n / t for m, t in timings.items()},
                         "ratio": timings["plain"] / timings["missmodal"],
                         "ratio_unsorted": timings["plain"] / timings["missmodal-unsorted"],
                         "max_abs_diff": max(float(np.abs(outputs["plain"] - outputs[m]).max()) for m in outputs)})
            print(json.dumps(rows[-1]), flush=True)
    ratios = np.array([r["ratio"] for r in rows])
    unsorted = np.array([r["ratio_unsorted"] for r in rows])
    return {"ratio_unsorted_mean": float(unsorted.mean()),
            "ratio_unsorted_sd": float(unsorted.std(ddof=1)) if len(unsorted) > 1 else None,"command": f"python benchmarks/encode.py throughput --seeds {args.seeds} --n {args.n} "
                       f"--batch-size {args.batch_size} --max-length {args.max_length}",
            "batch_size": args.batch_size, "max_length": args.max_length, "rows": rows,
            "ratio_mean": float(ratios.mean()), "ratio_sd": float(ratios.std(ddof=1)) if len(ratios) > 1 else None,
            "ratio_min": float(ratios.min()), "machine": machine()}


MEMORY_CASE = """
import os, resource, sys, time, json
from pathlib import Path
import numpy as np
import pandas as pd
sys.path.insert(0, {bench!r})
from encode import random_texts
n, method, tmp = {n}, {method!r}, Path({tmp!r})
texts = random_texts(n, np.random.default_rng(0), low=3, high=12)
manifest = tmp / f"m{{n}}.csv"
pd.DataFrame({{"id": np.arange(n), "text": texts}}).to_csv(manifest, index=False)
del texts
start = time.perf_counter()
if method == "missmodal":
    from missmodal.encode import encode_manifest
    encode_manifest(manifest, {{"text": "tfidf:64"}}, tmp / f"o{{n}}.parquet", id="id", batch_size=1024)
else:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    texts = pd.read_csv(manifest)["text"].tolist()
    embeddings = TruncatedSVD(64, random_state=0).fit_transform(TfidfVectorizer(sublinear_tf=True).fit_transform(texts))
print(json.dumps({{"n": n, "method": method, "seconds": time.perf_counter() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def memory(args) -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, method in [(n, m) for n in args.sizes for m in ("missmodal", "sklearn-in-memory")]:
            code = MEMORY_CASE.format(bench=str(Path(__file__).resolve().parent), n=n, method=method, tmp=tmp)
            result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    return {"command": f"python benchmarks/encode.py memory --sizes {' '.join(map(str, args.sizes))}",
            "texts": "3-12 random words from a 2,000-word vocabulary; tfidf:64, fit on at most 10,000 rows",
            "rows": rows, "machine": machine()}


def machine() -> str:
    return (f"{platform.machine()}, Python {platform.python_version()}, {os.cpu_count()} CPU cores (shared), "
            f"{THREADS} thread(s), load average {os.getloadavg()[0]:.1f} at the end")


def report(_args) -> None:
    lines = ["# Frozen encoder benchmark (`missmodal encode`)", ""]
    path = RESULTS / "encode_throughput.json"
    if path.exists():
        part = json.loads(path.read_text())
        lines += ["## (a) `hf` text throughput vs a plain transformers loop", "",
                  f"Command: `{part['command']}`  ", f"Machine: {part['machine']}", "",
                  "Model: random-weight BERT, 4 layers, hidden 256, 4 heads, intermediate 1024; 1,024 texts of 5-60 words; "
                  f"batch size {part['batch_size']}, max length {part['max_length']}. missmodal = the whole "
                  "`encode_manifest` run (CSV in, cache, Parquet out; texts of a chunk batched by length); plain = tokenize, forward, masked mean.", "",
                  "`missmodal-unsorted` uses chunks of one batch, so its batches hold the same texts in the same "
                  "order as the plain loop's: the pipeline's overhead alone.", "",
                  "| seed | missmodal items/s | missmodal-unsorted items/s | plain items/s | ratio missmodal / plain | "
                  "ratio unsorted / plain | max abs diff |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for row in part["rows"]:
            speed = row["items_per_s"]
            lines.append(f"| {row['seed']} | {speed['missmodal']:.1f} | {speed['missmodal-unsorted']:.1f} | "
                         f"{speed['plain']:.1f} | {row['ratio']:.3f} | {row['ratio_unsorted']:.3f} | {row['max_abs_diff']:.1e} |")
        sd = f" ± {part['ratio_sd']:.3f}" if part["ratio_sd"] is not None else ""
        sd_unsorted = f" ± {part['ratio_unsorted_sd']:.3f}" if part["ratio_unsorted_sd"] is not None else ""
        lines += ["", f"Ratio over {len(part['rows'])} seeds (mean ± sd, ddof=1): missmodal / plain {part['ratio_mean']:.3f}"
                      f"{sd} (minimum {part['ratio_min']:.3f}); unsorted / plain {part['ratio_unsorted_mean']:.3f}"
                      f"{sd_unsorted}. Target >= 0.9.", ""]
    path = RESULTS / "encode_memory.json"
    if path.exists():
        part = json.loads(path.read_text())
        lines += ["## (b) Peak resident memory, `tfidf:64` on short texts", "", f"Command: `{part['command']}`  ",
                  f"Machine: {part['machine']}", "", f"Texts: {part['texts']}. Each case in a fresh process "
                  "(peak RSS includes the interpreter, numpy/pandas/scikit-learn/pyarrow and the manifest itself).", "",
                  "| n | method | seconds | peak RSS (MB) |", "| --- | --- | --- | --- |"]
        for row in part["rows"]:
            lines.append(f"| {row['n']:,} | {row['method']} | {row['seconds']:.1f} | {row['peak_rss_mb']:.0f} |")
        lines.append("")
    (RESULTS / "encode.md").write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    a = sub.add_parser("throughput")
    a.add_argument("--seeds", type=int, default=3)
    a.add_argument("--n", type=int, default=1024)
    a.add_argument("--batch-size", type=int, default=32)
    a.add_argument("--max-length", type=int, default=128)
    b = sub.add_parser("memory")
    b.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    sub.add_parser("report")
    args = parser.parse_args()
    if args.part == "report":
        return report(args)
    result = {"throughput": throughput, "memory": memory}[args.part](args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"encode_{args.part}.json").write_text(json.dumps(result, indent=1))
    report(args)


if __name__ == "__main__":
    main()
