"""`encode_manifest`: a manifest of raw files with absent modalities to a missmodal Parquet file."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from missmodal.data import read_data
from missmodal.encode import EncodeOptions, build_encoder, encode_manifest, load_states
from missmodal.errors import MissmodalError

from encode_fixtures import SIDE, write_manifest

WEIGHT_FREE = {"note": "tfidf:3", "xray": "pixels:4", "ecg": "rocket:40"}
ABSENT = {"note": [3, 7], "xray": [0, 5, 9], "ecg": [2, 11]}


def test_output_is_read_back_with_absent_rows_null(tmp_path):
    manifest, frame = write_manifest(tmp_path)
    result = encode_manifest(manifest, WEIGHT_FREE, tmp_path / "out.parquet", chunk_rows=5, **SIDE)
    table = pq.read_table(result.path)
    for modality, rows in ABSENT.items():
        assert np.flatnonzero(~np.asarray(table.column(modality).is_valid())).tolist() == rows
    data = read_data(result.path)
    assert {m: v.shape[1] for m, v in data.modalities.items()} == {"note": 3, "xray": 4, "ecg": 40}
    assert data.ids.tolist() == frame["id"].tolist() and data.target.tolist() == frame["y"].tolist()
    assert data.covariate_names == ["age", "site=A", "site=B", "site=C"]
    np.testing.assert_allclose(data.covariates[:, 0], frame["age"])


def test_present_rows_equal_the_fitted_encoder_applied_directly(tmp_path):
    from missmodal.encode.inputs import load_array

    manifest, frame = write_manifest(tmp_path)
    result = encode_manifest(manifest, {"ecg": "rocket:40", "note": "tfidf:2"}, tmp_path / "out.parquet",
                             ignore=["xray"], **SIDE)
    arrays, config = load_states(result.state_path)["ecg"]
    encoder = build_encoder("rocket:40").load_state(arrays, config)
    rows = [i for i in range(len(frame)) if i not in ABSENT["ecg"]]
    signals = [np.load(tmp_path / frame.ecg[i]) if frame.ecg[i].endswith(".npy")
               else np.loadtxt(tmp_path / frame.ecg[i], delimiter=",") for i in rows]
    np.testing.assert_array_equal(read_data(result.path).modalities["ecg"][rows], encoder.encode(signals))
    assert load_array(frame.ecg[1], tmp_path, None, 1).shape == (51,)  # a .csv signal


def test_batch_sizes_1_and_7_give_identical_output(tmp_path, hf_text_dir):
    manifest, _ = write_manifest(tmp_path)
    specs = dict(WEIGHT_FREE, text=f"hf:{hf_text_dir}")
    columns = {"text": "note"}
    runs = []
    for batch_size in (1, 7):
        frame_copy = tmp_path / f"m{batch_size}.csv"
        frame_copy.write_bytes(manifest.read_bytes())
        data = read_data(encode_manifest(frame_copy, {k: v for k, v in specs.items() if k != "note"}, tmp_path / f"o{batch_size}.parquet",
                                         columns, batch_size=batch_size, chunk_rows=4, **SIDE).path)
        runs.append(data)
    for modality in ("xray", "ecg"):
        np.testing.assert_array_equal(runs[0].modalities[modality], runs[1].modalities[modality])
    np.testing.assert_allclose(runs[0].modalities["text"], runs[1].modalities["text"], atol=1e-5, equal_nan=True)


def test_same_seed_same_output_other_seed_other_output(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    outputs = [read_data(encode_manifest(manifest, WEIGHT_FREE, tmp_path / f"o{i}.parquet", options=EncodeOptions(seed=s),
                                         **SIDE).path) for i, s in enumerate([1, 1, 2])]
    for modality in WEIGHT_FREE:
        np.testing.assert_array_equal(outputs[0].modalities[modality], outputs[1].modalities[modality])
    assert not np.array_equal(outputs[0].modalities["ecg"], outputs[2].modalities["ecg"], equal_nan=True)


INTERRUPTIBLE = """
import numpy as np
calls = []
fail_at = None

def encode(items):
    calls.append(len(items))
    if fail_at is not None and len(calls) == fail_at:
        raise KeyboardInterrupt
    return np.array([[len(s), s.count("a")] for s in items], dtype=float)
