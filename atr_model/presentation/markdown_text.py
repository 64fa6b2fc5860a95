"""Presentation: text a user supplied, shown inside Markdown as text.

The app writes scenario titles and descriptions, dataset, unit and file names into Markdown
(``st.markdown``, captions, notices, expander labels). A title such as
``![x](http://host/pixel.png)`` would otherwise load an image from an outside host (telling it
who opened the page), ``[see](http://host/)`` or a bare ``www.host`` would become a link, and
``**``, ``:red[...]``, ``$...$`` or ``:material/...:`` would change how the page reads.
:func:`md_text` is the one escape for all of them: every ASCII punctuation character, which
CommonMark lets a backslash escape, gets one (so no image, link, autolink, emphasis, HTML,
colour, icon or formula syntax is left), and line breaks become spaces (no heading, list or
quote can start). Streamlit's renderer also turns a bare ``http://...``, ``www.host`` or
``name@host`` into a link after escapes are resolved, so an invisible word joiner (U+2060)
goes before the ``://``, the dot of ``www.`` and the ``@``. The text reads as it was given.
"""

from __future__ import annotations

import re
import string

__all__ = ["md_text"]

_ESCAPED = frozenset(string.punctuation)
#: Where a bare web or mail address would begin to be recognised as a link.
_AUTOLINK = re.compile(r"(?=://)|(?i:(?<=www))(?=\.)|(?=@)")
_WORD_JOINER = "\u2060"


def md_text(value: object) -> str:
    """``value`` as Markdown that renders as exactly its text (None as '').

    Parameters
    ----------
    value
        A title, description or name (anything else is shown with ``str``).

    Returns
    -------
    str
        The text with every ASCII punctuation character backslash-escaped, line breaks as
        spaces and a word joiner where an address would become a link.
    """
    text = _AUTOLINK.sub(_WORD_JOINER, "" if value is None else str(value))
    return "".join("\\" + ch if ch in _ESCAPED else " " if ch in "\r\n" else ch for ch in text)
