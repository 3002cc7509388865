"""Training and honest measurement of the learned field selector (`selector`).

    docs = labelled.load_folders(["sroie-train", "sroie-dev"])
    reads = list(labelled.read_documents(docs))                # pages, OCR results cached
    table = candidate_table(reads)                             # every candidate, its features and label
    model = train(table)                                       # trees per field + isotonic calibration
    save(model, "receipt-fields.npz", receipt={...})
    scores = evaluation.cross_validate(table, reads, k=5)      # grouped by issuer: no shop in train and test

Labels come from the keys: a candidate is right when it equals the printed truth under the strict rule
(`labelled.correct`). Calibration and the auto-accept threshold are fitted on out-of-fold predictions only,
so the confidence a model gives is the accuracy it had on documents it had not seen.

Development tooling: scikit-learn is imported here, never by the engine at run time.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import labelled, selector
from .fields import Layout

DEFAULT_TARGET_PRECISION = 0.98
TREE_PARAMS = {
    "max_iter": 120,
    "max_depth": 6,  # shallow trees: as accurate here, and half the steps of the NumPy walk at run time
    "learning_rate": 0.08,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 8,
    "l2_regularization": 1.0,
    "early_stopping": False,  # a fixed number of trees: the same data gives the same model
    "random_state": 0,
}


@dataclass
class DocumentCandidates:
    """One labelled document's candidates per field, with the truth they were labelled against."""

    doc: labelled.LabelledDocument
    fields: dict[str, list[selector.FieldCandidate]]
    labels: dict[str, list[bool]]
    rules: dict[str, str]  # the rules' own value per field, for comparison
    error: str | None = None


@dataclass
class CandidateTable:
    documents: list[DocumentCandidates]
    field_names: list[str]  # fields with truth and a candidate generator, in FIELD_KINDS order
    skipped_fields: list[str] = field(default_factory=list)  # in the keys, but no generator knows them

    def groups(self) -> list[str]:
        return [d.doc.group for d in self.documents]


