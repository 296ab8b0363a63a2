"""Normalise Persian text for matching while remembering where every character came from (DESIGN §5.1).

The raw message is kept as received; NLU works on the normalised copy. Each normalised character
knows the span of the original text it stands for, so an entity found in the copy is reported with
``start``/``end`` into the original even after characters were dropped (tatweel, diacritics, invisible
marks), folded (``سلاممممم`` → ``سلام``) or expanded (the ligature ``ﻻ`` → ``لا``).

What the copy looks like:

* Arabic letters and their variants → Persian (``ي ى``→``ی``, ``ك``→``ک``, ``ة ۀ``→``ه``,
  ``أ إ ٱ``→``ا``, ``ؤ``→``و``, hazm's table of rarer Arabic-script letters, presentation forms via
  NFKC); ``آ`` and ``ئ`` stay, they are Persian letters.
* Digits of every script → ASCII; ``٫``→``.``, ``٬``→``,``; ``؟ ، ؛ ٪``→``? , ; %``; ``« » “ ”``→``"``;
  ASCII letters lower-cased; full-width forms → ASCII.
* Dropped: tatweel, Arabic diacritics and Quranic marks, bidi/invisible marks (RLM, LRM, ALM, BOM,
  isolates, ZWJ, soft hyphen), variation selectors and emoji skin-tone modifiers, control characters.
* Every kind of space, tab and newline → one ``' '``; leading and trailing space removed. A zero-width
  space becomes a ZWNJ (that is how it is typed in Persian); ZWNJ runs become one, and a ZWNJ that
  does not sit between two letters is dropped.
* A character repeated three or more times is folded: Persian letters, punctuation and emoji to one
  (``خیییلی``→``خیلی``, ``!!!``→``!``), Latin letters of a plain word to two (``salaaaam``→``salaam``).
  Doubles are kept (``ممنون``, ``الله``) and digits are never folded (``1111111`` is an order number).

ZWNJ is kept in the copy; making joined, spaced and ZWNJ forms (``میخوام``/``می خوام``/``می‌خوام``)
equivalent is the tokeniser's job (``bot.nlu.tokens``), because it needs word boundaries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from bot.text.digits import ascii_digit_table

ZWNJ = "\u200c"

# hazm 0.10 Normalizer's table for Arabic-script letters of other languages (Urdu, Pashto, Kurdish, …),
# restricted to the Arabic blocks; presentation forms go through NFKC first (see _presentation_map).
_HAZM_SRC = (
    "ؠػؽؾؿكيٮٯٷٸٹٺٻټٽٿڀځٵٶڂڅڇڈډڊڋڌڍڎڏڐڑڒړڔڕږڗڙښڛڜڝڞڟڠڡڢڣڤڥڦڧڨڪګڬڭ"
    "ڮڰڱڲڳڴڵڶڷڸڹںڻڼڽھڿہۂۃۄۅۆۇۈۉۊۋۏۍێېۑےۓەۮۯۺۻۼۿݐݑݒݓݔݕݖݗݘݙݚݛݜݝݞݟݠݡ"
    "ݢݣݤݥݦݧݨݩݪݫݬݭݮݯݰݱݲݳݴݵݶݷݸݹݺݻݼݽݾݿࢠࢡࢢࢣࢤࢥࢦࢧࢨࢩࢪࢫࢮࢯࢰࢱࢬࢲࢳࢴࢶࢷࢸࢹࢺࢻࢼࢽى"
)
_HAZM_DST = (
    "یکیییکیبقویتتبتتتبحاوححچدددددددددررررررررسسسصصطعففففففققکککک"
    "کگگگگگللللنننننهچهههوووووووووییییییهدرشضغهبببببببححددرسعععفف"
    "کککممنننلررسححسرحاایییووییحسسکببجطفقلمییرودصگویزعکبپتریفقنی"
)
# DESIGN §5.1 and what Persian keyboards on Arabic layouts produce; hazm leaves these alone.
_EXTRA_LETTERS = {"ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و", "ڄ": "ح", "ڃ": "ح"}
_PUNCTUATION = {
    "؟": "?", "،": ",", "؛": ";", "٪": "%", "٫": ".", "٬": ",", "«": '"', "»": '"', "“": '"', "”": '"',
    "„": '"', "‘": "'", "’": "'", "\u066d": "*",
}  # fmt: skip
_SPACES = "\t\n\r\x0b\x0c\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_INVISIBLE = (
    "\u00ad\u034f\u061c\u0640\u180e\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062"
    "\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
_DROP_RANGES = (
    (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06DC), (0x06DF, 0x06E8),
    (0x06EA, 0x06ED), (0x08D3, 0x08FF), (0xFE00, 0xFE0F), (0x1F3FB, 0x1F3FF), (0x0000, 0x0008),
    (0x000E, 0x001F), (0x007F, 0x009F),
)  # fmt: skip
_DROP_CHARS = _INVISIBLE + "".join(chr(c) for lo, hi in _DROP_RANGES for c in range(lo, hi + 1))


def _presentation_map(letters: dict[str, str]) -> tuple[dict[int, str], dict[str, str]]:
    """NFKC of Arabic presentation forms and full-width ASCII, then the letter map: 1:1 and expanding."""
    one_to_one: dict[int, str] = {}
    expanding: dict[str, str] = {}
    for code in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00), *range(0xFF01, 0xFF5F)):
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        if folded == char or not folded.strip():
            continue
        folded = "".join(letters.get(c, c) for c in folded if not _is_dropped(c)).lower()
        if len(folded) == 1:
            one_to_one[code] = folded
        elif folded:
            expanding[char] = folded
    return one_to_one, expanding


def _is_dropped(char: str) -> bool:
    return char in _DROP_CHARS


def _build_tables() -> tuple[dict[int, str], dict[str, str]]:
    letters = dict(zip(_HAZM_SRC, _HAZM_DST, strict=True)) | _EXTRA_LETTERS
    table: dict[int, str] = {ord(k): v for k, v in letters.items()}
    table |= ascii_digit_table()
    table |= {ord(k): v for k, v in _PUNCTUATION.items()}
    table |= {ord(c): " " for c in _SPACES}
    table[0x200B] = ZWNJ  # zero-width space: a mistyped half-space
    table |= {ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    one_to_one, expanding = _presentation_map(letters)
    return table | one_to_one, expanding


_TABLE, _EXPANDING = _build_tables()
_DROP_OR_EXPAND = re.compile("[" + re.escape(_DROP_CHARS + "".join(_EXPANDING)) + "]")
# Runs of 3+ of one character that is not a digit, space or Latin letter (Latin is handled per word).
_REPEAT = re.compile(r"([^\da-z \u200c])\1{2,}")
_LATIN_WORD_REPEAT = re.compile(r"(?<![\w@./+\-])[a-z]*([a-z])\1{2,}[a-z]*(?![\w@./+\-])")
_LATIN_RUN = re.compile(r"([a-z])\1{2,}")
# Spaces and ZWNJs: runs of spaces (with any ZWNJ among them) collapse to a space, ZWNJ runs to one ZWNJ.
_SPACE_OR_ZWNJ_RUN = re.compile(r"[ \u200c]*[ ][ \u200c]*|\u200c{2,}")
_STRAY_ZWNJ = re.compile(r"(?<![^\W\d_])\u200c|\u200c(?![^\W\d_])")
_ANY_WORK = re.compile(
    "[" + re.escape(_DROP_CHARS + "".join(_EXPANDING)) + r"]|([^\d ])\1{2,}|  |\u200c|^ | $"
)


@dataclass(slots=True)
class NormalizedText:
    """The normalised copy of ``original`` and, per character of ``text``, its original span.

    ``starts[i]``/``ends[i]`` are the original offsets of ``text[i]``; ``None`` means the identity
    (nothing was dropped, folded or expanded — the common case, kept cheap).
    """

    original: str
    text: str
    starts: list[int] | None = field(default=None, repr=False)
    ends: list[int] | None = field(default=None, repr=False)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map the half-open span ``[start, end)`` of ``text`` to the original text."""
        if end <= start:
            raise ValueError("empty span")
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def normalize(original: str) -> NormalizedText:
    """Return the normalised copy of ``original`` with its offset map (see the module docstring)."""
    text = original.translate(_TABLE)
    if not _ANY_WORK.search(text):
        return NormalizedText(original, text)
    starts, ends = list(range(len(text))), list(range(1, len(text) + 1))
    text, starts, ends = _rewrite(text, starts, ends, _DROP_OR_EXPAND, _drop_or_expand)
    text, starts, ends = _rewrite(text, starts, ends, _REPEAT, _fold_run)
    text, starts, ends = _rewrite(text, starts, ends, _LATIN_WORD_REPEAT, _fold_latin_word)
    text, starts, ends = _rewrite(text, starts, ends, _SPACE_OR_ZWNJ_RUN, _collapse_space_run)
    text, starts, ends = _rewrite(text, starts, ends, _STRAY_ZWNJ, lambda _m: [])
    text, starts, ends = _strip(text, starts, ends)
    return NormalizedText(original, text, starts, ends)


