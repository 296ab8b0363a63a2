"""The model directory: plain JSON, numpy ``.npz`` (no pickles) and the CRF's own file.

``manifest.json``  format name and version, creation time, pipeline, intents, entity extractors,
                   training-data hash and size, library versions, sha256 of every other file
``features.json``  the vocabulary: ``[[block, feature], …]`` in column order
``weights.npz``    ``weights`` (features × intents), ``bias``, ``idf``, calibration (``allow_pickle=False``)
``tables.json``    synonyms, regexes and lookup tables
``crf.crfsuite``   present only when a CRF was trained

Loading checks the format name and version and every file's hash, and raises :class:`ModelError`
with one line saying what is wrong, so an upgrade that changes the format fails loudly, not oddly.
A model is written to a temporary directory first and moved into place, so a reader never sees half a
model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu.classifier import LinearIntentModel
from bot.nlu.errors import ModelError
from bot.nlu.features import Vocabulary
from bot.nlu.pipeline import PipelineConfig
from bot.nlu.tables import EntityTables

FORMAT = "pishkhan-nlu"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_LIBRARIES = ("numpy", "scikit-learn", "python-crfsuite", "hazm", "pishkhan")


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def save_model(
    out_dir: Path,
    *,
    config: PipelineConfig,
    intents: list[str],
    vocabulary: Vocabulary,
    classifier: LinearIntentModel,
    tables: EntityTables,
    crf_file: Path | None,
    training: dict[str, Any],
) -> Path:
    """Write the model directory atomically (replacing an existing model there)."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the model from a server running as another user
    try:
        _write_json(staging / "features.json", [[block, feature] for block, feature in vocabulary.features])
        np.savez(staging / "weights.npz", **_arrays(vocabulary, classifier))
        _write_json(staging / "tables.json", tables.to_json())
        if crf_file is not None:
            shutil.copyfile(crf_file, staging / "crf.crfsuite")
        manifest = _manifest(staging, config, intents, classifier, tables, crf_file is not None, training)
        _write_json(staging / MANIFEST, manifest, indent=2)
        _move_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _arrays(vocabulary: Vocabulary, classifier: LinearIntentModel) -> dict[str, np.ndarray]:
    platt = classifier.platt if classifier.platt is not None else np.zeros((0, 2))
    return {
        "weights": classifier.weights,
        "bias": classifier.bias,
        "idf": vocabulary.idf,
        "temperature": np.array([classifier.temperature]),
        "platt": platt,
    }


def _manifest(directory, config, intents, classifier, tables, has_crf, training) -> dict[str, Any]:
    extractors = ["PatternEntityExtractor"]
    if tables.entity_names:
        extractors.append("RegexEntityExtractor")
    if has_crf:
        extractors.append("CRFEntityExtractor")
    files = {p.name: _sha256(p) for p in sorted(directory.iterdir())}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pipeline": config.to_dict(),
        "calibration": classifier.calibration,
        "intents": intents,
        "entity_extractors": extractors,
        "training_data": training,
        "libraries": library_versions(),
        "files": files,
    }


def _move_into_place(staging: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        if not (out_dir / MANIFEST).exists() and any(out_dir.iterdir()):
            raise ModelError(f"{out_dir}: exists and is not a model directory; refusing to replace it")
        old = out_dir.with_name(f".{out_dir.name}-old-{staging.name}")
        out_dir.rename(old)
    staging.rename(out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(model_dir: str | Path) -> dict[str, Any]:
    model_dir = Path(model_dir)
    path = model_dir / MANIFEST
    if not path.is_file():
        what = (
            "no such directory"
            if not model_dir.exists()
            else f"no {MANIFEST} (train one with `pishkhan nlu train`)"
        )
        raise ModelError(f"{model_dir}: not an NLU model: {what}")
    manifest = _read_json(path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelError(
            f"{model_dir}: not a Pishkhan NLU model (format {manifest.get('format')!r})"
            if isinstance(manifest, dict)
            else f"{path}: not a manifest object"
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{model_dir}: model format version {version} but this Pishkhan reads version "
            f"{FORMAT_VERSION}; retrain with `pishkhan nlu train`"
        )
    return manifest


def load_parts(model_dir: str | Path) -> dict[str, Any]:
    """Everything :class:`bot.nlu.model.NluModel` needs, checked; raises :class:`ModelError`."""
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    _check_files(model_dir, manifest)
    try:
        config = PipelineConfig.from_dict(manifest["pipeline"])
        intents = list(manifest["intents"])
        features = [(int(block), str(feature)) for block, feature in _read_json(model_dir / "features.json")]
        with np.load(model_dir / "weights.npz", allow_pickle=False) as arrays:
            vocabulary = Vocabulary(features, arrays["idf"], config.features.sublinear_tf)
            platt = arrays["platt"] if arrays["platt"].size else None
            classifier = LinearIntentModel(
                arrays["weights"],
                arrays["bias"],
                manifest["calibration"],
                float(arrays["temperature"][0]),
                platt,
            )
        tables = EntityTables.from_json(_read_json(model_dir / "tables.json"))
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise ModelError(f"{model_dir}: corrupt model ({type(exc).__name__}: {exc})") from None
    if classifier.weights.shape != (len(features), len(intents)):
        raise ModelError(
            f"{model_dir}: corrupt model (weights {classifier.weights.shape} do not match "
            f"{len(features)} features × {len(intents)} intents)"
        )
    crf_file = model_dir / "crf.crfsuite"
    return {
        "config": config,
        "intents": intents,
        "vocabulary": vocabulary,
        "classifier": classifier,
        "tables": tables,
        "crf_file": crf_file if crf_file.exists() else None,
        "manifest": manifest,
    }


def _check_files(model_dir: Path, manifest: dict[str, Any]) -> None:
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise ModelError(f"{model_dir}: corrupt manifest (no file list)")
    for name, digest in files.items():
        path = model_dir / name
        if not path.is_file():
            raise ModelError(f"{model_dir}: incomplete model: {name} is missing")
        if _sha256(path) != digest:
            raise ModelError(f"{model_dir}: corrupt model: {name} does not match its checksum")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json(path: Path, value: Any, indent: int | None = None) -> None:
    separators = None if indent else (",", ":")
    path.write_text(
        json.dumps(value, ensure_ascii=False, indent=indent, separators=separators), encoding="utf-8"
    )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable ({type(exc).__name__})") from None
