"""``tfidf:DIM``: TF-IDF of word tokens followed by a truncated SVD to DIM dimensions (weight-free text).

With counts c_it of term t in text i, ``x_it = (1 + log c_it) * idf_t`` (sublinear tf), each row scaled to
unit l2 norm, ``idf_t = 1 + log((1 + n) / (1 + df_t))``; the embedding is ``x_i V^T`` with V (DIM, terms) the
top right singular vectors of the training matrix. The vocabulary (at most ``MAX_TERMS`` most frequent
terms), idf and V are the fitted state.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InsufficientDataError
from .base import ENCODERS, SizedFittedEncoder

MAX_TERMS = 50000


def _vectorizer(vocabulary=None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, dtype=np.float32, max_features=MAX_TERMS, vocabulary=vocabulary)


@ENCODERS.register("tfidf", "TF-IDF + truncated SVD of texts, fitted on the training rows (tfidf:DIM)")
class TfidfEncoder(SizedFittedEncoder):
    input_kind = "text"

    def fit(self, items: Sequence[str]) -> "TfidfEncoder":
        from sklearn.decomposition import TruncatedSVD

        vectorizer = _vectorizer()
        try:
            matrix = vectorizer.fit_transform(list(items))
        except ValueError:  # every text is empty or stop words only
            raise InsufficientDataError(f"encoder {self.spec!r}: the training texts hold no word tokens") from None
        n_terms = matrix.shape[1]
        if self._dim >= min(n_terms, matrix.shape[0]):
            raise InsufficientDataError(f"encoder {self.spec!r}: DIM {self._dim} must be below the number of training "
                                        f"texts ({matrix.shape[0]}) and distinct terms ({n_terms})")
        svd = TruncatedSVD(n_components=self._dim, random_state=self.options.seed).fit(matrix)
        vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        return self.load_state({"idf": vectorizer.idf_, "components": svd.components_.astype(np.float32)},
                               {"spec": self.spec, "vocabulary": vocabulary, "seed": self.options.seed})

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        self.check_fitted()
        return {"idf": self._vectorizer.idf_, "components": self._components}, self._config

    def load_state(self, arrays: dict[str, np.ndarray], config: dict[str, Any]) -> "TfidfEncoder":
        self._config = dict(config)
        self._vectorizer = _vectorizer({term: j for j, term in enumerate(config["vocabulary"])})
        self._vectorizer.idf_ = np.asarray(arrays["idf"], dtype=np.float32)
        self._components = np.asarray(arrays["components"], dtype=np.float32)
        self._dim = self._components.shape[0]
        self._fitted = True
        return self

    def encode(self, items: Sequence[str]) -> np.ndarray:
        self.check_fitted()
        return np.asarray(self._vectorizer.transform(list(items)) @ self._components.T, dtype=np.float32)
