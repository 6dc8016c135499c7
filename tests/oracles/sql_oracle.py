"""SQL oracle for crates/sql/tests/sql_differential.rs (docs/testing.md, "SQL: differential runs").

Reads one JSON request per line on stdin and answers each with one JSON line on stdout:

  {"op": "setup", "sql": [statements]}
      starts a fresh in-memory DuckDB and SQLite database and runs the statements in both
      -> {"setup": {"duckdb": null | "error", "sqlite": null | "error"}}
  {"op": "query", "duckdb": sql | null, "sqlite": sql | null}
      runs the query in each engine it is given for
      -> {"duckdb": result | null, "sqlite": result | null}
      where result is {"rows": [[value, ...], ...], "types": [type, ...]} or {"error": "..."}

Values are normalized as docs/testing.md says: booleans become 0/1, DECIMALs become floats, NaN and
infinities become strings; dates and other values their text. SQLite runs with
case_sensitive_like, so LIKE is case-sensitive as in DuckDB and the engine under test.
Pinned packages: tests/oracles/requirements.txt (duckdb); sqlite3 is the standard library's.
"""

import datetime
import decimal
import json
import math
import sqlite3
import sys

import duckdb


def norm(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (datetime.date, datetime.datetime, datetime.timedelta)):
        return str(v)
    return repr(v)


def run(con, sql):
    try:
        cur = con.execute(sql)
        rows = cur.fetchall() if cur.description is not None else []
        types = [str(d[1]) for d in cur.description] if cur.description else []
        return {"rows": [[norm(v) for v in r] for r in rows], "types": types}
    except Exception as e:  # noqa: BLE001 - every engine error is an answer
        return {"error": f"{type(e).__name__}: {e}"}


def fresh():
    duck = duckdb.connect(":memory:")
    duck.execute("SET threads = 1")
    lite = sqlite3.connect(":memory:", isolation_level=None)
    lite.execute("PRAGMA case_sensitive_like = ON")
    return duck, lite


def main():
    duck, lite = fresh()
    out = sys.stdout
    while True:
        line = sys.stdin.readline()
        if not line:
            break
        if not line.strip():
            continue
        req = json.loads(line)
        if req["op"] == "setup":
            duck.close()
            lite.close()
            duck, lite = fresh()
            errors = {"duckdb": None, "sqlite": None}
            for stmt in req["sql"]:
                for name, con in (("duckdb", duck), ("sqlite", lite)):
                    r = run(con, stmt)
                    if "error" in r and errors[name] is None:
                        errors[name] = r["error"]
            answer = {"setup": errors}
        elif req["op"] == "query":
            answer = {
                "duckdb": run(duck, req["duckdb"]) if req.get("duckdb") else None,
                "sqlite": run(lite, req["sqlite"]) if req.get("sqlite") else None,
            }
        else:
            answer = {"error": f"unknown op {req['op']!r}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