# A replacement is a list of (output text, first source index, last source index) in current coordinates.
Piece = tuple[str, int, int]


def _rewrite(text, starts, ends, pattern, replace) -> tuple[str, list[int], list[int]]:
    """Apply ``replace`` to every match of ``pattern``, carrying the offset map along."""
    out_text: list[str] = []
    out_starts: list[int] = []
    out_ends: list[int] = []
    position = 0
    for match in pattern.finditer(text):
        out_text.append(text[position : match.start()])
        out_starts.extend(starts[position : match.start()])
        out_ends.extend(ends[position : match.start()])
        for piece, first, last in replace(match):
            out_text.append(piece)
            out_starts.extend([starts[first]] * len(piece))
            out_ends.extend([ends[last]] * len(piece))
        position = match.end()
    if position == 0:
        return text, starts, ends
    out_text.append(text[position:])
    out_starts.extend(starts[position:])
    out_ends.extend(ends[position:])
    return "".join(out_text), out_starts, out_ends


def _drop_or_expand(match: re.Match[str]) -> list[Piece]:
    expansion = _EXPANDING.get(match.group())
    return [(expansion, match.start(), match.start())] if expansion else []


def _fold_run(match: re.Match[str]) -> list[Piece]:
    """One character stands for the whole run, so an entity ending in it still covers the run."""
    return [(match.group(1), match.start(), match.end() - 1)]


