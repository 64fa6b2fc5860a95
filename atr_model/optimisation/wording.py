"""Output: how the engine writes its messages: an English sentence plus a code and parameters.

Every message the engine writes for people (a unit's reason, a checker violation, an
infeasibility) records a message code and its parameters beside the English sentence, so the
interface can render it in its own language (``atr_model.presentation.messages``). Parameters
are raw values: numbers (rounded with :func:`shown` to the precision the sentence states), unit
codes and lists of codes, identifiers (rule names, solver statuses); never formatted text.

The English sentence writes numbers as the interface's English does (thousands separators, as
many decimals as the value carries, at most two: :func:`number`), so the English rendering of a
code and its parameters is the engine's own sentence (``tests/test_messages.py`` holds both to
that).
"""

from __future__ import annotations

import math

__all__ = ["Params", "ParamValue", "decimals", "number", "param_number", "shown"]

#: One parameter value: a number, a code or identifier, a list of codes, or pieces of codes.
ParamValue = str | int | float | list[str] | list[list[str]]

#: A message's parameters: name -> raw value (JSON-ready).
Params = dict[str, ParamValue]


def decimals(value: float) -> int:
    """How many decimals a message writes ``value`` with: as many as it carries, at most two.

    The interface formats a parameter with this many decimals, so its English rendering is
    the engine's text.
    """
    for digits in (0, 1):
        if abs(round(value, digits) - value) <= 1e-9 * max(1.0, abs(value)):
            return digits
    return 2


def shown(value: float, digits: int = 0) -> int | float:
    """``value`` rounded to the precision a message states it with (whole numbers as ``int``).

    Examples
    --------
    >>> shown(2753.6), shown(117.634, 1), shown(90.0, 1)
    (2754, 117.6, 90)
    """
    number_ = float(value)
    if not math.isfinite(number_):
        return number_
    rounded = round(number_, digits)
    return int(rounded) if float(rounded).is_integer() else rounded


def number(value: float) -> str:
    """English text of a number in a message: ``3,000``, ``117.6``, ``0.25``, ``∞``.

    Written the way ``atr_model.presentation.i18n.format_number`` writes English with the
    value's own decimals, so a message rendered again from its parameters reads the same.
    """
    value = float(value)
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞"
    return f"{value:,.{decimals(value)}f}"


def param_number(params: Params, name: str) -> str:
    """English text (:func:`number`) of the numeric parameter ``name`` of a message.

    A message's sentence writes the very value its parameters hold, so it reads the number
    back from them; a parameter that is a code or a list is a slip in the engine.

    Raises
    ------
    TypeError
        ``params[name]`` is not a number.
    """
    value = params[name]
    if isinstance(value, (str, list)):
        raise TypeError(f"message parameter {name!r} is {value!r}, not a number")
    return number(value)
