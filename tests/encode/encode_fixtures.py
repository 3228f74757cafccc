"""Constants and helpers shared by the encode tests (the fixtures are in conftest.py)."""

import numpy as np

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + "the a cat dog sat ran on mat red green blue big small".split()
TEXTS = ["the cat sat on the mat", "a dog ran", "red", "the big blue dog sat on a small mat", "green cat",
         "a cat", "dog dog dog", "the mat", "blue", "small red cat ran on the big green mat"]


class NetworkAttempted(AssertionError):
    pass


def write_images(directory, n, seed=0, size=(20, 24)):
    """n random RGB PNG files; their names."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    names = []
    for i in range(n):
        name = f"img{i}.png"
        Image.fromarray(rng.integers(0, 256, size=(*size, 3), dtype=np.uint8)).save(directory / name)
        names.append(name)
    return names
