"""`hf:DIR`: local Hugging Face models, checked against transformers used directly on the same model."""

import numpy as np
import pytest
import torch

from missmodal.encode import EncodeOptions, build_encoder
from missmodal.errors import MissmodalError

from encode_fixtures import TEXTS, NetworkAttempted, write_images


def direct_mean_pooling(directory, texts, max_length=128):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModel.from_pretrained(directory, local_files_only=True).eval()
    rows = []
    with torch.no_grad():
        for text in texts:  # one at a time: no padding at all
            batch = tokenizer([text], truncation=True, max_length=max_length, return_tensors="pt")
            rows.append(model(**batch).last_hidden_state[0].mean(dim=0).numpy())
    return np.stack(rows)


def test_text_mean_pooling_equals_transformers_directly(hf_text_dir):
    encoder = build_encoder(f"hf:{hf_text_dir}")
    assert encoder.input_kind == "text" and encoder.dim == 32
    np.testing.assert_allclose(encoder.encode(TEXTS), direct_mean_pooling(hf_text_dir, TEXTS), atol=1e-5)


def test_text_cls_pooling_is_the_first_token(hf_text_dir):
    from transformers import AutoModel, AutoTokenizer

    encoder = build_encoder(f"hf:{hf_text_dir}", EncodeOptions(pooling="cls"))
    tokenizer = AutoTokenizer.from_pretrained(hf_text_dir)
    model = AutoModel.from_pretrained(hf_text_dir).eval()
    with torch.no_grad():
        expected = model(**tokenizer(TEXTS[:1], return_tensors="pt")).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(encoder.encode(TEXTS[:1]), expected, atol=1e-5)


def test_max_length_truncates(hf_text_dir):
    short = build_encoder(f"hf:{hf_text_dir}", EncodeOptions(max_length=4)).encode(TEXTS[:1])
    np.testing.assert_allclose(short, direct_mean_pooling(hf_text_dir, TEXTS[:1], max_length=4), atol=1e-5)
    assert not np.allclose(short, build_encoder(f"hf:{hf_text_dir}").encode(TEXTS[:1]), atol=1e-3)


def test_text_batch_of_one_equals_padded_batch(hf_text_dir):
    encoder = build_encoder(f"hf:{hf_text_dir}")
    one_by_one = np.concatenate([encoder.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(encoder.encode(TEXTS), one_by_one, atol=1e-5)


def test_image_pooled_output_equals_transformers_directly(hf_image_dir, tmp_path):
    from PIL import Image
    from transformers import AutoImageProcessor, AutoModel

    images = [Image.open(tmp_path / name).convert("RGB") for name in write_images(tmp_path, 3)]
    encoder = build_encoder(f"hf:{hf_image_dir}")
    assert encoder.input_kind == "image" and encoder.dim == 16
    processor = AutoImageProcessor.from_pretrained(hf_image_dir)
    model = AutoModel.from_pretrained(hf_image_dir).eval()
    with torch.no_grad():
        expected = model(**processor(images=images, return_tensors="pt")).pooler_output.numpy()
    np.testing.assert_allclose(encoder.encode(images), expected, atol=1e-5)


def test_the_network_is_cut_in_these_tests():
    import socket

    with pytest.raises(NetworkAttempted):
        socket.create_connection(("huggingface.co", 443))


def test_a_hub_name_is_refused_without_any_download_attempt():
    with pytest.raises(MissmodalError, match="not a local directory"):
        build_encoder("hf:bert-base-uncased")


@pytest.mark.parametrize("remove, message", [("config.json", "no config.json"), ("model.safetensors", "no weights"),
                                             ("tokenizer.json", "neither a tokenizer")])
def test_an_incomplete_directory_says_what_is_missing(hf_text_dir, tmp_path, remove, message):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(hf_text_dir, copy)
    for name in [remove] + (["tokenizer_config.json", "vocab.txt"] if remove == "tokenizer.json" else []):
        (copy / name).unlink(missing_ok=True)
    with pytest.raises(MissmodalError, match=message):
        build_encoder(f"hf:{copy}")


def test_a_tokenizer_without_padding_token_is_a_clear_error(hf_text_dir, tmp_path):
    import shutil

    from transformers import AutoTokenizer

    copy = tmp_path / "model"
    shutil.copytree(hf_text_dir, copy)
    tokenizer = AutoTokenizer.from_pretrained(copy)
    tokenizer.pad_token = None
    tokenizer.save_pretrained(copy)
    with pytest.raises(MissmodalError, match="has no padding token"):
        build_encoder(f"hf:{copy}").encode(["a cat"])


def test_unknown_pooling_and_cuda_without_gpu_are_one_line_errors(hf_text_dir):
    with pytest.raises(MissmodalError, match="--pooling"):
        build_encoder(f"hf:{hf_text_dir}", EncodeOptions(pooling="max"))
    if not torch.cuda.is_available():
        with pytest.raises(MissmodalError, match="CUDA is not available"):
            build_encoder(f"hf:{hf_text_dir}", EncodeOptions(device="cuda")).encode(["a"])


def test_the_hash_changes_with_the_weights(hf_text_dir, tmp_path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(hf_text_dir, copy)
    before = build_encoder(f"hf:{copy}").weights_hash()
    assert before == build_encoder(f"hf:{hf_text_dir}").weights_hash()
    (copy / "config.json").write_text((copy / "config.json").read_text().replace('"hidden_act"', '"hidden_act" '))
    assert build_encoder(f"hf:{copy}").weights_hash() != before
