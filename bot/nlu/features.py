"""Message → sparse TF-IDF features: word n-grams, character n-grams within words, table matches.

The same code runs at training and at parse time, so a model sees exactly the features it was trained
on. Pattern entities are replaced by a placeholder word before tokenising (``سفارش 12345678`` →
``سفارش xorderidx``): a number's digits say nothing about the intent, its kind does.

hazm is optional here (``FeatureConfig.hazm_normalizer`` / ``lemmatize`` / ``stem``) and imported only
when a model asks for it, because ``import hazm`` costs ~2 s and ~150 MB (it pulls in nltk and
scikit-learn); bot/nlu/README.md has the measurement behind the default.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache

import numpy as np

from bot.nlu.skeleton import skeleton
from bot.nlu.tokens import tokenize
from bot.text.entities import PatternMatch

PLACEHOLDERS = {  # private-use characters: they cannot collide with anything a customer types
    "order_id": "\ue001",
    "phone": "\ue002",
    "email": "\ue003",
    "serial_number": "\ue004",
    "amount": "\ue005",
}
_PLACEHOLDER_WORDS = frozenset(PLACEHOLDERS.values())
WORD, CHAR, TABLE, TEXT_CHAR, SKELETON = 0, 1, 2, 3, 4
N_BLOCKS = 5


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)  # within words (Rasa's char_wb)
    text_char_ngrams: tuple[int, int] = (2, 5)  # across word boundaries ("خسته نباشید")
    skeleton_ngrams: tuple[int, int] = (2, 5)  # of consonant skeletons (Finglish ↔ Persian); (0, -1) = off
    max_chars: int = 1000  # of the normalised text; long pastes are judged by their opening
    sublinear_tf: bool = True
    min_df: int = 1
    hazm_normalizer: bool = False
    lemmatize: bool = False
    stem: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> FeatureConfig:
        raw = dict(raw)
        for name in ("word_ngrams", "char_ngrams", "text_char_ngrams", "skeleton_ngrams"):
            raw[name] = tuple(raw[name])
        return cls(**raw)


def feature_words(normalized_text: str, matches: list[PatternMatch], config: FeatureConfig) -> list[str]:
    """Canonical words of a message with pattern entities replaced by placeholders."""
    text = _with_placeholders(normalized_text, matches)[: config.max_chars]
    if config.hazm_normalizer:
        text = _hazm().normalizer.normalize(text)
    words = [t.text for t in tokenize(text)]
    if config.lemmatize:
        words = [_lemma(w) for w in words]
    elif config.stem:
        words = [w if w in _PLACEHOLDER_WORDS else _hazm().stemmer.stem(w) for w in words]
    return words


def _with_placeholders(text: str, matches: list[PatternMatch]) -> str:
    if not matches:
        return text
    parts, position = [], 0
    for match in matches:
        parts += [text[position : match.start], " ", PLACEHOLDERS[match.entity], " "]
        position = match.end
    parts.append(text[position:])
    return "".join(parts)


BlockCounts = list[Counter]  # one Counter of feature strings per block


def count_features(words: list[str], config: FeatureConfig, tables: Iterable[str] = ()) -> BlockCounts:
    """Raw counts per block (word, char, table, text-char, skeleton); blocks are normalised separately."""
    counts: BlockCounts = [Counter() for _ in range(N_BLOCKS)]
    low, high = config.word_ngrams
    counts[WORD].update(
        [" ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)]
    )
    content = [w for w in words if w not in _PLACEHOLDER_WORDS]
    for word in content:
        _add_char_ngrams(counts[CHAR], f" {word} ", config.char_ngrams)
    _add_char_ngrams(counts[TEXT_CHAR], " " + " ".join(words) + " ", config.text_char_ngrams)
    if config.skeleton_ngrams[0] <= config.skeleton_ngrams[1]:
        for word in content:
            bones = skeleton(word)
            if bones:
                counts[SKELETON][f"\0{bones}"] += 1  # the whole skeleton, apart from its n-grams
                _add_char_ngrams(counts[SKELETON], f" {bones} ", config.skeleton_ngrams)
    counts[TABLE].update(tables)
    return counts


def _add_char_ngrams(counts: Counter, text: str, sizes: tuple[int, int]) -> None:
    low, high = sizes
    counts.update(
        [
            text[i : i + n]
            for n in range(max(low, 1), min(high, len(text)) + 1)
            for i in range(len(text) - n + 1)
        ]
    )


class Vocabulary:
    """Feature → column, with IDF weights; rows are TF-IDF, L2-normalised within each block."""

    def __init__(self, features: list[tuple[int, str]], idf: np.ndarray, sublinear_tf: bool) -> None:
        self.features = features
        self.index: list[dict[str, int]] = [{} for _ in range(N_BLOCKS)]
        for column, (block, feature) in enumerate(features):
            self.index[block][feature] = column
        self.idf = idf.astype(np.float32)
        self.blocks = np.array([block for block, _ in features], dtype=np.int8)
        self.sublinear_tf = sublinear_tf

    @classmethod
    def fit(cls, documents: list[BlockCounts], *, min_df: int, sublinear_tf: bool) -> Vocabulary:
        df: Counter[tuple[int, str]] = Counter()
        for counts in documents:
            for block, counter in enumerate(counts):
                df.update((block, feature) for feature in counter)
        features = sorted(f for f, n in df.items() if n >= min_df)
        n_docs = len(documents)
        idf = np.array([math.log((1 + n_docs) / (1 + df[f])) + 1 for f in features])  # sklearn's smooth idf
        return cls(features, idf, sublinear_tf)

    def vector(self, counts: BlockCounts) -> tuple[np.ndarray, np.ndarray]:
        """(column indices, values) of one document; unknown features are dropped."""
        columns: list[int] = []
        frequencies: list[int] = []
        for index, counter in zip(self.index, counts, strict=True):
            for feature, n in counter.items():
                column = index.get(feature)
                if column is not None:
                    columns.append(column)
                    frequencies.append(n)
        if not columns:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        found = np.array(columns, dtype=np.int32)
        tf = np.array(frequencies, dtype=np.float32)
        values = (1 + np.log(tf) if self.sublinear_tf else tf) * self.idf[found]
        blocks = self.blocks[found]
        norms = np.sqrt(np.bincount(blocks, weights=values * values, minlength=N_BLOCKS))
        return found, (values / norms[blocks]).astype(np.float32)

    def matrix(self, documents: list[BlockCounts]):
        """A scipy CSR matrix of many documents (training only)."""
        from scipy.sparse import csr_matrix

        indptr, indices, data = [0], [], []
        for counts in documents:
            columns, values = self.vector(counts)
            indices.append(columns)
            data.append(values)
            indptr.append(indptr[-1] + len(columns))
        return csr_matrix(
            (
                np.concatenate(data or [np.zeros(0)]),
                np.concatenate(indices or [np.zeros(0, np.int32)]),
                indptr,
            ),
            shape=(len(documents), len(self.features)),
        )


class _Hazm:
    """hazm's Normalizer, Lemmatizer and Stemmer, built once, only for models that use them."""

    def __init__(self) -> None:
        import hazm

        self.normalizer = hazm.Normalizer(correct_spacing=False, persian_numbers=False, persian_style=False)
        self.lemmatizer = hazm.Lemmatizer()
        self.stemmer = hazm.Stemmer()


@cache
def _hazm() -> _Hazm:
    return _Hazm()


@cache
def _lemma(word: str) -> str:
    """hazm's lemma; canonical words lost their ZWNJ, so the ZWNJ form of a می/نمی verb is tried first."""
    if word in _PLACEHOLDER_WORDS:
        return word
    lemmatizer = _hazm().lemmatizer
    for prefix in ("نمی", "می"):
        if word.startswith(prefix) and len(word) > len(prefix) + 1:
            lemma = lemmatizer.lemmatize(f"{prefix}\u200c{word[len(prefix) :]}")
            if "#" in lemma:
                return lemma.split("#")[-1]  # verbs: "خواست#خواه" → the present stem
    lemma = lemmatizer.lemmatize(word)
    return lemma.split("#")[-1] if "#" in lemma else lemma
