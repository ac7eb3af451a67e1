"""`simlife schema` and `simlife diagram` derive from the model; the README embeds the diagram."""

from __future__ import annotations

import json

import jsonschema
import orjson
from click.testing import CliRunner

from lifecycle.codes import SimStatus
from simulator.cli import cli
from tests.conftest import ROOT


def test_schema_is_draft_2020_12_and_accepts_the_seeds(seed_lines: list[bytes]) -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for line in seed_lines:
        validator.validate(orjson.loads(line))
    no_id = orjson.loads(seed_lines[0])
    del no_id["id"]
    assert not validator.is_valid(no_id)


def test_diagram_shows_every_sim_status() -> None:
    result = CliRunner().invoke(cli, ["diagram"])
    assert result.exit_code == 0
    assert result.output.startswith("stateDiagram-v2\n")
    for status in SimStatus:
        assert f'"{status.label}"' in result.output


def test_readme_embeds_the_current_diagram() -> None:
    diagram = CliRunner().invoke(cli, ["diagram"]).output
    readme = (ROOT / "README.md").read_text()
    assert f"```mermaid\n{diagram}```" in readme


def test_unknown_command_is_a_usage_error() -> None:
    assert CliRunner().invoke(cli, ["frobnicate"]).exit_code == 2
