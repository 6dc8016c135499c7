"""Avro oracle for crates/avro/tests/differential.rs (docs/testing.md, "Avro").

Reads one JSON request per line on standard input and writes one JSON answer per line:
  {"op": "compat", "reader": SCHEMA, "writer": SCHEMA}
      -> {"compatible": bool}   (the `avro` package's ReaderWriterCompatibilityChecker, a port of
                                 Avro's Java SchemaCompatibility)
  {"op": "encode", "schema": SCHEMA, "value": AVRO_JSON, "ours": HEX}
      -> {"hex": fastavro's binary, "decoded": fastavro's Avro JSON of OUR bytes}
  {"op": "canonical", "schema": SCHEMA}
      -> {"canonical": fastavro's Parsing Canonical Form, "fingerprint": CRC-64-AVRO as hex}
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


OPS = {"compat": compat, "encode": encode, "canonical": canonical}

for line in sys.stdin:
    request = json.loads(line)
    try:
        answer = OPS[request["op"]](request)
    except Exception as e:  # the harness reports it with the request
        answer = {"error": f"{type(e).__name__}: {e}"}
    sys.stdout.write(json.dumps(answer) + "\n")
