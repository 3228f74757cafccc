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


def write_manifest(directory, n=14, seed=0, name="manifest.csv"):
    """A CSV manifest of n samples with text, image files and .npy/.csv signals, some absent, and side columns.

    Absent: note in rows 3 and 7, xray in rows 0, 5 and 9, ecg in rows 2 and 11 (every row keeps one).
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    (directory / "img").mkdir(exist_ok=True)
    (directory / "sig").mkdir(exist_ok=True)
    images = write_images(directory / "img", n, seed=seed)
    signals = []
    for i in range(n):
        signal = rng.normal(size=50 + i).astype(np.float32)
        if i % 4 == 1:
            np.savetxt(directory / "sig" / f"s{i}.csv", signal[None, :], delimiter=",")
            signals.append(f"sig/s{i}.csv")
        else:
            np.save(directory / "sig" / f"s{i}.npy", signal)
            signals.append(f"sig/s{i}.npy")
    frame = pd.DataFrame({
        "id": [f"p{i:02d}" for i in range(n)], "y": [i % 2 for i in range(n)],
        "age": rng.uniform(20, 80, n).round(1), "site": [["A", "B", "C"][i % 3] for i in range(n)],
        "note": [TEXTS[i % len(TEXTS)] for i in range(n)],
        "xray": [f"img/{name_}" for name_ in images], "ecg": signals,
    })
    frame.loc[[3, 7], "note"] = None
    frame.loc[[0, 5, 9], "xray"] = None
    frame.loc[[2, 11], "ecg"] = None
    path = directory / name
    frame.to_csv(path, index=False)
    return path, frame


SIDE = {"target": "y", "id": "id", "covariates": ["age", "site"]}


def subprocess_env(*first):
    """os.environ with ``first`` put ahead on PYTHONPATH, every entry absolute (the child runs in another folder)."""
    import os

    entries = [str(p) for p in first] + [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(entries))
