"""Turn pydantic validation errors into one readable line naming the file and the key."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["describe_validation_error"]


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _siblings(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model that owns the last key of ``loc``."""
    current: type[BaseModel] | None = model
    for part in loc[:-1]:
        if current is None:
            return []
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        current = _submodel(field.annotation) if field is not None else None
    return sorted(current.model_fields) if current is not None else []


def _one(model: type[BaseModel], error: Any, prefix: str) -> str:
    loc = tuple(error.get("loc", ()))
    key = ".".join(str(p) for p in (prefix, *loc) if p != "")
    if error.get("type") == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), _siblings(model, loc), n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key '{key}'{suggestion}"
    value = error.get("input")
    shown = "" if isinstance(value, (dict, list)) or value is None else f" (got {value!r})"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"'{key}': {message}{shown}" if key else f"{message}{shown}"


def describe_validation_error(
    exc: ValidationError, model: type[BaseModel], *, where: str, prefix: str = ""
) -> str:
    """One line per problem, joined with '; ', starting with ``where``.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised while validating ``model``.
    model : type of pydantic.BaseModel
        The model validated (used to suggest the closest key for an unknown one).
    where : str
        File or object named first in the message.
    prefix : str, optional
        Key path of ``model`` inside a larger document (e.g. ``"criteria"``).

    Returns
    -------
    str
    """
    parts = [_one(model, err, prefix) for err in exc.errors()]
    return f"{where}: " + "; ".join(parts)
