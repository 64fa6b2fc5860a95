"""The words a dataset depends on: what its units, districts and regions are called, its
currency and the legal basis of its reform (the dataset's ``terms``).

A dataset may carry a metadata entry ``terms`` (the GeoPackage ``metadata`` table: key ``terms``,
value a JSON object) with the keys of :data:`TERM_KEYS`. Every text value is an object
``{"en": ..., "ru": ..., "ky": ...}``; a missing language falls back to English. ``currency``
is an ISO 4217 code or null (no money figures are printed); ``legal_basis`` a text or null (no
legal text and no Concept criteria sheet are printed: the report lists the scenario's own
criteria instead).

The Kyrgyz build and the demo have no ``terms`` entry: they get :data:`KYRGYZ_TERMS`. Any
other dataset without one gets :data:`GENERIC_TERMS` (municipality / district / region, no
currency, no legal basis), so nothing Kyrgyz is printed for another country's data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from atr_model.errors import DataError

__all__ = [
    "TERM_KEYS",
    "KYRGYZ_KINDS",
    "DatasetTerms",
    "KYRGYZ_TERMS",
    "GENERIC_TERMS",
    "dataset_terms",
    "parse_terms",
]

#: Keys of a ``terms`` entry; all but ``currency`` hold texts by language (``legal_basis`` and
#: ``country`` may be null).
TERM_KEYS = (
    "country",
    "unit_term",
    "unit_term_plural",
    "district_term",
    "region_term",
    "office_term",
    "currency",
    "legal_basis",
)

#: Keys whose value may be null.
_NULLABLE = ("country", "currency", "legal_basis")

#: Dataset kinds (metadata ``kind``) that are Kyrgyz: they get :data:`KYRGYZ_TERMS` without a
#: ``terms`` entry of their own.
KYRGYZ_KINDS = ("kyrgyzstan-open-data", "demo")

#: Languages a text may be given in; English is the fallback.
_LANGS = ("en", "ru", "ky")

_CURRENCY = re.compile(r"^[A-Z]{3}$")

#: Words of currencies whose name the texts use instead of their code.
_CURRENCY_NAMES: dict[str, dict[str, str]] = {"KGS": {"en": "som", "ru": "сом", "ky": "сом"}}


@dataclass(frozen=True)
class DatasetTerms:
    """What a dataset's units, upper levels, offices and money are called, and its legal basis.

    Attributes
    ----------
    unit_term, unit_term_plural, district_term, region_term, office_term : Mapping[str, str]
        Language -> word (``en`` always present).
    country : Mapping[str, str] or None
        Language -> the country's name.
    currency : str or None
        ISO 4217 code; None: no money figures.
    legal_basis : Mapping[str, str] or None
        Language -> text naming the reform's legal basis; None: no legal text.
    """

    unit_term: Mapping[str, str]
    unit_term_plural: Mapping[str, str]
    district_term: Mapping[str, str]
    region_term: Mapping[str, str]
    office_term: Mapping[str, str]
    country: Mapping[str, str] | None = None
    currency: str | None = None
    legal_basis: Mapping[str, str] | None = None

    def word(self, key: str, lang: str = "en") -> str:
        """The text of term ``key`` in ``lang`` (English when the language is missing); "" when null.

        Examples
        --------
        >>> KYRGYZ_TERMS.word("district_term", "en"), GENERIC_TERMS.word("unit_term_plural", "en")
        ('raion', 'municipalities')
        """
        if key == "currency":
            return self.currency_name(lang)
        value = getattr(self, key)
        if value is None:
            return ""
        return str(value.get(lang) or value.get("en") or "")

    def currency_name(self, lang: str = "en") -> str:
        """How amounts are labelled: the currency's word where the texts have one ("som"), else
        its ISO code ("EUR"); "" without a currency."""
        if self.currency is None:
            return ""
        names = _CURRENCY_NAMES.get(self.currency)
        return names.get(lang, names["en"]) if names else self.currency

    @property
    def is_kyrgyz(self) -> bool:
        """Whether these are the Kyrgyz build's terms (the catalogue's own Kyrgyz wording applies)."""
        return self == KYRGYZ_TERMS

    def to_json(self) -> dict[str, Any]:
        """The ``terms`` entry as written to a dataset's metadata or a result's provenance."""
        return {key: (dict(v) if isinstance(v := getattr(self, key), Mapping) else v) for key in TERM_KEYS}


KYRGYZ_TERMS = DatasetTerms(
    country={"en": "Kyrgyz Republic", "ru": "Кыргызская Республика", "ky": "Кыргыз Республикасы"},
    unit_term={"en": "aiyl aimak", "ru": "айыл аймак", "ky": "айыл аймак"},
    unit_term_plural={"en": "aiyl aimaks", "ru": "айыл аймаки", "ky": "айыл аймактар"},
    district_term={"en": "raion", "ru": "район", "ky": "район"},
    region_term={"en": "oblast", "ru": "область", "ky": "облус"},
    office_term={"en": "aiyl okmotu office", "ru": "айыл окмоту", "ky": "айыл өкмөтү"},
    currency="KGS",
    legal_basis={
        'en': (
            "Government of the Kyrgyz Republic, resolution No. 198 of 23 March 2012 \"On the Concept of the "
            "administrative-territorial reform in the Kyrgyz Republic\", as revised by resolution No. 581 of 28 "
            "October 2013; Kyrgyz text as published in the journal \"Муниципалитет\" No. 12 (25), December 2013 "
            "(Development Policy Institute). Official normative text."
        ),
        'ru': (
            "Постановление Правительства Кыргызской Республики от 23 марта 2012 года № 198 «О Концепции "
            "административно-территориальной реформы в Кыргызской Республике» в редакции постановления от 28 "
            "октября 2013 года № 581; кыргызский текст по журналу «Муниципалитет» № 12 (25), декабрь 2013 "
            "(Институт политики развития). Официальный нормативный текст."
        ),
        'ky': (
            "Кыргыз Республикасынын Өкмөтүнүн 2012-жылдын 23-мартындагы №198 «Кыргыз Республикасындагы "
            "административдик-аймактык реформанын Концепциясы жөнүндө» токтому, 2013-жылдын 28-октябрындагы №581 "
            "токтомунун редакциясында; кыргызча тексти «Муниципалитет» журналынын 2013-жылдын декабрындагы №12 "
            "(25) санында (Өнүктүрүү саясат институту). Расмий ченемдик текст."
        ),
    },
)

GENERIC_TERMS = DatasetTerms(
    country=None,
    unit_term={"en": "municipality", "ru": "муниципалитет", "ky": "муниципалитет"},
    unit_term_plural={"en": "municipalities", "ru": "муниципалитеты", "ky": "муниципалитеттер"},
    district_term={"en": "district", "ru": "район", "ky": "район"},
    region_term={"en": "region", "ru": "регион", "ky": "регион"},
    office_term={"en": "municipal office", "ru": "муниципальная администрация", "ky": "муниципалдык администрация"},
    currency=None,
    legal_basis=None,
)


def _text(value: Any, key: str, where: str) -> dict[str, str]:
    """A text by language: ``{"en": ..., "ru": ..., "ky": ...}`` (a plain string counts as English)."""
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if not isinstance(value, Mapping) or not value:
        raise DataError(f"{where}: terms key '{key}' must be a text or an object {{\"en\": ..., \"ru\": ..., \"ky\": ...}}")
    unknown = [str(lang) for lang in value if lang not in _LANGS]
    if unknown:
        raise DataError(f"{where}: terms key '{key}' has unknown language(s) {', '.join(unknown)}; use en, ru, ky")
    bad = [str(lang) for lang, text in value.items() if not isinstance(text, str) or not text.strip()]
    if bad:
        raise DataError(f"{where}: terms key '{key}': the '{bad[0]}' value must be a non-empty text")
    texts = {str(lang): str(text).strip() for lang, text in value.items()}
    if "en" not in texts:
        raise DataError(f"{where}: terms key '{key}' has no English ('en') text (the fallback of the other languages)")
    return texts


def parse_terms(raw: Any, where: str = "terms") -> DatasetTerms:
    """Check a ``terms`` entry (a mapping, or its JSON text) and return it as :class:`DatasetTerms`.

    Keys left out take :data:`GENERIC_TERMS`' value.

    Raises
    ------
    DataError
        On a value that is not a JSON object, an unknown key, a text value that is not text by
        language, or a currency that is not a three-letter ISO 4217 code; the message names
        ``where`` and the key.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: terms is not JSON ({exc.msg}, column {exc.colno})") from exc
    if not isinstance(raw, Mapping):
        raise DataError(f"{where}: terms must be an object with the keys {', '.join(TERM_KEYS)}")
    unknown = [str(k) for k in raw if k not in TERM_KEYS]
    if unknown:
        raise DataError(f"{where}: unknown terms key(s) {', '.join(unknown)}; expected {', '.join(TERM_KEYS)}")
    values: dict[str, Any] = {}
    for key in TERM_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        if value is None:
            if key not in _NULLABLE:
                raise DataError(f"{where}: terms key '{key}' may not be null")
            values[key] = None
        elif key == "currency":
            if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
                raise DataError(f"{where}: terms key 'currency' must be an ISO 4217 code such as EUR, or null; got {value!r}")
            values[key] = value.strip().upper()
        else:
            values[key] = _text(value, key, where)
    base = GENERIC_TERMS.to_json()
    merged = {**base, **values}
    return DatasetTerms(**merged)


