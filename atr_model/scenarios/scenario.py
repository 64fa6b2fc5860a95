"""Scenario files: a named, validated, frozen set of inputs, criteria and solver options.

Precedence is written in one place, :func:`apply_overrides`: command-line options > scenario
file > defaults of :class:`Scenario` and :class:`~atr_model.criteria.Criteria`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from atr_model.criteria import Criteria, describe_validation_error
from atr_model.data import read_text_file
from atr_model.errors import ATRError, ScenarioError
from atr_model.optimisation import EngineSettings
from atr_model.scenarios.uncertainty_model import Uncertainty

__all__ = [
    "Scenario",
    "SolverOptions",
    "apply_overrides",
    "dump_scenario",
    "load_scenario",
    "scenario_from_dict",
    "scenario_from_yaml",
    "scenario_hash",
    "strict_yaml",
    "yaml_error",
]

_STRICT = ConfigDict(frozen=True, extra="forbid")


#: The engine's defaults, read from :class:`EngineSettings` (where they are written, once).
_ENGINE: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(EngineSettings)}


class SolverOptions(BaseModel):
    """How the merger MILP is solved; every default is the engine's own (:class:`EngineSettings`)."""

    model_config = _STRICT

    name: Literal["highs", "cbc"] = Field(
        _ENGINE["solver"], description=f"Default {_ENGINE['solver']!r} (in-process); 'cbc'."
    )
    time_limit_s: float = Field(
        _ENGINE["time_limit_s"], gt=0, le=86_400, description=f"Default {_ENGINE['time_limit_s']:g} s per solve."
    )
    gap_rel: float = Field(_ENGINE["gap_rel"], ge=0, le=1, description=f"Default {_ENGINE['gap_rel']:g}: prove optimality.")
    threads: int = Field(_ENGINE["threads"], ge=1, le=256, description=f"Default {_ENGINE['threads']} (deterministic).")
    contiguity: Literal["auto", "cuts", "flow", "none"] = Field(
        _ENGINE["contiguity"], description=f"Default {_ENGINE['contiguity']!r}: exact contiguity, method chosen per instance."
    )
    warm_start: bool = Field(
        _ENGINE["warm_start"],
        description=(
            f"Default {str(_ENGINE['warm_start']).lower()}: start the solver from the engine's heuristic plan "
            "(also what lets it fix variables against a known plan, and what a time-limited solve "
            "falls back on). It was off for a while after a wrong 'optimal' on a Kyrgyz raion, which "
            "came from reduced-cost fixing and was fixed there; on the Kyrgyz concept-2013, "
            "national-231 and cross-raion runs both settings give the identical plan."
        ),
    )


