"""All-combinations evaluation at scale: streamed chunks, a seeded sample beyond --max-combinations, a
one-line refusal beyond the row limit, and the output says what was evaluated."""

import numpy as np
import pytest

from missmodal import MultimodalData
from missmodal.errors import MissmodalError
from missmodal.evaluate.combinations import all_combinations, combination_codes, iter_combinations, score_combinations


def complete_data(n=30, n_modalities=3, seed=0):
    rng = np.random.default_rng(seed)
    modalities = {f"m{m}": rng.normal(size=(n, 2)).astype(np.float32) for m in range(n_modalities)}
    return MultimodalData(modalities, target=rng.integers(0, 2, n))


def test_all_combinations_are_kept_when_within_the_limit():
    codes, info = combination_codes(4, max_combinations=15)
    assert codes.tolist() == all_combinations(complete_data(n_modalities=4)).metadata["all_combinations"]["codes"]
    assert info == {"evaluated": 15, "total": 15, "sampled": False, "seed": None}


def test_beyond_the_limit_a_seeded_uniform_sample_is_drawn():
    codes, info = combination_codes(16, max_combinations=1024, seed=3)
    assert info == {"evaluated": 1024, "total": 65535, "sampled": True, "seed": 3}
    assert len(set(codes.tolist())) == 1024 and codes.min() >= 1 and codes.max() <= 65535
    sizes = [bin(int(c)).count("1") for c in codes]
    assert sizes == sorted(sizes)
    assert np.array_equal(codes, combination_codes(16, 1024, seed=3)[0])
    assert not np.array_equal(codes, combination_codes(16, 1024, seed=4)[0])
    # uniform over combinations: the mean size of a combination of 16 modalities is 16 * 2^15 / (2^16 - 1) = 8.0001
    assert abs(np.mean(sizes) - 8.0) < 0.25


def test_chunks_hold_whole_combinations_and_at_most_chunk_rows_rows():
    data = complete_data(n=30, n_modalities=4)
    codes = combination_codes(4)[0]
    chunks = list(iter_combinations(data, codes, chunk_rows=100))
    assert [c.n_samples for c in chunks] == [90, 90, 90, 90, 90]
    assert np.array_equal(np.concatenate([c.group_codes() for c in chunks]), all_combinations(data).group_codes())


def test_streamed_scores_equal_the_in_memory_expansion():
    data = complete_data(n=20, n_modalities=4)
    weights = np.arange(1, 9, dtype=np.float32)

    def score(chunk):  # any deterministic function of the masked inputs
        return np.nan_to_num(chunk.to_array()[0]) @ weights

    codes = combination_codes(4)[0]
    target, scores, observed = score_combinations(score, data, codes, chunk_rows=50)
    expanded = all_combinations(data)
    assert np.array_equal(scores, score(expanded)) and np.array_equal(observed, expanded.observed)
    assert np.array_equal(target, expanded.target)


def test_beyond_the_row_limit_the_evaluation_is_refused_in_one_line():
    data = complete_data(n=30, n_modalities=5)
    with pytest.raises(MissmodalError, match=r"930 rows, above the limit of 900; lower --max-combinations \(at most 30"):
        score_combinations(lambda chunk: chunk.target, data, combination_codes(5)[0], max_rows=900)


@pytest.mark.slow
def test_sixteen_modalities_are_evaluated_on_a_sample_and_the_output_says_so(tmp_path):
    import json

    import torch
    from click.testing import CliRunner

    from missmodal.cli import main
    from missmodal.data import write_data
    from missmodal.train import fit_model

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny model: one thread is fastest on a busy machine
    rng = np.random.default_rng(0)
    n, m = 120, 16
    label = rng.integers(0, 2, n)
    modalities = {f"m{j}": (label[:, None] + rng.normal(size=(n, 1))).astype(np.float32) for j in range(m)}
    data = MultimodalData(modalities, target=label)
    fit_model(data, model="late", epochs=1, model_params={"width": 4, "hidden": 8}).save(tmp_path / "run")
    write_data(data, tmp_path / "d.parquet")
    result = CliRunner().invoke(main, ["evaluate", str(tmp_path / "run"), str(tmp_path / "d.parquet"), "--all-combinations",
                                       "--max-combinations", "32", "--combination-seed", "1", "--json", str(tmp_path / "e.json")])
    torch.set_num_threads(before)
    assert result.exit_code == 0, result.output
    assert ("all combinations: 32 of 65535 evaluated (a seeded sample, --combination-seed 1; raise --max-combinations "
            "for more)") in result.output
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["combinations"] == {"evaluated": 32, "total": 65535, "sampled": True, "seed": 1}
    assert report["n_groups"] == 32 and report["n_samples"] == 32 * n