"""


def test_an_interrupted_encode_resumes_from_its_cache(tmp_path, monkeypatch):
    (tmp_path / "interruptible.py").write_text(INTERRUPTIBLE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import interruptible

    manifest, frame = write_manifest(tmp_path)
    output, specs = tmp_path / "out.parquet", {"note": "python:interruptible:encode", "xray": "pixels:2"}
    kwargs = dict(chunk_rows=4, batch_size=2, ignore=["ecg"], **SIDE)
    interruptible.fail_at = 4  # the probe call, then chunk 0 (2 calls), then dies in chunk 1
    with pytest.raises(KeyboardInterrupt):
        encode_manifest(manifest, specs, output, **kwargs)
    assert not output.exists() and (tmp_path / "out.parquet.cache" / "note" / "chunk-000000.npy").is_file()
    interruptible.fail_at, interruptible.calls[:] = None, []
    data = read_data(encode_manifest(manifest, specs, output, **kwargs).path)
    assert sum(interruptible.calls) == 1 + frame.note[4:].notna().sum()  # the probe + the present rows after chunk 0
    present = frame.note.notna().to_numpy()
    expected = [[len(s), s.count("a")] for s in frame.note[present]]
    np.testing.assert_array_equal(data.modalities["note"][present], expected)
    assert not (tmp_path / "out.parquet.cache").exists()


def test_a_changed_spec_does_not_reuse_stale_chunks(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    kwargs = dict(ignore=["ecg"], keep_cache=True, **SIDE)
    first = read_data(encode_manifest(manifest, {"note": "tfidf:2", "xray": "pixels:2"}, tmp_path / "o.parquet", **kwargs).path)
    second = read_data(encode_manifest(manifest, {"note": "tfidf:3", "xray": "pixels:2"}, tmp_path / "o.parquet", **kwargs).path)
    assert first.modalities["note"].shape[1] == 2 and second.modalities["note"].shape[1] == 3


def test_a_missing_file_is_an_error_naming_row_and_column(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    (tmp_path / "img" / "img4.png").unlink()
    with pytest.raises(MissmodalError, match=r"column 'xray', row 4: file 'img/img4.png' does not exist"):
        encode_manifest(manifest, WEIGHT_FREE, tmp_path / "o.parquet", **SIDE)
    result = encode_manifest(manifest, WEIGHT_FREE, tmp_path / "o.parquet", missing_files="absent", **SIDE)
    assert result.provenance["xray"]["n_missing_files"] == 1
    assert not read_data(result.path).observed[4, list(WEIGHT_FREE).index("xray")]


def test_an_unreadable_image_names_row_and_file(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    (tmp_path / "img" / "img6.png").write_bytes(b"not a png")
    with pytest.raises(MissmodalError, match=r"column 'xray', row 6: .*img6.png is not a readable image"):
        encode_manifest(manifest, WEIGHT_FREE, tmp_path / "o.parquet", **SIDE)


def test_every_manifest_column_needs_a_role(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    with pytest.raises(MissmodalError, match="column.* with no role: ecg"):
        encode_manifest(manifest, {"note": "tfidf:2", "xray": "pixels:2"}, tmp_path / "o.parquet", **SIDE)
    with pytest.raises(MissmodalError, match="column 'notes' for modality 'notes' not found"):
        encode_manifest(manifest, {"notes": "tfidf:2"}, tmp_path / "o.parquet", **SIDE)


def test_a_saved_state_encodes_new_rows_as_the_training_rows(tmp_path):
    train_dir, new_dir = tmp_path / "train", tmp_path / "new"
    train_dir.mkdir(), new_dir.mkdir()
    train, _ = write_manifest(train_dir, n=14, seed=0)
    new, _ = write_manifest(new_dir, n=12, seed=7)
    fitted = encode_manifest(train, WEIGHT_FREE, train_dir / "train.parquet", **SIDE)
    applied = encode_manifest(new, WEIGHT_FREE, new_dir / "new.parquet", state=fitted.state_path, **SIDE)
    refit = encode_manifest(new, WEIGHT_FREE, new_dir / "refit.parquet", **SIDE)
    states = load_states(fitted.state_path)
    assert load_states(applied.state_path).keys() == states.keys()
    data, other = read_data(applied.path), read_data(refit.path)
    for modality, spec in WEIGHT_FREE.items():
        encoder = build_encoder(spec).load_state(*states[modality])
        assert applied.provenance[modality]["sha256"] == encoder.weights_hash() == fitted.provenance[modality]["sha256"]
        assert not np.allclose(data.modalities[modality], other.modalities[modality], equal_nan=True)
    single = encode_manifest(new, {"note": "tfidf:3", "ecg": "rocket:40"}, new_dir / "one.parquet",
                             state=fitted.state_path, ignore=["xray"], **SIDE)
    np.testing.assert_array_equal(read_data(single.path).modalities["note"], data.modalities["note"])


def test_a_state_of_another_spec_or_without_the_modality_is_refused(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    fitted = encode_manifest(manifest, WEIGHT_FREE, tmp_path / "a.parquet", **SIDE)
    with pytest.raises(MissmodalError, match="fitted with 'tfidf:3', not 'tfidf:2'"):
        encode_manifest(manifest, dict(WEIGHT_FREE, note="tfidf:2"), tmp_path / "b.parquet", state=fitted.state_path, **SIDE)
    partial = encode_manifest(manifest, {"note": "tfidf:3", "xray": "pixels:4"}, tmp_path / "c.parquet", ignore=["ecg"],
                              **SIDE)
    with pytest.raises(MissmodalError, match="no fitted state for modality 'ecg'"):
        encode_manifest(manifest, WEIGHT_FREE, tmp_path / "d.parquet", state=partial.state_path, **SIDE)


def test_provenance_is_recorded_in_the_parquet_metadata(tmp_path, hf_image_dir):
    from missmodal.encode.hashing import directory_sha256

    manifest, _ = write_manifest(tmp_path)
    result = encode_manifest(manifest, {"note": "tfidf:3", "xray": f"hf:{hf_image_dir}"}, tmp_path / "o.parquet",
                             ignore=["ecg"], **SIDE)
    records = read_data(result.path).metadata["encoders"]
    assert records["xray"]["sha256"] == directory_sha256(hf_image_dir) and records["xray"]["dim"] == 16
    assert records["xray"]["pooling"] == "pooler_output" and records["note"]["pooling"] is None
    assert records["note"]["state_file"] == "o.encoders.safetensors" and records["note"]["fitted_on"]["rows"] == 12
    assert {r["missmodal_version"] for r in records.values()} == {"0.1.0"}
    assert records["xray"]["n_absent"] == 3 and records["note"]["n_present"] == 12


def test_tabular_blocks_of_the_manifest_are_carried_through(tmp_path):
    manifest, frame = write_manifest(tmp_path)
    frame["bili"], frame["alb"] = np.arange(14.0), np.where(np.arange(14) % 5 == 0, np.nan, 1.0)
    frame.to_csv(manifest, index=False)
    data = read_data(encode_manifest(manifest, {"note": "tfidf:2"}, tmp_path / "o.parquet", ignore=["xray", "ecg"],
                                     modalities={"labs": ["bili", "alb"]}, **SIDE).path)
    assert data.modality_names == ["labs", "note"]
    np.testing.assert_array_equal(data.modalities["labs"][:, 0], np.arange(14.0))


def test_fit_rows_caps_the_training_sample_drawn_with_the_seed(tmp_path):
    manifest, _ = write_manifest(tmp_path)
    vocabularies = []
    for seed in (0, 0, 1, 2, 3):
        result = encode_manifest(manifest, {"note": "tfidf:2", "xray": "pixels:2"}, tmp_path / f"o{seed}.parquet",
                                 options=EncodeOptions(seed=seed, fit_rows=6), ignore=["ecg"], **SIDE)
        assert result.provenance["note"]["fitted_on"]["rows"] == 6
        vocabularies.append(tuple(load_states(result.state_path)["note"][1]["vocabulary"]))
    assert vocabularies[0] == vocabularies[1] and len(set(vocabularies)) > 1


def test_a_parquet_manifest_with_a_vector_column_passes_through_numeric(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"id": ["a", "b", "c"], "vec": [[1.0, 2.0], None, [3.0, 4.5]], "note": ["red apple", "green pear", None]})
    frame.to_parquet(tmp_path / "m.parquet")
    data = read_data(encode_manifest(tmp_path / "m.parquet", {"vec": "numeric", "note": "tfidf:1"},
                                     tmp_path / "o.parquet", id="id").path)
    np.testing.assert_array_equal(data.modalities["vec"][[0, 2]], [[1.0, 2.0], [3.0, 4.5]])
    assert data.observed[:, 0].tolist() == [True, False, True]


def test_a_kept_cache_is_not_reused_for_another_dataframe(tmp_path):
    import pandas as pd

    first = pd.DataFrame({"id": ["a", "b", "c"], "note": ["red apple", "green pear", "blue plum"]})
    second = first.assign(note=["green apple", "red pear", "blue pear"])
    kwargs = dict(id="id", keep_cache=True, options=EncodeOptions(fit_rows=10))
    encode_manifest(first, {"note": "tfidf:2"}, tmp_path / "o.parquet", **kwargs)
    again = read_data(encode_manifest(second, {"note": "tfidf:2"}, tmp_path / "o.parquet", **kwargs).path)
    fresh = read_data(encode_manifest(second, {"note": "tfidf:2"}, tmp_path / "fresh.parquet", id="id").path)
    np.testing.assert_array_equal(again.modalities["note"], fresh.modalities["note"])


def test_a_fit_error_names_the_column(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"id": ["a", "b"], "note": ["a", "b"]})  # no word of two letters: nothing to fit
    with pytest.raises(MissmodalError, match=r"DataFrame, column 'note', fitting 'tfidf:1' on 2 rows: .*no word tokens"):
        encode_manifest(frame, {"note": "tfidf:1"}, tmp_path / "o.parquet", id="id")