class Scenario(BaseModel):
    """One scenario: what to run on which data under which criteria.

    ``dataset`` is ``"demo"`` (the fictional demo territory), ``"kyrgyz"`` (build from the
    shared Kyrgyz open data through the cache) or a path to a dataset GeoPackage; relative
    paths are taken relative to the scenario file.
    """

    model_config = _STRICT

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80, description="Short id (file-name safe).")
    title: str = Field("", description="One-line title for reports (English).")
    title_ky: str = Field("", description="The title in Kyrgyz (optional; reports fall back to title).")
    title_ru: str = Field("", description="The title in Russian (optional; reports fall back to title).")
    description: str = Field("", description="What the scenario tests (English).")
    description_ky: str = Field("", description="The description in Kyrgyz (optional).")
    description_ru: str = Field("", description="The description in Russian (optional).")
    dataset: str = Field("demo", min_length=1, description="'demo', 'kyrgyz' or a dataset .gpkg path.")
    roads: str | None = Field(
        None,
        description=(
            "Road file (.osm.pbf, .osm, GPKG lines); 'auto' = the dataset's own (generated for the "
            "demo, none for the Kyrgyz build); 'demo'; null = modelled travel times."
        ),
    )
    elevation: str | None = Field(
        None,
        description=(
            "Elevation GeoTIFF; 'auto' = the dataset's own (demo DEM, shared GEBCO grid for the "
            "Kyrgyz build); 'demo'; 'kyrgyz'; null = no terrain penalties."
        ),
    )
    travel: str | None = Field(
        None,
        description=(
            "A built travel model: the folder 'atr-model network build --out' writes (relative to the "
            "scenario file). It replaces roads and elevation, and must be built on the same dataset."
        ),
    )
    level: Literal["aiyl_aimak", "raion"] = Field("aiyl_aimak", description="Stage 2.1 or 2.2.")
    criteria: Criteria = Field(default_factory=Criteria)
    solver: SolverOptions = Field(default_factory=SolverOptions)
    uncertainty: Uncertainty = Field(
        default_factory=Uncertainty,
        description="Spreads of the estimated inputs for robustness runs (assumptions; see scenarios.uncertainty).",
    )
    notes: str = Field("", description="Free text.")

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("dataset", "roads", "elevation", "travel")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if isinstance(value, str) else value

    @property
    def source_path(self) -> Path | None:
        """The file the scenario was read from, if any."""
        return self._source

    def resolve_path(self, value: str) -> Path:
        """A path from the scenario, relative to its file (else to the working directory)."""
        path = Path(os.path.expanduser(value))
        if path.is_absolute():
            return path
        if self._source is not None:
            beside = self._source.parent / path
            if beside.exists() or not path.exists():
                return beside
        return path


