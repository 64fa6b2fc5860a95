"""Exceptions raised by atr-model.

Every error subclasses a builtin so that ``except ValueError`` keeps working, and every message
names the file, row or unit concerned and what is wrong. The CLI and the app turn an
:class:`ATRError` into one readable line; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "ATRError",
    "DataError",
    "ContractError",
    "NetworkError",
    "CriteriaError",
    "ScenarioError",
    "InfeasibleError",
    "SolverError",
    "OutputError",
]


class ATRError(Exception):
    """Base class of every error atr-model raises on purpose.

    Parameters
    ----------
    *args
        The message (English: the CLI and the logs show it as it is).
    key : str, optional
        The same message as an interface text: the catalogue key ``error.<key>``
        (``presentation/locales``), so the app can show it in its language. Its English text
        is the message's template.
    params : mapping, optional
        The values that fill the key's placeholders.
    """

    def __init__(self, *args: object, key: str | None = None, params: Mapping[str, object] | None = None) -> None:
        super().__init__(*args)
        self.key = key
        self.params = dict(params or {})


class DataError(ATRError, ValueError):
    """An input file or table is missing, unreadable or wrong (names file, row, column)."""


class ContractError(DataError):
    """A dataset layer breaks the data contract (``data/README.md``)."""


class NetworkError(ATRError, ValueError):
    """A road file or travel model cannot be built or does not fit the territory."""


class CriteriaError(ATRError, ValueError):
    """A criterion has an invalid or contradictory value."""


class ScenarioError(ATRError, ValueError):
    """A scenario file is invalid: unknown keys, values out of range, missing dataset."""


class InfeasibleError(ATRError):
    """No plan satisfies the hard constraints.

    Parameters
    ----------
    message : str
        Human-readable summary naming the constraint(s) and unit(s) involved, in English.
    reasons : list of dict, optional
        Machine-readable detail, one dict per conflict with at least ``constraint`` and
        ``units`` keys, and ``message``, ``code`` and ``params`` where the conflict has a
        sentence of its own (catalogue text ``infeasible.<code>``).
    code : str, optional
        The message's code for the interface (catalogue text ``infeasible.<code>``);
        ``"hard_constraints"`` says the message lists the reasons' own sentences.
    params : dict, optional
        The message's raw values (unit codes, numbers, identifiers; see
        ``atr_model.optimisation.wording``).
    """

    def __init__(self, message: str, reasons: list[dict[str, Any]] | None = None, *, code: str = "",
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reasons = list(reasons or [])
        self.code = code
        self.params = dict(params or {})

    def __reduce__(self) -> tuple[Callable[..., InfeasibleError], tuple[str, list[dict[str, Any]], str, dict[str, Any]]]:
        # keep the reasons and the code across processes (a group solved in a worker process)
        return _rebuild_infeasible, (str(self), self.reasons, self.code, self.params)


def _rebuild_infeasible(message: str, reasons: list[dict[str, Any]], code: str,
                        params: dict[str, Any]) -> InfeasibleError:
    return InfeasibleError(message, reasons, code=code, params=params)


class SolverError(ATRError, RuntimeError):
    """The MILP solver failed or is not available (names the solver and its status)."""


class OutputError(ATRError, OSError):
    """An output folder or file cannot be written: it holds what atr-model did not write, or the
    disk is full (names the folder; what was there before is left as it was)."""
