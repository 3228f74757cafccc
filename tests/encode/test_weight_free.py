"""The weight-free encoders against independent computations, and their saved state applied to new rows."""

import numpy as np
import pytest

from missmodal.encode import EncodeOptions, build_encoder, load_states, save_states
from missmodal.errors import MissmodalError

from encode_fixtures import TEXTS, write_images


def round_trip(encoder, tmp_path, spec):
    """A new encoder of ``spec`` restored from ``encoder``'s state through a safetensors file."""
    path = save_states(tmp_path / "s.encoders.safetensors", {"m": encoder.state()})
    return build_encoder(spec).load_state(*load_states(path)["m"])


def test_tfidf_equals_sklearn_tfidf_and_svd():
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    encoder = build_encoder("tfidf:3", EncodeOptions(seed=5)).fit(TEXTS)
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(TEXTS)
    expected = TruncatedSVD(n_components=3, random_state=5).fit_transform(matrix)
    np.testing.assert_allclose(encoder.encode(TEXTS), expected, atol=1e-5)


def test_tfidf_state_applied_to_new_rows_equals_the_fitted_encoder(tmp_path):
    encoder = build_encoder("tfidf:3").fit(TEXTS)
    new = ["a red mat", "unseen words only", ""]
    restored = round_trip(encoder, tmp_path, "tfidf:3")
    np.testing.assert_array_equal(restored.encode(new), encoder.encode(new))
    np.testing.assert_array_equal(restored.encode(new)[1:], 0)  # no known term: the zero vector


def test_tfidf_dim_must_be_below_the_vocabulary():
    with pytest.raises(MissmodalError, match="DIM 20 must be below"):
        build_encoder("tfidf:20").fit(TEXTS)


def test_pixels_equals_grey_resize_then_pca(tmp_path):
    from PIL import Image
    from sklearn.decomposition import PCA

    images = [Image.open(tmp_path / n) for n in write_images(tmp_path, 12)]
    encoder = build_encoder("pixels:4").fit(images)
    grey = np.stack([np.asarray(im.convert("L").resize((32, 32), Image.BILINEAR), float).ravel() / 255 for im in images])
    np.testing.assert_allclose(encoder.encode(images), PCA(n_components=4, random_state=0).fit_transform(grey), atol=1e-4)
    restored = round_trip(encoder, tmp_path, "pixels:4")
    new = [Image.open(tmp_path / n) for n in write_images(tmp_path, 3, seed=9)]
    np.testing.assert_array_equal(restored.encode(new), encoder.encode(new))


def brute_force_ppv(signal, weights, dilation, bias):
    """Proportion of positive values of one dilated kernel, by explicit loops."""
    length, total = len(signal), 0
    for t in range(length):
        response = 0.0
        for j, w in enumerate(weights):
            position = t + (j - 4) * dilation
            response += w * signal[position] if 0 <= position < length else 0.0
        total += response > bias
    return total / length


def test_rocket_features_equal_brute_force_convolution():
    from missmodal.encode.rocket import minirocket_kernels

    rng = np.random.default_rng(0)
    signals = [rng.normal(size=60).astype(np.float32) for _ in range(4)]
    encoder = build_encoder("rocket:200").fit(signals)
    arrays, _ = encoder.state()
    kernels = minirocket_kernels()
    features = encoder.encode(signals[:2])
    for f in [0, 83, 84, 150, 199]:
        for i in range(2):
            expected = brute_force_ppv(signals[i], kernels[arrays["kernel_index"][f]], int(arrays["dilation"][f]),
                                       float(arrays["bias"][f]))
            assert features[i, f] == pytest.approx(expected, abs=1e-6)
    assert len(np.unique(arrays["dilation"])) > 1


def test_rocket_is_seeded_and_its_state_encodes_new_signals_the_same(tmp_path):
    rng = np.random.default_rng(1)
    signals = [rng.normal(size=rng.integers(40, 80)) for _ in range(6)]
    first = build_encoder("rocket:50", EncodeOptions(seed=3)).fit(signals)
    again = build_encoder("rocket:50", EncodeOptions(seed=3)).fit(signals)
    other = build_encoder("rocket:50", EncodeOptions(seed=4)).fit(signals)
    np.testing.assert_array_equal(first.encode(signals), again.encode(signals))
    assert not np.array_equal(first.encode(signals), other.encode(signals))
    new = [rng.normal(size=70)]
    np.testing.assert_array_equal(round_trip(first, tmp_path, "rocket:50").encode(new), first.encode(new))


def test_rocket_refuses_a_multichannel_signal():
    with pytest.raises(MissmodalError, match="1-D signal"):
        build_encoder("rocket:10").fit([np.zeros((3, 50))])


def test_numeric_passes_vectors_through_and_checks_their_width():
    encoder = build_encoder("numeric").fit([np.arange(3.0)])
    np.testing.assert_array_equal(encoder.encode([np.arange(3.0), np.ones(3)]), [[0, 1, 2], [1, 1, 1]])
    with pytest.raises(MissmodalError, match="2 values, expected 3"):
        encoder.encode([np.ones(2)])


@pytest.mark.parametrize("spec", ["tfidf:0", "pixels:x", "rocket:", "numeric:3", "nope:1"])
def test_bad_specs_are_one_line_errors(spec):
    with pytest.raises(MissmodalError):
        build_encoder(spec)


def test_a_state_file_that_is_not_one_is_refused(tmp_path):
    (tmp_path / "x.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(MissmodalError, match="unreadable encoder state"):
        load_states(tmp_path / "x.safetensors")
