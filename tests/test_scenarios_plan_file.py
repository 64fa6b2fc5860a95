"""Plan files as people bring them (Excel's separators and encodings), one clear message per
malformed file, and YAML errors placed on the line and column of the fault."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from atr_model.errors import DataError, ScenarioError
from atr_model.presentation import i18n
from atr_model.scenarios import load_scenario, read_plan_csv, read_plan_text
from atr_model.scenarios.plan_file import PLAN_MESSAGES
from atr_model.scenarios.scenario import YAML_MESSAGES

ROWS = [("41704230813000", "N1", "41704230815000"), ("41704230815000", "N1", ""), ("41704230840000", "N2", "")]


def _text(sep: str, *, header: tuple[str, ...] = ("unit_code", "new_unit_id", "centre_code"), eol: str = "\n") -> str:
    return eol.join(sep.join(row) for row in [header, *ROWS]) + eol


def _expected() -> dict[str, list[str]]:
    return {"unit_code": [r[0] for r in ROWS], "new_unit_id": [r[1] for r in ROWS], "centre_code": [r[2] for r in ROWS]}


@pytest.mark.parametrize(
    "data",
    [
        _text(",").encode("utf-8"),
        _text(";", eol="\r\n").encode("utf-8-sig"),  # Excel, Russian locale: "CSV UTF-8"
        _text(";", eol="\r\n").encode("cp1251"),  # Excel, Russian locale: "CSV (разделители - запятые)"
        _text("\t").encode("utf-8"),
        _text("\t", eol="\r\n").encode("utf-16"),  # Excel: "Unicode text"
        _text(";", header=("Unit_Code", " new_unit_id", "CENTRE_CODE")).encode("utf-8-sig"),
    ],
    ids=["comma", "semicolon-bom-crlf", "semicolon-cp1251", "tab", "tab-utf16", "header-case"],
)
def test_excel_separators_and_encodings_read_the_same(data: bytes, tmp_path: Path) -> None:
    assert read_plan_text(data, where="plan.csv").to_dict("list") == _expected()
    path = tmp_path / "plan.csv"
    path.write_bytes(data)
    assert read_plan_csv(path).to_dict("list") == _expected()


def test_excel_leftovers_are_ignored() -> None:
    """Blank lines, rows of separators only, trailing separators and extra columns of notes."""
    text = "unit_code;new_unit_id;примечание\n\nA;1;;\nB;1;центр\n;;;\n"
    assert read_plan_text(text.encode("cp1251"), where="p.csv").to_dict("list") == {
        "unit_code": ["A", "B"], "new_unit_id": ["1", "1"]}


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        (b"unit_code,new_unit_id\nA,1\nB,2,x\n", "plan_fields",
         "bad.csv: row 3 has 3 field(s) where the header has 2 (unit_code, new_unit_id; separator ,)"),
        (b"unit_code;new_unit_id\nA;1\nB\n", "plan_fields",
         "bad.csv: row 3 has 1 field(s) where the header has 2 (unit_code, new_unit_id; separator ;)"),
        (b'unit_code,new_unit_id\nA,1\n"B,2\nC,3\n', "plan_quoting",
         "bad.csv: row 3: a quoted field is not closed, or text follows its closing quote"),
        (b'unit_code,new_unit_id\n"A"x,1\n', "plan_quoting",
         "bad.csv: row 2: a quoted field is not closed, or text follows its closing quote"),
        (b"code;new_unit_id\nA;1\n", "plan_missing_columns",
         ("bad.csv: row 1: missing column(s) unit_code (expected unit_code,new_unit_id; the header has: code, "
          "new_unit_id; separator ;)")),
        (b"unit_code;new_unit_id\n4,17042E+13;1\n", "plan_scientific",
         ("bad.csv: row 2: unit_code 4,17042E+13 is a shortened number (Excel writes long codes in scientific "
          "notation); format the column as Text and save again")),
        (b"unit_code,new_unit_id\nA,1\n\nA,2\n", "plan_duplicate", "bad.csv: row 4: unit 'A' is listed twice (first on row 2)"),
        (b"unit_code,new_unit_id\nA,\n", "plan_empty_cell", "bad.csv: row 2: empty new_unit_id"),
        (b"unit_code,new_unit_id\n", "plan_no_rows", "bad.csv: the header is there but no unit rows follow it"),
        (b" \r\n", "plan_empty", "bad.csv: the file is empty (expected a header unit_code,new_unit_id and one row per unit)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "plan_workbook",
         "bad.csv: this is an Excel workbook, not a CSV file; in Excel use File > Save As > CSV"),
    ],
)
def test_a_malformed_plan_gets_one_message_naming_file_and_row(data: bytes, key: str, message: str) -> None:
    with pytest.raises(DataError) as caught:
        read_plan_text(data, where="bad.csv")
    assert str(caught.value) == message
    assert caught.value.key == key
    assert "Error tokenizing" not in message and "pandas" not in message


def test_plan_messages_are_interface_texts_in_every_language() -> None:
    english = json.loads((i18n.LOCALES_DIR / "en.json").read_text(encoding="utf-8"))
    for key, template in {**PLAN_MESSAGES, **YAML_MESSAGES}.items():
        assert english[f"error.{key}"] == template, key
    with pytest.raises(DataError) as caught:
        read_plan_text(b"unit_code;new_unit_id\nA;1\nA;2\n", where="plan.csv")
    assert i18n.error_text(caught.value, "en") == str(caught.value)
    assert i18n.error_text(caught.value, "ru") == "plan.csv: строка 3: единица 'A' указана дважды (впервые в строке 2)"
    assert i18n.error_text(caught.value, "ky") == "plan.csv: 3-сап: 'A' бирдиги эки жолу берилген (биринчиси 2-сапта)"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # a 6-line file whose fault is the quote opened on line 2: PyYAML notices at the end (line 7)
        ('name: x\ntitle: "Concept\ndataset: demo\nlevel: aiyl_aimak\ncriteria:\n  population_floor: 5000\n',
         "line 2, column 8: not valid YAML (the \" opened here is never closed: the file ends first)"),
        ("name: x\ntitle: 'Concept\ndataset: demo\n", "line 2, column 8: not valid YAML (the ' opened here"),
        ("name: x\ncriteria: {population_floor: 5000\ndataset: demo\n",
         ("line 2, column 11: not valid YAML (the { opened here is not closed; expected ',' or '}', but got ':' "
          "at line 3, column 8)")),
        ("name: x\n  title: y\ndataset: demo\n", "line 2, column 8: not valid YAML (mapping values are not allowed here)"),
        ("name: x\n\ttitle: y\n", "line 2, column 1: not valid YAML (found character '\\t'"),
        ("name: x\ncriteria:\n  population_floor: 5000\n - a\n", "line 4, column 2: not valid YAML (expected <block end>"),
    ],
)
def test_yaml_errors_name_the_line_and_column_of_the_fault(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: {where}")
    line = caught.value.params["line"]
    assert isinstance(line, int)
    assert 1 <= line <= len(text.splitlines())  # never a line the file does not have
