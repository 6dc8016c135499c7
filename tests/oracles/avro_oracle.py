"""Avro oracle for crates/avro/tests/differential.rs (docs/testing.md, "Avro").

Reads one JSON request per line on standard input and writes one JSON answer per line:
  {"op": "compat", "reader": SCHEMA, "writer": SCHEMA}
      -> {"compatible": bool}   (the `avro` package's ReaderWriterCompatibilityChecker, a port of
                                 Avro's Java SchemaCompatibility)
  {"op": "encode", "schema": SCHEMA, "value": AVRO_JSON, "ours": HEX}
      -> {"hex": fastavro's binary, "decoded": fastavro's Avro JSON of OUR bytes}
  {"op": "canonical", "schema": SCHEMA}
      -> {"canonical": fastavro's Parsing Canonical Form, "fingerprint": CRC-64-AVRO as hex}
  {"op": "resolve", "writer": SCHEMA, "reader": SCHEMA, "hex": HEX}
      -> {"decoded": fastavro's Avro JSON (in the reader schema) of the bytes written with the
                     writer schema, read by schemaless_reader(buf, writer, reader)}
Any exception becomes {"error": message}.
"""
import io
import json
import sys

import avro.compatibility
import avro.schema
import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form


def compat(request):
    reader = avro.schema.parse(json.dumps(request["reader"]))
    writer = avro.schema.parse(json.dumps(request["writer"]))
    result = avro.compatibility.ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    return {"compatible": result.compatibility is avro.compatibility.SchemaCompatibilityType.compatible}


def encode(request):
    schema = request["schema"]
    parsed = parse_schema(schema)
    # Avro's JSON encoding of a top-level value, read by fastavro's JSON reader.
    value = next(iter(fastavro.json_reader(io.StringIO(json.dumps(request["value"])), schema)))
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, value)
    ours = fastavro.schemaless_reader(io.BytesIO(bytes.fromhex(request["ours"])), parsed)
    text = io.StringIO()
    fastavro.json_writer(text, schema, [ours])
    return {"hex": out.getvalue().hex(), "decoded": json.loads(text.getvalue())}


def canonical(request):
    form = to_parsing_canonical_form(parse_schema(request["schema"]))
    return {"canonical": form, "fingerprint": fingerprint(form, "CRC-64-AVRO")}


def defaults_as_bytes(schema, datum, named):
    """fastavro fills a bytes or fixed field's default with the JSON string itself (code points
    U+0000 to U+00FF, one per byte), which its JSON writer then refuses: turn those into bytes.
    `schema` is fastavro's parsed form (named types defined once, then referred to by name)."""
    if isinstance(schema, str):
        if schema in named:
            return defaults_as_bytes(named[schema], datum, named)
        return datum.encode("latin-1") if schema == "bytes" and isinstance(datum, str) else datum
    if isinstance(schema, list):
        for branch in schema:
            b = named.get(branch, branch) if isinstance(branch, str) else branch
            if not isinstance(b, dict):
                continue
            fits = (
                b["type"] == "record" and isinstance(datum, dict) and {f["name"] for f in b["fields"]} == set(datum)
                or b["type"] == "map" and isinstance(datum, dict)
                or b["type"] == "array" and isinstance(datum, list)
            )
            if fits:
                return defaults_as_bytes(branch, datum, named)
        return datum
    kind = schema["type"]
    if kind in ("record", "enum", "fixed"):
        named[schema["name"]] = schema
    if kind == "record":
        return {f["name"]: defaults_as_bytes(f["type"], datum[f["name"]], named) for f in schema["fields"]}
    if kind == "array":
        return [defaults_as_bytes(schema["items"], d, named) for d in datum]
    if kind == "map":
        return {k: defaults_as_bytes(schema["values"], d, named) for k, d in datum.items()}
    if kind in ("fixed", "bytes") and isinstance(datum, str):
        return datum.encode("latin-1")
    return datum


def resolve(request):
    writer = parse_schema(request["writer"])
    reader = parse_schema(request["reader"])
    datum = fastavro.schemaless_reader(io.BytesIO(bytes.fromhex(request["hex"])), writer, reader)
    parsed = parse_schema(request["reader"], _write_hint=False)
    datum = defaults_as_bytes(parsed, datum, {})
    text = io.StringIO()
    fastavro.json_writer(text, request["reader"], [datum])
    return {"decoded": json.loads(text.getvalue())}


OPS = {"compat": compat, "encode": encode, "canonical": canonical, "resolve": resolve}

for line in sys.stdin:
    request = json.loads(line)
    try:
        answer = OPS[request["op"]](request)
    except Exception as e:  # the harness reports it with the request
        answer = {"error": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(answer) + "\n")
