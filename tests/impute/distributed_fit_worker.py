"""Run under torchrun: fit ClusterImputer data-parallel (gloo) and save what rank r sees.

Usage: python -m torch.distributed.run --nproc_per_node=2 distributed_fit_worker.py DATA.npz DATA.parquet OUT_DIR
Each rank fits (1) on its consecutive in-memory shard and (2) on its Parquet row groups.
"""

import sys

import numpy as np
import torch.distributed as dist

from missmodal.impute import ClusterImputer

PARAMS = dict(n_clusters=4, random_state=0, tol=0, batch_size=7, device="cpu", distributed=True)


def main(array_path: str, parquet_path: str, out_dir: str) -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    with np.load(array_path) as archive:
        X, widths = archive["X"], archive["widths"].tolist()
    bounds = np.linspace(0, len(X), world + 1).astype(int)
    shard = ClusterImputer(modalities=widths, **PARAMS).fit(X[bounds[rank]:bounds[rank + 1]])
    streamed = ClusterImputer(**PARAMS).fit_parquet(parquet_path)
    np.savez(f"{out_dir}/rank{rank}.npz", shard_centres=shard.cluster_centers_, shard_labels=shard.labels_,
             shard_n_iter=shard.n_iter_, stream_centres=streamed.cluster_centers_, stream_labels=streamed.labels_,
             stream_n_iter=streamed.n_iter_, start=bounds[rank], stop=bounds[rank + 1])
    dist.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:4])