def dataset_terms(dataset_or_metadata: Any) -> DatasetTerms:
    """The terms of a dataset: its ``terms`` entry, else :data:`KYRGYZ_TERMS` for the Kyrgyz build
    and the demo, else :data:`GENERIC_TERMS`.

    Parameters
    ----------
    dataset_or_metadata : Dataset or Mapping
        A :class:`~atr_model.data.dataset.Dataset` or its ``metadata`` (``kind``, ``terms``...).
        A result's provenance works too (``dataset_kind``, ``dataset_terms``).

    Returns
    -------
    DatasetTerms

    Examples
    --------
    >>> dataset_terms({"kind": "demo"}).is_kyrgyz, dataset_terms({"kind": "other"}) == GENERIC_TERMS
    (True, True)
    """
    metadata = getattr(dataset_or_metadata, "metadata", dataset_or_metadata)
    if not isinstance(metadata, Mapping):
        return GENERIC_TERMS
    raw = metadata.get("terms", metadata.get("dataset_terms"))
    if raw is not None:
        return parse_terms(raw, f"dataset {metadata.get('name', metadata.get('dataset_name', ''))!s}".strip())
    kind = str(metadata.get("kind", metadata.get("dataset_kind", "")))
    return KYRGYZ_TERMS if kind in KYRGYZ_KINDS else GENERIC_TERMS