def _rule_values(rules: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name, c in rules.items():
        nv = c.normalized or {}
        if "money" in nv:
            out[name] = f"{nv['money'].amount:.2f}"
        else:
            out[name] = str(nv.get("text", c.mention))
    return out


def document_candidates(read: labelled.ReadPages, fields: list[str]) -> DocumentCandidates:
    """Candidates of `fields` for one read document, each labelled right or wrong against its key."""
    from .receipt import receipt_fields

    if read.error or not read.pages:
        return DocumentCandidates(read.doc, {f: [] for f in fields}, {f: [] for f in fields}, {}, read.error)
    layout = Layout(read.pages)
    rules = receipt_fields(layout)
    cands = selector.candidates(layout, rules, fields)
    labels = {
        f: [f in read.doc.truth and labelled.correct(f, read.doc.truth[f], c.value) for c in cs]
        for f, cs in cands.items()
    }
    return DocumentCandidates(read.doc, cands, labels, _rule_values(rules))


def candidate_table(reads: Iterable[labelled.ReadPages]) -> CandidateTable:
    reads = list(reads)
    in_keys = {f for r in reads for f in r.doc.truth}
    fields = [f for f in selector.FIELD_KINDS if f in in_keys]
    skipped = sorted(in_keys - set(selector.FIELD_KINDS))
    return CandidateTable([document_candidates(r, fields) for r in reads], fields, skipped)


def _matrix(table: CandidateTable, name: str, docs: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(X, y, row -> document index) of one field over the documents `docs`, and the feature names."""
    rows, ys, owners = [], [], []
    names: list[str] | None = None
    for i in docs:
        d = table.documents[i]
        if name not in d.doc.truth:
            continue
        for c, ok in zip(d.fields.get(name, []), d.labels.get(name, []), strict=True):
            if names is None:
                names = sorted(c.features)
            rows.append([c.features[f] for f in names])
            ys.append(ok)
            owners.append(i)
    width = len(names or [])
    return (np.array(rows, dtype=np.float64).reshape(len(rows), width), np.array(ys, dtype=bool),
            np.array(owners, dtype=np.int64), names or [])  # fmt: skip


# ---------------------------------------------------------------------------------------------- trees


def _fit_trees(X: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    if y.all() or not y.any():
        return None  # nothing to tell apart: the field's score is its base rate
    clf = HistGradientBoostingClassifier(**TREE_PARAMS)
    clf.fit(X, y)
    return clf


def export_trees(clf: Any, n_features: int, base_rate: float) -> dict[str, Any]:
    """The fitted ensemble as flat node arrays (see `selector.FieldModel`)."""
    if clf is None:
        logit = float(np.log(max(base_rate, 1e-6) / max(1 - base_rate, 1e-6)))
        empty = {"feature": np.zeros(1, np.int32), "threshold": np.zeros(1), "missing_left": np.zeros(1, bool),
                 "left": np.zeros(1, np.int32), "right": np.zeros(1, np.int32), "leaf": np.ones(1, bool),
                 "value": np.zeros(1), "roots": np.zeros(1, np.int32)}  # fmt: skip
        return {"arrays": empty, "baseline": logit, "depth": 0}
    feature, threshold, missing, left, right, leaf, value, roots = [], [], [], [], [], [], [], []
    depth = 0
    offset = 0
    for iteration in clf._predictors:
        nodes = iteration[0].nodes
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not exported")
        roots.append(offset)
        feature.extend(nodes["feature_idx"].tolist())
        threshold.extend(nodes["num_threshold"].tolist())
        missing.extend(nodes["missing_go_to_left"].astype(bool).tolist())
        left.extend((nodes["left"] + offset).tolist())
        right.extend((nodes["right"] + offset).tolist())
        leaf.extend(nodes["is_leaf"].astype(bool).tolist())
        value.extend(nodes["value"].tolist())
        depth = max(depth, int(nodes["depth"].max()))
        offset += len(nodes)
    arrays = {
        "feature": np.array(feature, np.int32), "threshold": np.array(threshold, np.float64),
        "missing_left": np.array(missing, bool), "left": np.array(left, np.int32), "right": np.array(right, np.int32),
        "leaf": np.array(leaf, bool), "value": np.array(value, np.float64), "roots": np.array(roots, np.int32),
    }  # fmt: skip
    return {"arrays": arrays, "baseline": float(np.ravel(clf._baseline_prediction)[0]), "depth": depth}


def _grouped_folds(groups: list[str], k: int, seed: int = 0) -> list[list[int]]:
    """Document indices in k folds; all documents of a group in one fold, groups shuffled reproducibly."""
    unique = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(unique))
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    folds: list[list[int]] = [[] for _ in range(k)]
    load = [0] * k
    fold_of: dict[str, int] = {}
    for j in sorted(order, key=lambda j: -sizes[unique[j]]):  # biggest groups first, each to the lightest fold
        f = int(np.argmin(load))
        fold_of[unique[j]] = f
        load[f] += sizes[unique[j]]
    for i, g in enumerate(groups):
        folds[fold_of[g]].append(i)
    return [f for f in folds if f]


# ---------------------------------------------------------------------------------------------- model


@dataclass
class TrainedField:
    features: list[str]
    trees: dict[str, Any]
    calib_x: np.ndarray
    calib_y: np.ndarray


@dataclass
class Prediction:
    """The model's choice for one field of one held-out document."""

    document: int
    field: str
    value: str | None
    raw: float
    confidence: float
    correct: bool  # under the strict rule
    reachable: bool  # some candidate was right


def _raw(trained_field: TrainedField, X: np.ndarray) -> np.ndarray:
    model = as_model({"f": trained_field})
    return model.raw_scores("f", X)


def _archive(fields: dict[str, TrainedField]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and metadata of a model archive (see `selector.FieldModel`)."""
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"format": selector.FORMAT, "fields": {}}
    for name, tf in fields.items():
        for k, v in tf.trees["arrays"].items():
            arrays[f"{name}/{k}"] = v
        arrays[f"{name}/calib_x"] = tf.calib_x
        arrays[f"{name}/calib_y"] = tf.calib_y
        meta["fields"][name] = {"features": tf.features, "baseline": tf.trees["baseline"], "depth": tf.trees["depth"]}
    return arrays, meta


def as_model(fields: dict[str, TrainedField], document_types: tuple[str, ...] = ("receipt",)) -> selector.FieldModel:
    """Trained fields as the engine's model, without writing it (its tag is fs-0000000000)."""
    arrays, meta = _archive(fields)
    meta["document_types"] = list(document_types)
    return selector.FieldModel(arrays, meta, "0" * 64)


def _choose(table: CandidateTable, tf: TrainedField, name: str, docs: list[int]) -> list[Prediction]:
    model = as_model({"f": tf})
    out = []
    for i in docs:
        d = table.documents[i]
        if name not in d.doc.truth:
            continue
        cands = d.fields.get(name, [])
        if not cands:
            out.append(Prediction(i, name, None, float("-inf"), 0.0, False, False))
            continue
        X = np.array([[c.features[f] for f in tf.features] for c in cands], dtype=np.float64)
        best, score = selector.winner(model.raw_scores("f", X))
        conf = float(np.interp(score, tf.calib_x, tf.calib_y))
        labels = d.labels[name]
        out.append(Prediction(i, name, cands[best].value, score, conf, labels[best], any(labels)))
    return out


def _isotonic(raw: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Thresholds of the isotonic map from a winner's raw score to the chance it is right."""
    from sklearn.isotonic import IsotonicRegression

    finite = np.isfinite(raw)
    raw, ok = raw[finite], ok[finite]
    if len(raw) < 2 or len(set(raw.tolist())) < 2:
        p = float(ok.mean()) if len(ok) else 0.5
        return np.array([-1e9, 1e9]), np.array([p, p])
    # never quite 0 or 1: n right answers in a row leave about 1/(n+2) chance of a wrong one (Laplace)
    eps = 1.0 / (len(raw) + 2)
    iso = IsotonicRegression(out_of_bounds="clip", y_min=eps, y_max=1.0 - eps).fit(raw, ok.astype(float))
    return np.asarray(iso.X_thresholds_, np.float64), np.asarray(iso.y_thresholds_, np.float64)


def _fit_field(table: CandidateTable, name: str, docs: list[int], inner_k: int) -> TrainedField:
    """Trees on all of `docs`, calibrated on their out-of-fold winners (inner grouped folds)."""
    X, y, _, features = _matrix(table, name, docs)
    base = float(y.mean()) if len(y) else 0.0
    trees = export_trees(_fit_trees(X, y), len(features), base)
    groups = [table.documents[i].doc.group for i in docs]
    oof: list[Prediction] = []
    for held in _grouped_folds(groups, inner_k, seed=1):
        held_docs = [docs[j] for j in held]
        rest = sorted(set(docs) - set(held_docs))
        Xr, yr, _, _ = _matrix(table, name, rest)
        inner = TrainedField(features, export_trees(_fit_trees(Xr, yr), len(features), float(yr.mean()) if len(yr) else 0.0),
                             np.array([-1e9, 1e9]), np.array([0.0, 1.0]))  # fmt: skip
        oof.extend(_choose(table, inner, name, held_docs))
    cx, cy = _isotonic(np.array([p.raw for p in oof]), np.array([p.correct for p in oof]))
    return TrainedField(features, trees, cx, cy)


def train(
    table: CandidateTable, docs: list[int] | None = None, *, inner_k: int = 4,
    progress: Callable[[str], None] | None = None,
) -> dict[str, TrainedField]:  # fmt: skip
    """A trained field per field of the table, on `docs` (default: every document without an error)."""
    docs = [i for i in (docs if docs is not None else range(len(table.documents))) if not table.documents[i].error]
    out = {}
    for name in table.field_names:
        if progress:
            progress(name)
        out[name] = _fit_field(table, name, docs, inner_k)
    return out


# ---------------------------------------------------------------------------------------------- calibration


@dataclass
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


def reliability(confidences: list[float], correct: list[bool], bins: int = 10) -> tuple[list[ReliabilityBin], float]:
    """Equal-width confidence bins (count, mean confidence, accuracy) and the expected calibration error:
    the count-weighted mean gap between a bin's confidence and its accuracy."""
    c = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    out, ece = [], 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        mask = (c >= lo) & ((c < hi) if b < bins - 1 else (c <= hi))
        n = int(mask.sum())
        if n:
            mc, acc = float(c[mask].mean()), float(ok[mask].mean())
            ece += n * abs(mc - acc)
            out.append(ReliabilityBin(lo, hi, n, mc, acc))
        else:
            out.append(ReliabilityBin(lo, hi, 0, None, None))
    return out, (ece / len(c) if len(c) else 0.0)


@dataclass
class Threshold:
    threshold: float | None  # None: no threshold reaches the target
    target: float
    precision: float | None
    coverage: float  # share of fields accepted


def choose_threshold(
    confidences: list[float], correct: list[bool], target: float = DEFAULT_TARGET_PRECISION
) -> Threshold:
    """The lowest confidence t such that fields with confidence >= t are right at least `target` of the time
    (the most fields accepted at that precision)."""
    c = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    best: Threshold = Threshold(None, target, None, 0.0)
    for t in sorted(set(c.tolist())):
        mask = c >= t
        if not mask.any():
            continue
        prec = float(ok[mask].mean())
        if prec >= target:
            return Threshold(round(t, 4), target, prec, float(mask.mean()))
    return best


def plot_reliability(bins: list[ReliabilityBin], ece: float, path: str | Path, title: str) -> Path:
    """A reliability diagram as PNG: accuracy per confidence bin against the diagonal, field counts below."""
    from PIL import Image, ImageDraw

    W, H, M = 640, 600, 60
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = M, 40, W - 20, 400  # the reliability panel
    c0, c1 = 470, H - 30  # the counts panel

    def px(v: float) -> float:
        return x0 + v * (x1 - x0)

    def py(v: float) -> float:
        return y1 - v * (y1 - y0)

    d.text((M, 12), f"{title}  (expected calibration error {ece:.3f})", fill="black")
    most = max((b.count for b in bins), default=1) or 1
    for b in bins:
        if b.accuracy is not None:
            d.rectangle([px(b.low) + 2, py(b.accuracy), px(b.high) - 2, y1], fill=(70, 120, 200), outline="black")
        bar = (b.count / most) * (c1 - c0 - 16)
        d.rectangle([px(b.low) + 2, c1 - bar, px(b.high) - 2, c1], fill=(160, 160, 160))
        d.text((px(b.low) + 4, c1 + 4), str(b.count), fill="black")
    d.line([px(0), py(0), px(1), py(1)], fill=(90, 90, 90), width=2)  # perfect calibration, over the bars
    for b in bins:
        if b.mean_confidence is not None and b.accuracy is not None:
            mx = px(b.mean_confidence)
            d.ellipse([mx - 4, py(b.accuracy) - 4, mx + 4, py(b.accuracy) + 4], fill=(220, 80, 60), outline="black")
    d.rectangle([x0, y0, x1, y1], outline="black")
    for t in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        d.line([px(t), y1, px(t), y1 + 4], fill="black")
        d.text((px(t) - 8, y1 + 6), f"{t:.1f}", fill="black")
        d.line([x0 - 4, py(t), x0, py(t)], fill="black")
        d.text((x0 - 30, py(t) - 6), f"{t:.1f}", fill="black")
    d.text((x0, y1 + 24), "confidence", fill="black")
    d.text(
        (x0, y1 + 40),
        "bars: accuracy per bin; dots: accuracy at the bin's mean confidence; line: perfect",
        fill="black",
    )
    d.text((x0, c0 - 16), "fields per bin", fill="black")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)
    return out


# ---------------------------------------------------------------------------------------------- saving


def save(fields: dict[str, TrainedField], path: str | Path, receipt: dict[str, Any]) -> tuple[Path, str]:
    """Write the model archive (and `<path>.json`, its receipt); returns the archive and its sha256.

    The archive is written byte-for-byte reproducibly (fixed zip timestamps), so the same data and command
    give the same hash."""
    arrays, meta = _archive(fields)
    meta["auto_accept"] = receipt.get("auto_accept", {})
    meta["document_types"] = receipt.get("document_types", ["receipt"])
    arrays["meta.json"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, member.getvalue())
    out.write_bytes(buf.getvalue())
    digest = hashlib.sha256(buf.getvalue()).hexdigest()
    receipt = {**receipt, "sha256": digest, "engine_version_tag": f"fs-{digest[:10]}", "format": selector.FORMAT}
    Path(f"{out}.json").write_text(json.dumps(receipt, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out, digest