def scenario_from_dict(values: Any, *, where: str = "scenario", source: Path | None = None) -> Scenario:
    """Validate a mapping into a :class:`Scenario`.

    Raises
    ------
    ScenarioError
        Naming ``where`` and each bad key, e.g. "unknown key 'criteria.treshold'".
    """
    if not isinstance(values, dict):
        raise ScenarioError(f"{where}: expected a mapping of keys to values, got {type(values).__name__}")
    try:
        scenario = Scenario.model_validate(values)
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, Scenario, where=where)) from None
    scenario._source = source
    return scenario


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises
    ------
    ScenarioError
        When the file is missing or not YAML, or a key is unknown or out of range (the message
        names the file and the key).
    """
    source = Path(path)
    text = read_text_file(source, "scenario file", ScenarioError)
    return scenario_from_yaml(text, where=str(source), source=source.resolve())


#: PyYAML's contexts of a quote or bracket left open (its position is the opener's).
_UNCLOSED = ("while scanning a quoted scalar", "while parsing a flow mapping", "while parsing a flow sequence")

#: English templates of the YAML messages (the app's catalogue: ``error.<key>``).
YAML_MESSAGES: dict[str, str] = {
    "yaml_invalid": "{file}: line {line}, column {column}: not valid YAML ({problem})",
    "yaml_unclosed": "{file}: line {line}, column {column}: not valid YAML (the {opener} opened here is not "
                     "closed; {problem} at line {at_line}, column {at_column})",
    "yaml_unclosed_end": "{file}: line {line}, column {column}: not valid YAML (the {opener} opened here is never "
                         "closed: the file ends first)",
    "yaml_truncated": "{file}: line {line}, column {column}: not valid YAML (the file ends here, before a value is "
                      "complete; {problem})",
    "yaml_unplaced": "{file}: not valid YAML ({problem})",
    "yaml_duplicate_key": "{file}: line {line}: key '{key}' is given twice (first on line {first}); YAML would "
                          "silently keep the last one",
    "yaml_too_deep": "{file}: line {line}: lists and mappings nested more than {limit} deep; a scenario needs a few "
                     "levels",
    "yaml_too_deep_unplaced": "{file}: nested too deeply to read",
    "yaml_yes_no_number": "{file}: line {line}: '{field}' needs a number, got the yes/no value {value}",
}


def _refusal(message: str, **params: object) -> ScenarioError:
    """A :class:`ScenarioError` from a :data:`YAML_MESSAGES` template (English) and its values."""
    return ScenarioError(YAML_MESSAGES[message].format(**params), key=message, params=params)


def _end(text: str) -> tuple[int, int]:
    """0-based line and column just after the last character of the last non-blank line."""
    lines = text.splitlines()
    last = max((i for i, line in enumerate(lines) if line.strip()), default=0)
    return last, len(lines[last].rstrip()) if lines else 0


def _past_end(mark: yaml.Mark, text: str) -> bool:
    """Whether a mark lies after the last character that is not blank (PyYAML's end of stream)."""
    line, column = _end(text)
    return mark.line > line or (mark.line == line and mark.column >= column)


def yaml_error(exc: yaml.YAMLError, text: str, where: str, error: type[ATRError] = ScenarioError) -> ATRError:
    """The YAML error as one message naming the file, the line and the column (1-based) of the fault.

    PyYAML's marks are 0-based and its ``problem_mark`` is where the parser noticed, which for a
    quote or bracket left open is the end of the file (a line the file does not have): the
    fault is the opener, at ``context_mark``, so that is named, with where the parser gave up.
    A problem found only at the end of the file is placed on the last line that is not blank.
    The message carries a catalogue key (:data:`YAML_MESSAGES`).
    """
    # the scanner's, parser's and composer's errors carry marks; a plain YAMLError (the reader's) has none
    marked = exc if isinstance(exc, yaml.MarkedYAMLError) else None
    problem_mark = marked.problem_mark if marked is not None else None
    context_mark = marked.context_mark if marked is not None else None
    context = (marked.context if marked is not None else None) or ""
    problem = (marked.problem if marked is not None else None) or str(exc).splitlines()[0]
    params: dict[str, object] = {"file": where, "problem": problem}
    mark = problem_mark if problem_mark is not None else context_mark
    if context in _UNCLOSED and context_mark is not None and problem_mark is not None:
        lines = text.splitlines()
        opener = lines[context_mark.line][context_mark.column] if context_mark.line < len(lines) else ""
        params.update(line=context_mark.line + 1, column=context_mark.column + 1, opener=opener or "quote")
        if _past_end(problem_mark, text):
            key = "yaml_unclosed_end"
            del params["problem"]
        else:
            key = "yaml_unclosed"
            params.update(at_line=problem_mark.line + 1, at_column=problem_mark.column + 1)
    elif mark is None:
        key = "yaml_unplaced"
    elif _past_end(mark, text):
        key = "yaml_truncated"
        line, column = _end(text)
        params.update(line=line + 1, column=column + 1)
    else:
        key = "yaml_invalid"
        params.update(line=mark.line + 1, column=mark.column + 1)
    return error(YAML_MESSAGES[key].format(**params), key=key, params=params)


def scenario_from_yaml(text: str, *, where: str = "scenario", source: Path | None = None) -> Scenario:
    """Parse and validate scenario YAML text.

    Raises
    ------
    ScenarioError
        When the text is empty, is not YAML (naming ``where``, the line and the column) or
        does not validate (naming each bad key).
    """
    if not text.strip():
        raise ScenarioError(f"{where}: the file is empty (expected a scenario: name, dataset, criteria, ...)")
    values, lines = strict_yaml(text, where)
    if values is None:
        raise ScenarioError(f"{where}: the file holds only comments (expected a scenario: name, dataset, criteria, ...)")
    if isinstance(values, dict):
        _refuse_yes_no_numbers(values, Scenario, (), where, lines)
    return scenario_from_dict(values, where=where, source=source)


#: Deepest nesting of lists and mappings a scenario may have (the real ones reach 4; PyYAML
#: builds nested values recursively, so thousands of ``[`` would exhaust Python's stack).
MAX_YAML_DEPTH = 32

#: A key path inside a YAML document (mapping keys and list positions).
YamlPath = tuple[str | int, ...]


def _check_depth(text: str, where: str) -> None:
    """Refuse nesting deeper than :data:`MAX_YAML_DEPTH`, before anything recursive runs.

    PyYAML's parser is iterative (its events carry marks), its composer is not: the depth is
    counted on the events, so the error names the line of the first bracket too deep.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark is not None else 0
                raise _refusal("yaml_too_deep", file=where, line=line, limit=MAX_YAML_DEPTH)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _node_lines(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int], where: str, seen_nodes: set[int]) -> None:
    """Record the 1-based line of every value under ``node``; refuse a key given twice.

    A node reached again through an alias is not walked again (anchors nested into each other
    would otherwise make this walk exponential: the "billion laughs").
    """
    lines[path] = node.start_mark.line + 1
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _refusal("yaml_duplicate_key", file=where, line=line, key=key, first=seen[key])
            seen[key] = line
            _node_lines(value_node, (*path, str(key)), lines, where, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_lines(item, (*path, index), lines, where, seen_nodes)


def strict_yaml(text: str, where: str) -> tuple[Any, dict[YamlPath, int]]:
    """Parse YAML safely and strictly: the value and the line of each key path.

    Refused, each with the line: a key given twice in one mapping (PyYAML keeps the last one
    without a word), nesting deeper than :data:`MAX_YAML_DEPTH`, and what ``yaml.safe_load``
    refuses (``!!python`` tags, syntax errors).

    Raises
    ------
    ScenarioError
    """
    try:
        _check_depth(text, where)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None, {}
            lines: dict[YamlPath, int] = {}
            _node_lines(node, (), lines, where, set())
            return loader.construct_document(node), lines
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise yaml_error(exc, text, where) from None
    except RecursionError:  # anchors nested past the depth check; never a traceback
        raise _refusal("yaml_too_deep_unplaced", file=where) from None


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds (itself or inside ``X | None``), if any."""
    for candidate in typing.get_args(annotation) or (annotation,):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _numeric(annotation: Any) -> bool:
    """Whether a field takes a number (int or float, alone or in a union) and not a yes/no."""
    args = typing.get_args(annotation) or (annotation,)
    return bool(set(args) & {int, float}) and bool not in args


def _refuse_yes_no_numbers(
    values: dict[str, Any], model: type[BaseModel], path: YamlPath, where: str, lines: dict[YamlPath, int]
) -> None:
    """Refuse a YAML yes/no/true/false where the model expects a number.

    pydantic reads ``True`` as 1.0, so ``population_floor: yes`` would run with a floor of one
    person; the message names the key and its line.
    """
    for name, value in values.items():
        field = model.model_fields.get(str(name))
        if field is None:
            continue  # an unknown key: pydantic names it
        here = (*path, str(name))
        sub = _submodel(field.annotation)
        if isinstance(value, dict) and sub is not None:
            _refuse_yes_no_numbers(value, sub, here, where, lines)
        elif isinstance(value, bool) and _numeric(field.annotation):
            key = ".".join(str(p) for p in here)
            raise _refusal("yaml_yes_no_number", file=where, line=lines.get(here, 0), field=key,
                           value=str(value).lower())


def _plain(scenario: Scenario) -> dict[str, Any]:
    plain = scenario.model_dump(mode="json")
    # a scenario without a built travel model reads, hashes and writes as it did before the key
    if plain.get("travel") is None:
        plain.pop("travel", None)
    return plain


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the canonical resolved scenario (all defaults filled in, sorted keys)."""
    text = json.dumps(_plain(scenario), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dump_scenario(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (all defaults filled in), loadable again."""
    return yaml.safe_dump(_plain(scenario), sort_keys=False, allow_unicode=True)


def apply_overrides(scenario: Scenario, **overrides: Any) -> Scenario:
    """Return a copy with command-line values applied (``None`` means "not given").

    Keys are top-level scenario fields (``dataset``, ``roads``, ...) or dotted paths into nested
    ones (``"criteria.population_floor"``); the result is validated again.
    """
    values = _plain(scenario)
    for key, value in overrides.items():
        if value is None:
            continue
        parts = key.split(".")
        target = values
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return scenario_from_dict(values, where=f"scenario {scenario.name!r}", source=scenario.source_path)
