"""Fills in the expected results of sqllogictest files from real engines (the sqllogictest crate's "completion
mode"), so that no expected result ever comes from the engine under test.

    target/oracle-venv/bin/python tests/oracles/slt_expected.py tests/slt/*.slt          # rewrite
    target/oracle-venv/bin/python tests/oracles/slt_expected.py --check tests/slt/*.slt  # compare

Each file runs top to bottom in a fresh DuckDB 2.0.0 and a fresh SQLite (Python's sqlite3, with
case_sensitive_like, as in tests/oracles/sql_oracle.py). `statement` records run in both.
For every `query` record the chosen oracle's rows replace the expected rows, and its column types
replace the type letters (I integer, R floating point, T text, B boolean, D date, P timestamp,
? anything else); values are printed as the runner prints ours (crates/lab-cli/tests/slt.rs):
%d, %.3f, NULL, (empty), true/false. Rows are sorted for `rowsort` records.

The oracle is DuckDB unless a comment line right above the record says:
    # oracle: sqlite   (SQLite semantics: integer division truncates, as ours does)
    # oracle: none     (results kept as written; the comment above must say where they come from)
A file can change its default with `# oracle-default: sqlite`.
`query error` / `statement error` records are run too, and a warning is printed when the
oracle accepts them (our error cases follow PostgreSQL, which sometimes errs where DuckDB and
SQLite do not; the comment above such a record should say so).
"""

import datetime
import decimal
import sqlite3
import sys

import duckdb

INT_TYPES = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
             "USMALLINT", "UTINYINT", "UHUGEINT"}


def type_letter_duck(t):
    t = str(t).upper()
    if t in INT_TYPES:
        return "I"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return "R"
    if t == "VARCHAR":
        return "T"
    if t == "BOOLEAN":
        return "B"
    if t == "DATE":
        return "D"
    if t.startswith("TIMESTAMP"):
        return "P"
    return "?"


def type_letter_values(values):
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "?"
    if kinds <= {int}:
        return "I"
    if kinds <= {int, float}:
        return "R"
    if kinds <= {str}:
        return "T"
    return "?"


def fmt(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, (float, decimal.Decimal)):
        return "%.3f" % float(v)
    if isinstance(v, str):
        return "(empty)" if v == "" else v
    if isinstance(v, (datetime.date, datetime.datetime)):
        return str(v)
    raise ValueError(f"cannot print {v!r} ({type(v).__name__}): CAST it to TEXT in the query")


class Oracles:
    def __init__(self):
        self.duck = duckdb.connect(":memory:")
        self.duck.execute("SET threads = 1")
        self.lite = sqlite3.connect(":memory:", isolation_level=None)
        self.lite.execute("PRAGMA case_sensitive_like = ON")

    def run(self, which, sql):
        con = self.duck if which == "duckdb" else self.lite
        cur = con.execute(sql)
        rows = cur.fetchall() if cur.description else []
        if which == "duckdb":
            types = [type_letter_duck(d[1]) for d in cur.description or []]
        else:
            n = len(cur.description or [])
            types = [type_letter_values([r[i] for r in rows]) for i in range(n)]
        return types, rows


def split_records(lines):
    """Yields (start, end) line ranges of blank-line separated blocks."""
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].strip():
            j += 1
        yield i, j
        i = j


def complete(path, check):
    text = open(path).read()
    lines = text.split("\n")
    out = []
    oracles = Oracles()
    default = "duckdb"
    problems = 0
    last = 0
    for start, end in split_records(lines):
        out.extend(lines[last:start])
        last = end
        block = lines[start:end]
        oracle = None
        head = 0
        while head < len(block) and (block[head].startswith("#") or block[head].split()[0] in
                                     ("skipif", "onlyif")):
            line = block[head]
            if line.startswith("# oracle-default:"):
                default = line.split(":", 1)[1].strip()
            elif line.startswith("# oracle:"):
                oracle = line.split(":", 1)[1].strip()
            head += 1
        oracle = oracle or default
        if head == len(block):
            out.extend(block)
            continue
        words = block[head].split()
        where = f"{path}:{start + head + 1}"
        if words[0] == "statement":
            sql = "\n".join(block[head + 1:])
            for which in ("duckdb", "sqlite"):
                try:
                    oracles.run(which, sql)
                    if words[1] == "error" and which == oracle:
                        print(f"{where}: warning: {which} accepts this statement error: {sql}")
                except Exception as e:  # noqa: BLE001
                    if words[1] == "ok" and which == oracle:
                        print(f"{where}: {which} fails: {e}")
                        problems += 1
            out.extend(block)
            continue
        if words[0] != "query":
            out.extend(block)
            continue
        if words[1] == "error":
            sql = "\n".join(block[head + 1:])
            if oracle != "none":
                try:
                    oracles.run(oracle, sql)
                    print(f"{where}: warning: {oracle} accepts this query error: {sql}")
                except Exception:  # noqa: BLE001
                    pass
            out.extend(block)
            continue
        sep = block.index("----") if "----" in block else len(block)
        sql = "\n".join(block[head + 1:sep])
        expected = block[sep + 1:]
        sort = words[2] if len(words) > 2 else "nosort"
        if oracle == "none":
            out.extend(block)
            continue
        try:
            types, rows = oracles.run(oracle, sql)
        except Exception as e:  # noqa: BLE001
            print(f"{where}: {oracle} fails: {e}\n  {sql}")
            problems += 1
            out.extend(block)
            continue
        result = [" ".join(fmt(v) for v in r) for r in rows]
        if sort == "rowsort":
            result.sort()
        elif sort == "valuesort":
            result = sorted(v for r in rows for v in map(fmt, r))
        letters = "".join(types)
        header = " ".join(["query", letters] + words[2:])
        if check and (expected != result or header != block[head]):
            print(f"{where}: {oracle} differs from the file:\n  {sql}\n  file:   {block[head]} "
                  f"{expected}\n  oracle: {header} {result}")
            problems += 1
        out.extend(block[:head] + [header] + block[head + 1:sep] + ["----"] + result)
    out.extend(lines[last:])
    new = "\n".join(out)
    if not check and new != text:
        open(path, "w").write(new)
        print(f"{path}: updated")
    return problems


def main():
    args = sys.argv[1:]
    check = "--check" in args
    files = [a for a in args if a != "--check"]
    problems = sum(complete(f, check) for f in files)
    if problems:
        print(f"{problems} problem(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
