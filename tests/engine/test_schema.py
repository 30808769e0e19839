"""JSON Schema of the documents: what editors and the YAML language server check against."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine.cli import main
from engine.schema import DOCUMENTS, KINDS, json_schema
from tests.conftest import QUESTIONNAIRES, shipped_documents
from tests.engine.test_loader import PLANTED


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _data(text: str):
    return _plain(yaml.safe_load(text))


def _validator(document: str, capsys) -> jsonschema.Draft202012Validator:
    assert main(["schema", document]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", shipped_documents(), ids=lambda p: p.name)
def test_printed_schema_validates_every_shipped_document(path, capsys):
    data = _data(path.read_text(encoding="utf-8"))
    validator = _validator(KINDS[data["kind"]], capsys)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def test_schema_rejects_the_planted_misspelt_key(capsys):
    validator = _validator("questionnaire", capsys)
    only_misspelt = PLANTED.replace("scale: agree7", "scale: sat5").replace('code: no,', 'code: "no",')
    errors = list(validator.iter_errors(_data(only_misspelt)))
    assert errors, "the misspelt 'lable' must not validate"
    assert any("lable" in e.message or "lable" in json.dumps(e.instance, ensure_ascii=False) for e in errors)
    fixed = only_misspelt.replace("lable:", "label:")
    assert list(validator.iter_errors(_data(fixed))) == []


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_committed_schema_files_are_current(document):
    committed = json.loads((QUESTIONNAIRES / "schemas" / f"{document}.schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(document), "run: manyi schema %s -o questionnaires/schemas/%s.schema.json" % (
        document, document)


@pytest.mark.parametrize("path", shipped_documents(), ids=lambda p: p.name)
def test_shipped_documents_name_their_schema_for_the_yaml_language_server(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
    assert target.is_file() and target.parent == (QUESTIONNAIRES / "schemas").resolve()
    kind = KINDS[_data(path.read_text(encoding="utf-8"))["kind"]]
    assert target.name == f"{kind}.schema.json"


def test_schema_of_an_unknown_document_is_a_clear_error():
    with pytest.raises(ValueError, match="questionnaire, policy, plan"):
        json_schema("survey")
