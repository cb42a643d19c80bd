"""Cross-check of the collection's schema against the real client: what the schema accepts, the client applies.

The module refuses what its schema rejects; the danger is the other way round, a document the schema allows
but the client rejects, because the client then drops the whole file silently. Two checks, each proven by the
fake endpoint receiving the request (the file's env.ANTHROPIC_BASE_URL and apiKeyHelper were applied):

- every top-level key of plugins/plugin_utils/settings_schema.json with a small value the schema accepts
  (required members filled in), all in one file;
- every fixed value (enum) outside `env` (the client does not check env values): a few files in all, round i
  takes the i-th value of each enum.

On failure the message lists what the client reported on stderr (key path and reason).
"""

from __future__ import annotations

import json
import re

import pytest

from e2e_support import REPO_ROOT, key_helper, write_settings

SCHEMA_FILE = REPO_ROOT / "plugins/plugin_utils/settings_schema.json"
ANY_KEY = "fleetcfg-e2e"  # the key used under additionalProperties


def load_schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


def enum_sites(node: dict, path=()):
    """(path, node) of every enum reachable through properties, items and additionalProperties.
    ``0`` in a path stands for a list item, ANY_KEY for a free key. anyOf/$ref branches are not followed."""
    if "enum" in node and path:
        yield path, node
    for key, sub in node.get("properties", {}).items():
        if not (path == () and key == "env"):
            yield from enum_sites(sub, path + (key,))
    if isinstance(node.get("items"), dict):
        yield from enum_sites(node["items"], path + (0,))
    if isinstance(node.get("additionalProperties"), dict):
        yield from enum_sites(node["additionalProperties"], path + (ANY_KEY,))


def resolve(node: dict, schema: dict) -> dict:
    while "$ref" in node:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def minimal(node: dict, schema: dict):
    """A small value that satisfies ``node`` (None when the node does not say what it wants)."""
    node = resolve(node, schema)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in node:
            return minimal(node[combinator][0], schema)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "string":
        return "x" * max(1, node.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, node.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return [minimal(node.get("items", {"type": "string"}), schema)] * node.get("minItems", 0)
    if kind == "object" or "properties" in node:
        return {key: minimal(node["properties"][key], schema) for key in node.get("required", [])}
    return None


def child(node: dict, key):
    if key == 0:
        return node["items"]
    if key == ANY_KEY:
        return node["additionalProperties"]
    return node["properties"][key]


def place(doc: dict, schema: dict, path: tuple, value) -> None:
    """Put ``value`` at ``path`` in ``doc``, creating containers with their required members."""
    container, node = doc, schema
    for key in path[:-1]:
        node = child(node, key)
        if key == 0:
            if not container:
                container.append(minimal(node, schema))
            container = container[0]
        else:
            if key not in container:
                container[key] = minimal(node, schema)
            container = container[key]
    if path[-1] == 0:
        container[:1] = [value]
    else:
        container[path[-1]] = value


def rounds(schema: dict) -> list[dict]:
    sites = list(enum_sites(schema))
    count = max(len(node["enum"]) for _path, node in sites)
    docs = []
    for i in range(count):
        doc: dict = {}
        for path, node in sites:
            place(doc, schema, path, node["enum"][i % len(node["enum"])])
        docs.append(doc)
    return docs


def every_key(schema: dict) -> dict:
    """One document with a small valid value for every top-level key (the gateway keys are added later)."""
    doc = {}
    for key, node in schema["properties"].items():
        if key in ("env", "apiKeyHelper"):
            continue
        value = minimal(node, schema)
        if value is not None:
            doc[key] = value
    return doc


def value_at(doc, dotted: str):
    for part in dotted.split("."):
        try:
            doc = doc[int(part)] if isinstance(doc, list) else doc[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return "(absent)"
    return doc


def assert_applied(fake, result, doc):
    problems = re.findall(r"settings\.json \(([^)]*)\): (.*)", result.stderr)
    assert fake.messages(), ("the client dropped a settings file the collection's schema accepts: " + "; ".join(
        f"{key} = {json.dumps(value_at(doc, key))}: {why}" for key, why in problems))


def run_with_gateway(doc, config_dir, fake, run_claude):
    doc = dict(doc, env={"ANTHROPIC_BASE_URL": fake.url}, apiKeyHelper=str(key_helper(config_dir)))
    write_settings(config_dir, doc)
    return doc, run_claude(config_dir)


def test_documents_pass_the_schema_and_cover_every_enum_value():
    """The premise of the checks below: the documents are valid by the collection's own schema, and the
    rounds use every allowed value."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = load_schema()
    validator = jsonschema.Draft7Validator(schema)
    docs = rounds(schema)
    for path, node in enum_sites(schema):
        used = set()
        for doc in docs:
            value = doc
            for key in path:
                value = value[key]
            used.add(value)
        assert used == set(node["enum"]), path
    for doc in docs + [every_key(schema)]:
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
        assert not errors, errors


def test_client_applies_a_file_with_every_schema_key(config_dir, fake, run_claude):
    doc, result = run_with_gateway(every_key(load_schema()), config_dir, fake, run_claude)

    assert_applied(fake, result, doc)


@pytest.mark.parametrize("index", range(len(rounds(load_schema()))) if SCHEMA_FILE.exists() else [])
def test_client_accepts_every_enum_value_of_the_schema(config_dir, fake, run_claude, index):
    doc, result = run_with_gateway(rounds(load_schema())[index], config_dir, fake, run_claude)

    assert_applied(fake, result, doc)
