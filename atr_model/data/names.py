"""Place-name keys for matching Russian, Kyrgyz and Latin spellings of the same village.

COATE names are Russian; the located places (Who's On First / GeoNames) carry Russian, Kyrgyz
and Latin names written by many hands. Two keys are built for every name:

* the **strict key** (:func:`strict_key`): Cyrillic, case-folded, ``ё`` -> ``е``, prefixes
  (``село``, ``с.``, ``им.``...) and suffixes (``айылы``, ``кыштагы``, ``(часть)``...) removed,
  spaces, hyphens and dashes dropped;
* the **loose key** (:func:`loose_key`): the strict key transliterated to a reduced Latin
  alphabet in which the letters that Russian and Kyrgyz spellings of Kyrgyz names commonly swap
  collapse to one (``ө/ё/о``, ``ү/ю/у``, ``дж/ж``, ``ң/нг/н``, ``ы/и/й``...) and doubled
  letters are reduced (``Тоо`` = ``То``). Latin names (GeoNames, BGN/PCGN style) reduce to the
  same alphabet.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["strict_key", "loose_key", "name_keys", "unit_stem"]

_PREFIXES = (
    "поселок городского типа", "пгт", "поселок", "посёлок", "пос", "село", "с", "п", "айыл",
    "имени", "им", "аул", "г", "город", "ст", "станция", "курорт", "совхоз", "колхоз",
)
_SUFFIXES = (
    "айылы", "айылы", "кыштагы", "кыштак", "селосу", "шаарчасы", "шаары", "поселок",
    "посёлок", "станциясы", "станция", "курорт", "часть", "участок",
)
_LATIN_PREFIXES = ("imeni", "im", "selo", "posyolok", "poselok", "aiyl", "ayyl", "sovkhoz", "kolkhoz")
_LATIN_SUFFIXES = ("aiyly", "ayyly", "kyshtagy", "selo")

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "o", "ж": "j", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "u", "ф": "f", "х": "h", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "u", "я": "a",
    "і": "i", "ә": "a", "ғ": "g", "қ": "k", "ұ": "u", "һ": "h",
}

_WORD_SPLIT = re.compile(r"[\s\-‐‑–—_/.,'’`\"«»()]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", str(text)).lower().replace("ё", "е")
    # drop parenthesised remarks such as "(часть)" or "(курорт)"
    return re.sub(r"\(.*?\)", " ", text)


def _strip_affixes(words: list[str], prefixes: tuple[str, ...], suffixes: tuple[str, ...]) -> list[str]:
    while len(words) > 1 and words[0] in prefixes:
        words = words[1:]
    while len(words) > 1 and words[-1] in suffixes:
        words = words[:-1]
    return words


def strict_key(name: object) -> str:
    """Return the strict matching key of a Cyrillic name (empty for a missing name).

    Parameters
    ----------
    name : object
        A place name; ``None`` and NaN give ``""``.

    Returns
    -------
    str
        Lower-case Cyrillic letters only, affixes removed.
    """
    if not isinstance(name, str) or not name.strip():
        return ""
    words = [w for w in _WORD_SPLIT.split(_fold(name)) if w]
    words = _strip_affixes(words, _PREFIXES, _SUFFIXES)
    return "".join(words)


def _reduce_latin(text: str) -> str:
    text = (
        text.replace("dzh", "j").replace("zh", "j").replace("dj", "j").replace("kh", "h")
        .replace("yu", "u").replace("ya", "a").replace("yo", "o").replace("ng", "n")
        .replace("y", "i").replace("w", "v").replace("q", "k").replace("x", "ks")
        .replace("ts", "s").replace("c", "s").replace("ie", "e")
    )
    return re.sub(r"(.)\1+", r"\1", text)


def loose_key(name: object) -> str:
    """Return the loose (transliterated, reduced) key of a Cyrillic or Latin name.

    Parameters
    ----------
    name : object
        A place name in Cyrillic or Latin script.

    Returns
    -------
    str
        Reduced Latin letters; ``""`` for a missing name.
    """
    if not isinstance(name, str) or not name.strip():
        return ""
    folded = _fold(name)
    if re.search("[а-яёөүң]", folded):
        words = [w for w in _WORD_SPLIT.split(folded) if w]
        words = _strip_affixes(words, _PREFIXES, _SUFFIXES)
        folded = "".join(words)
        # Russian writes Kyrgyz "ж" as "дж": unify before letter mapping
        folded = folded.replace("дж", "ж").replace("нг", "н")
        latin = "".join(_CYR_TO_LAT.get(ch, ch if ch.isdigit() else "") for ch in folded)
    else:
        plain = "".join(
            ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch)
        )
        words = [w for w in _WORD_SPLIT.split(plain) if w]
        words = _strip_affixes(words, _LATIN_PREFIXES, _LATIN_SUFFIXES)
        latin = re.sub("[^a-z0-9]", "", "".join(words))
    return _reduce_latin(latin)


def name_keys(*names: object) -> tuple[set[str], set[str]]:
    """Strict and loose keys of several spellings (``|``-separated variants are split).

    Parameters
    ----------
    *names : object
        Names or ``|``-separated variant lists; missing values are skipped.

    Returns
    -------
    tuple of (set of str, set of str)
        Strict keys (Cyrillic spellings only) and loose keys (all spellings).
    """
    strict: set[str] = set()
    loose: set[str] = set()
    for raw in names:
        if not isinstance(raw, str):
            continue
        for part in raw.split("|"):
            if re.search("[А-Яа-яЁёӨөҮүҢң]", part):
                key = strict_key(part)
                if key:
                    strict.add(key)
            lkey = loose_key(part)
            if len(lkey) >= 2:
                loose.add(lkey)
    return strict, loose


_UNIT_SUFFIX = re.compile(
    r"\s*(айылный|айыл|сельский)?\s*(аймак|округ|кенеш)\s*$|\s*район\w*\s*$", re.IGNORECASE
)


def unit_stem(name: object) -> str:
    """Loose key of a unit or raion name without its kind word and adjective ending.

    ``"Ак-Булунский айылный аймак"`` and ``"Ак-Булун"`` give the same stem, so an aiyl aimak can
    be tied to its namesake village and a raion to its namesake town.

    Parameters
    ----------
    name : object
        Unit or raion name in Russian (COATE) or Latin.

    Returns
    -------
    str
        Loose key of the stem; ``""`` for a missing name.
    """
    if not isinstance(name, str):
        return ""
    text = _UNIT_SUFFIX.sub("", _fold(name).strip())
    text = re.sub(r"^г\.\s*", "", text).strip()
    for ending in ("ский", "цкий", "ской"):
        if text.endswith(ending) and len(text) > len(ending) + 2:
            text = text[: -len(ending)]
            break
    key = loose_key(text)
    return key