def _fold_latin_word(match: re.Match[str]) -> list[Piece]:
    """Fold 3+ repeats inside a plain Latin word (never inside emails, URLs or codes) to two letters."""
    word, base, position = match.group(), match.start(), 0
    pieces: list[Piece] = []
    for run in _LATIN_RUN.finditer(word):
        pieces.extend((word[i], base + i, base + i) for i in range(position, run.start()))
        first, last = base + run.start(), base + run.end() - 1
        pieces += [(run.group(1), first, first), (run.group(1), first + 1, last)]
        position = run.end()
    pieces.extend((word[i], base + i, base + i) for i in range(position, len(word)))
    return pieces


def _collapse_space_run(match: re.Match[str]) -> list[Piece]:
    run = match.group()
    char = " " if " " in run else ZWNJ
    first = match.start() + run.index(char)
    return [(char, first, first)]


def _strip(text: str, starts: list[int], ends: list[int]) -> tuple[str, list[int], list[int]]:
    left = len(text) - len(text.lstrip(" "))
    right = len(text.rstrip(" "))
    if left == 0 and right == len(text):
        return text, starts, ends
    return text[left:right], starts[left:right], ends[left:right]


def normalize_text(original: str) -> str:
    """Only the normalised copy, for callers that need no offsets (lookup tables, synonyms, tests)."""
    return normalize(original).text
