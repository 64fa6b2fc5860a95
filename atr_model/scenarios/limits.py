"""Resource limits: the one place for their defaults, how to change them, and the checks.

Every limit has a default here, an environment variable that overrides it for a server or a
shell, and (for the CLI) a command-line option that overrides both for one command:

=====================  ==========  =============================  ===============================
limit                  default     environment variable           option
=====================  ==========  =============================  ===============================
sweep points           1,000       ``ATR_MAX_SWEEP_POINTS``       ``sweep --max-points``
calibration points     500         ``ATR_MAX_CALIBRATION_POINTS`` ``calibrate --max-points``
robustness draws       10,000      ``ATR_MAX_DRAWS``              ``robustness --max-draws``
scheduler answer (s)   5           ``ATR_SCHEDULER_TIMEOUT``      (none)
app upload (MB)        5           ``ATR_APP_MAX_UPLOAD_MB``      ``server.maxUploadSize`` too
app concurrent solves  1           ``ATR_APP_MAX_SOLVES``         (none)
=====================  ==========  =============================  ===============================

A request over a limit is refused at once, before anything is allocated, with one line naming
the count, the limit and how to raise it: a sweep of ``threshold=0:1000000000:1`` never builds
its billion points, and ``--draws 1000000000`` never spawns a billion seeds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from atr_model.errors import ScenarioError

__all__ = ["Limits", "limits", "check_sweep_points", "check_calibration_points", "check_draws"]


@dataclass(frozen=True)
class Limits:
    """The resource limits in force (see the module's table for each one's variable).

    Attributes
    ----------
    sweep_points : int
        Most grid points one sweep may run.
    draws : int
        Most joint draws one robustness run may make.
    scheduler_timeout_s : float
        Seconds a Dask scheduler has to answer a connection.
    upload_mb : int
        Largest file the app accepts, in megabytes.
    app_solves : int
        Solves the app server runs at once (the others wait in a queue, shown their place).
    calibration_points : int
        Most grid points one calibration may solve (each a full exact solve of the covered raions).
    """

    sweep_points: int = 1_000
    draws: int = 10_000
    scheduler_timeout_s: float = 5.0
    upload_mb: int = 5
    app_solves: int = 1
    calibration_points: int = 500


#: Environment variable of each field of :class:`Limits`.
ENVIRONMENT = {
    "sweep_points": "ATR_MAX_SWEEP_POINTS",
    "draws": "ATR_MAX_DRAWS",
    "scheduler_timeout_s": "ATR_SCHEDULER_TIMEOUT",
    "upload_mb": "ATR_APP_MAX_UPLOAD_MB",
    "app_solves": "ATR_APP_MAX_SOLVES",
    "calibration_points": "ATR_MAX_CALIBRATION_POINTS",
}


def limits() -> Limits:
    """The limits in force: the defaults of :class:`Limits`, each overridden by its variable.

    Raises
    ------
    ScenarioError
        When a variable is set to something other than a positive number.
    """
    base = Limits()
    values: dict[str, float | int] = {}
    for name, variable in ENVIRONMENT.items():
        text = os.environ.get(variable, "").strip()
        if not text:
            continue
        kind = type(getattr(base, name))
        try:
            value = kind(text)
        except ValueError:
            raise ScenarioError(f"{variable}={text!r}: expected a positive {kind.__name__}") from None
        if value <= 0:
            raise ScenarioError(f"{variable}={text!r}: expected a positive {kind.__name__}")
        values[name] = value
    return Limits(**{**base.__dict__, **values})


def check_calibration_points(count: int, limit: int | None = None) -> None:
    """Refuse a calibration grid of more than ``limit`` points (default: :func:`limits`).

    Raises
    ------
    ScenarioError
        Naming the count, the limit and how to raise it.
    """
    _refuse_over(count, limits().calibration_points if limit is None else limit, "calibrate", "grid points",
                 f"use fewer values or a larger step, or raise it with --max-points or {ENVIRONMENT['calibration_points']}")


def check_sweep_points(count: int, limit: int | None = None) -> None:
    """Refuse a sweep of more than ``limit`` points (default: :func:`limits`).

    Raises
    ------
    ScenarioError
        Naming the count, the limit and how to raise it.
    """
    _refuse_over(count, limits().sweep_points if limit is None else limit, "sweep", "points",
                 f"narrow the --param ranges, or raise it with --max-points or {ENVIRONMENT['sweep_points']}")


def check_draws(draws: int, limit: int | None = None) -> None:
    """Refuse a robustness run of more than ``limit`` draws (default: :func:`limits`).

    Raises
    ------
    ScenarioError
        Naming the count, the limit and how to raise it.
    """
    _refuse_over(draws, limits().draws if limit is None else limit, "robustness", "draws",
                 f"raise it with --max-draws or {ENVIRONMENT['draws']}")


def _refuse_over(count: int, most: int, command: str, what: str, how: str) -> None:
    if count > most:
        raise ScenarioError(f"{command}: {count:,} {what} exceed the limit of {most:,} ({how})")
