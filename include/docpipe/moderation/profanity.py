"""alt-profanity-check's model, scored with NumPy alone.

The package ships a scikit-learn pipeline (a tf-idf vectoriser and five sigmoid-calibrated linear SVMs,
averaged) as joblib pickles. Importing scikit-learn and unpickling them costs ~3-7 CPU seconds, paid by
every Airflow task process that moderates. The pipeline is plain arithmetic, so docpipe exports its
numbers once per machine into the model cache (`DOCPIPE_MODEL_CACHE`, default `~/.cache/docpipe/models`),
keyed by the hash of the package's model files, and scores from that export in ~10 ms of loading:

    x   = l2-normalised (term counts x idf) over the vectoriser's vocabulary
    p_k = 1 / (1 + exp(a_k * (w_k . x + c_k) + b_k))      for each of the five calibrated SVMs
    p   = mean(p_k)

`predict_prob` returns what `profanity_check.predict_prob` returns (to ~1e-12). Should the export fail
(a read-only cache), the scores come from the package itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from docpipe.config import model_cache_dir

log = logging.getLogger(__name__)

EXPORT_FORMAT = 1  # bump when the exported arrays change meaning


@dataclass(frozen=True)
class ProfanityModel:
    vocabulary: dict[str, int]
    token_pattern: re.Pattern[str]
    lowercase: bool
    idf: np.ndarray  # (V,)
    weights: np.ndarray  # (V, K): each SVM's coefficients
    intercepts: np.ndarray  # (K,)
    sigmoid_a: np.ndarray  # (K,)
    sigmoid_b: np.ndarray  # (K,)

    def predict_prob(self, texts: list[str]) -> np.ndarray:
        """Probability that each text is offensive, as profanity_check.predict_prob; one pass over the batch."""
        vocab, findall, lower = self.vocabulary, self.token_pattern.findall, self.lowercase
        rows: list[int] = []
        cols: list[int] = []
        for i, text in enumerate(texts):
            ids = [j for j in map(vocab.get, findall(text.lower() if lower else text)) if j is not None]
            rows.extend([i] * len(ids))
            cols.extend(ids)
        n, k = len(texts), len(self.intercepts)
        decision = np.tile(self.intercepts, (n, 1))  # a text with no known word: the SVMs' intercepts alone
        if cols:
            # term counts per (text, term), then tf-idf, l2-normalised per text
            cells, counts = np.unique(np.asarray(rows, dtype=np.int64) * len(self.idf) + cols, return_counts=True)
            row, col = np.divmod(cells, len(self.idf))
            x = counts * self.idf[col]
            x /= np.sqrt(np.bincount(row, weights=x * x, minlength=n))[row]
            for m in range(k):
                decision[:, m] += np.bincount(row, weights=x * self.weights[col, m], minlength=n)
        return np.mean(1.0 / (1.0 + np.exp(self.sigmoid_a * decision + self.sigmoid_b)), axis=1)


def _package_files() -> list[Path]:
    # found without importing the package: importing it unpickles the model with scikit-learn
    spec = importlib.util.find_spec("profanity_check")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("alt-profanity-check is not installed: `make install` installs it")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return [data / "vectorizer.joblib", data / "model.joblib"]


def _fingerprint(files: list[Path]) -> str:
    h = hashlib.sha256(f"format-{EXPORT_FORMAT}".encode())
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def export_arrays() -> dict[str, Any]:
    """The package's pipeline as plain arrays (imports scikit-learn: the slow path, once per machine)."""
    import joblib  # type: ignore[import-untyped]

    vec_file, model_file = _package_files()
    vectorizer, model = joblib.load(vec_file), joblib.load(model_file)
    params = vectorizer.get_params()
    if params["analyzer"] != "word" or params["ngram_range"] != (1, 1) or params["tokenizer"] or params["preprocessor"]:
        raise RuntimeError(f"unsupported vectoriser settings: {params}")  # a new package release: fall back
    if params["sublinear_tf"] or params["norm"] != "l2" or not params["use_idf"] or params["strip_accents"]:
        raise RuntimeError(f"unsupported vectoriser settings: {params}")
    calibrated = model.calibrated_classifiers_
    if model.method != "sigmoid" or any(len(c.calibrators) != 1 for c in calibrated):
        raise RuntimeError("unsupported calibration: expected one sigmoid calibrator per binary classifier")
    words = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return {
        "words": np.array(words, dtype=str),
        "token_pattern": np.array(params["token_pattern"]),
        "lowercase": np.array(bool(params["lowercase"])),
        "idf": np.asarray(vectorizer.idf_, dtype=np.float64),
        "weights": np.stack([np.asarray(c.estimator.coef_, dtype=np.float64).ravel() for c in calibrated], axis=1),
        "intercepts": np.array([float(np.ravel(c.estimator.intercept_)[0]) for c in calibrated]),
        "sigmoid_a": np.array([float(c.calibrators[0].a_) for c in calibrated]),
        "sigmoid_b": np.array([float(c.calibrators[0].b_) for c in calibrated]),
    }


def _from_arrays(arrays: Any) -> ProfanityModel:
    words = [str(w) for w in arrays["words"]]
    return ProfanityModel(
        vocabulary={w: i for i, w in enumerate(words)},
        token_pattern=re.compile(str(arrays["token_pattern"])),
        lowercase=bool(arrays["lowercase"]),
        idf=arrays["idf"],
        weights=arrays["weights"],
        intercepts=arrays["intercepts"],
        sigmoid_a=arrays["sigmoid_a"],
        sigmoid_b=arrays["sigmoid_b"],
    )


def cache_path() -> Path:
    return model_cache_dir() / f"alt-profanity-check-{_fingerprint(_package_files())}.npz"


def load(path: Path | None = None) -> ProfanityModel:
    """The model from the cache, exporting it there first if it is not there yet."""
    path = path or cache_path()
    if not path.exists():
        arrays = export_arrays()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)  # plain numeric and str arrays: the file loads without pickle
        os.replace(tmp, path)  # atomic: concurrent workers each write their own temp file
        log.info("exported alt-profanity-check's model to %s", path)
    with np.load(path, allow_pickle=False) as f:
        return _from_arrays({k: f[k] for k in f.files})


def predictor() -> Any:
    """`predict_prob(texts)` from the exported arrays, or from the package if they cannot be had."""
    try:
        return load().predict_prob
    except Exception as e:  # noqa: BLE001 - any failure here has the same remedy: the package's own path
        log.warning("scoring alt-profanity-check with scikit-learn (slower start): %s", e)
        from profanity_check import predict_prob

        return predict_prob


def version() -> str:
    try:
        return metadata.version("alt-profanity-check")
    except metadata.PackageNotFoundError:  # pragma: no cover - it is a project dependency
        return "unknown"
