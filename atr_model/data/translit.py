"""Data layer: Latin spellings of Kyrgyz and Russian (Cyrillic) place names for display.

The English interface, reports and tables show a unit's English name when the data has one;
when it has only Cyrillic names, :func:`transliterate` writes them in Latin letters so that one
table never mixes scripts. (Matching keys for joining sources are a different, lossy thing:
see :mod:`atr_model.data.names`.)

The table is the BGN/PCGN romanization of Kyrgyz (1979), which also covers the Russian
alphabet, with the simplifications of Kyrgyz official English practice ("Chui", "Issyk-Kul",
"Jalal-Abad", "Ak-Shyirak"):

====== ======== ==========================================================================
letter Latin    note
====== ======== ==========================================================================
а б в  a b v
г д    g d
е      e / ye   ``ye`` at the start of a word and after a vowel, ``ъ`` or ``ь``
ё      yo
ж      j        as BGN/PCGN Kyrgyz; Russian ``дж`` (the same sound) is also ``j``
з и    z i
й      i / y    ``y`` before a vowel, ``iy`` for the adjective ending ``-ий``, else ``i``
к л м  k l m
н ң    n ng
о ө    o ö
п р с  p r s
т у ү  t u ü
ф х    f kh
ц ч    ts ch
ш щ    sh shch
ъ ь    (none)   dropped, as in Kyrgyz official English spellings
ы      y
э      e
ю я    yu ya
====== ======== ==========================================================================

Case follows the source: a capital Cyrillic letter gives a capital first Latin letter
(``Ж`` -> ``J``, ``Ш`` -> ``Sh``), and words written all in capitals stay all in capitals.
Kind words of unit names are translated, not transliterated
(``"Нарынский район"`` -> ``"Naryn raion"``; ``"Ак-Шыйракский айылный аймак"`` ->
``"Ak-Shyirak"``, as the data's English names of aiyl aimaks are bare stems).
"""

from __future__ import annotations

import functools
import re

__all__ = ["TRANSLIT_TABLE", "transliterate", "is_cyrillic", "latin_unit_name"]

#: Cyrillic letter (lower case) -> Latin spelling; see the module docstring for context rules.
TRANSLIT_TABLE: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "j", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "ң": "ng", "о": "o", "ө": "ö",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ү": "ü", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # letters of neighbouring alphabets that turn up in place names
    "і": "i", "ә": "ä", "ғ": "gh", "қ": "q", "ұ": "u", "һ": "h", "җ": "j",
}

_VOWELS = set("аеёиоөуүыэюяaeiouy")
_CYRILLIC = re.compile("[\u0400-\u04ff]")

#: Kind words of unit names -> their English form (longest first; matched case-insensitively).
_KIND_WORDS: tuple[tuple[str, str], ...] = (
    # aiyl aimaks: the data's English names are bare stems ("Ak-Bulun"), so the kind goes
    ("айылный аймак", ""),
    ("айыл аймагы", ""),
    ("айылдык аймагы", ""),
    ("айылдык аймак", ""),
    ("сельский округ", ""),
    ("айылный округ", ""),
    ("районы", "raion"),
    ("район", "raion"),
    ("областы", "oblast"),
    ("облусу", "oblast"),
    ("область", "oblast"),
    ("поселок городского типа", "urban-type settlement"),
    ("шаары", "town"),
    ("город", "town"),
)
_KIND = re.compile(
    r"^(?P<stem>.*?)(?P<adj>ский|цкий|ской|ская|ский)?\s+(?P<kind>"
    + "|".join(re.escape(k) for k, _ in _KIND_WORDS)
    + r")\s*$",
    re.IGNORECASE,
)
_PREFIX_TOWN = re.compile(r"^\s*г\.\s*", re.IGNORECASE)


def is_cyrillic(text: object) -> bool:
    """Whether ``text`` contains any Cyrillic letter."""
    return isinstance(text, str) and bool(_CYRILLIC.search(text))


def _letter(text: str, i: int) -> str:
    """Latin spelling of the lower-case Cyrillic letter at ``text[i]`` in its context."""
    ch = text[i].lower()
    prev = text[i - 1].lower() if i > 0 else ""
    nxt = text[i + 1].lower() if i + 1 < len(text) else ""
    if ch == "е" and (not prev.isalpha() or prev in _VOWELS or prev in "ъь"):
        return "ye"
    if ch == "й":
        if nxt in _VOWELS:
            return "y"
        if prev == "и" and not nxt.isalpha():
            return "y"  # -ий -> -iy
        return "i"
    return TRANSLIT_TABLE.get(ch, text[i])


def transliterate(text: object) -> str:
    """Write a Cyrillic (Kyrgyz or Russian) text in Latin letters with :data:`TRANSLIT_TABLE`.

    Parameters
    ----------
    text : object
        A name; non-strings give ``""``; Latin characters, digits and punctuation pass through.

    Returns
    -------
    str
        The Latin spelling.

    Examples
    --------
    >>> transliterate("Ак-Шыйрак")
    'Ak-Shyirak'
    >>> transliterate("Жети-Өгүз")
    'Jeti-Ögüz'
    >>> transliterate("Джалал-Абад")
    'Jalal-Abad'
    """
    if not isinstance(text, str):
        return ""
    # Russian writes the Kyrgyz "ж" as "дж": one letter, one Latin "j"
    text = text.replace("дж", "ж").replace("Дж", "Ж").replace("ДЖ", "Ж")
    out: list[str] = []
    for word in re.split(r"(\W+)", text):
        if not is_cyrillic(word):
            out.append(word)
            continue
        letters = [c for c in word if c.isalpha()]
        all_caps = len(letters) > 1 and all(c.isupper() for c in letters)
        parts = []
        for i, ch in enumerate(word):
            latin = _letter(word, i)
            if ch.isupper() and latin:
                latin = latin.upper() if all_caps else latin[0].upper() + latin[1:]
            parts.append(latin)
        out.append("".join(parts))
    return "".join(out)


def latin_unit_name(name: object) -> str:
    """The Latin (English) form of a unit, raion or oblast name given in Cyrillic.

    The kind words are translated ("район" -> "raion", "область" -> "oblast") or, for aiyl
    aimaks, dropped, and the Russian adjective ending of the stem too, so the name reads as the
    data's English names do ("Ak-Bulun"); the rest is :func:`transliterate`.

    Examples
    --------
    >>> latin_unit_name("Ак-Шыйракский айылный аймак")
    'Ak-Shyirak'
    >>> latin_unit_name("Тонский район")
    'Ton raion'
    """
    if not isinstance(name, str):
        return ""
    return _latin_name(name)


@functools.lru_cache(maxsize=8192)
def _latin_name(name: str) -> str:
    """:func:`latin_unit_name` of a string, remembered: every run names the same units again."""
    text = _PREFIX_TOWN.sub("", name.strip())
    match = _KIND.match(text)
    if match is None:
        return transliterate(text)
    kind = match.group("kind").lower()
    english = next(e for k, e in _KIND_WORDS if k == kind)
    return f"{transliterate(match.group('stem').strip())} {english}".strip()
