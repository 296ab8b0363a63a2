"""Pipeline configurations: the default and the candidates compared in bot/nlu/README.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from bot.nlu.features import FeatureConfig

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    name: str = "tfidf-svm"
    features: FeatureConfig = field(default_factory=FeatureConfig)
    classifier: str = "linear_svc"  # linear_svc | logreg | sgd
    c: float = 1.0
    calibration: str = "temperature"  # temperature | platt
    # Rasa's FallbackClassifier: below ``fallback_threshold``, or when the top two are closer than
    # ``ambiguity_threshold``, the intent is nlu_fallback (its confidence is the threshold, as in Rasa 3).
    # 0.4 from 5-fold CV on nlu_data: it turns 19 % of the wrong answers into fallbacks and 0.4 % of the
    # right ones (0.5: 26 % and 1.2 %); README.md has the table.
    fallback_threshold: float = 0.4
    ambiguity_threshold: float = 0.0
    seed: int = 0

    def to_dict(self) -> dict:
        raw = asdict(self)
        raw["features"] = self.features.to_dict()
        return raw

    @classmethod
    def from_dict(cls, raw: dict) -> PipelineConfig:
        raw = dict(raw)
        raw["features"] = FeatureConfig.from_dict(raw["features"])
        return cls(**raw)


DEFAULT = PipelineConfig()

OFF = (0, -1)
RASA_LIKE = FeatureConfig(char_ngrams=(1, 4), text_char_ngrams=OFF, skeleton_ngrams=OFF)

CANDIDATES: dict[str, PipelineConfig] = {
    "tfidf-svm": DEFAULT,
    "tfidf-svm-platt": replace(DEFAULT, name="tfidf-svm-platt", calibration="platt"),
    "tfidf-logreg": replace(DEFAULT, name="tfidf-logreg", classifier="logreg", c=20.0),
    "tfidf-sgd": replace(DEFAULT, name="tfidf-sgd", classifier="sgd"),
    "rasa-like-svm": replace(DEFAULT, name="rasa-like-svm", features=RASA_LIKE),
    "svm-no-skeleton": replace(DEFAULT, name="svm-no-skeleton", features=FeatureConfig(skeleton_ngrams=OFF)),
    "svm-words-only": replace(
        DEFAULT,
        name="svm-words-only",
        features=FeatureConfig(char_ngrams=OFF, text_char_ngrams=OFF, skeleton_ngrams=OFF),
    ),
    "svm-hazm-normalizer": replace(
        DEFAULT, name="svm-hazm-normalizer", features=FeatureConfig(hazm_normalizer=True)
    ),
    "svm-hazm-lemma": replace(DEFAULT, name="svm-hazm-lemma", features=FeatureConfig(lemmatize=True)),
    "svm-hazm-stem": replace(DEFAULT, name="svm-hazm-stem", features=FeatureConfig(stem=True)),
}
