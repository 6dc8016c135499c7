"""The SQL benchmark's peer: the same tables (built by the same formulas as
lab_core::bench::sql_bench_session) and the same queries in DuckDB, natively, best of 3.
Prints a markdown table, then the large benchmark (a GROUP BY and a join over LARGE_ROWS rows,
and the memory DuckDB holds after loading). Usage: bench_duckdb.py [ROWS [LARGE_ROWS]]"""
import sys
import time

import duckdb

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
LARGE_ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
QUERIES = [
    ("filter + count", "SELECT count(*), sum(v) FROM t WHERE v > 0.5 AND g < 500"),
    ("GROUP BY with COUNT DISTINCT", "SELECT g, count(*), count(DISTINCT k) FROM t GROUP BY g"),
    ("hash join 1M x 100k + GROUP BY", "SELECT d.cat, count(*), sum(t.v) FROM t JOIN d ON t.k = d.k GROUP BY d.cat"),
    ("ORDER BY ... LIMIT", "SELECT k, v FROM t ORDER BY v DESC, k LIMIT 10"),
    ("window: top 3 per group", "SELECT count(*) FROM (SELECT row_number() OVER (PARTITION BY g ORDER BY v DESC) AS rn FROM t) x WHERE rn <= 3"),
]
# lab::bench::SQL_LARGE_QUERIES
LARGE_QUERIES = [
    ("GROUP BY with COUNT DISTINCT, 10M rows", "SELECT g, count(*), count(DISTINCT k) FROM t GROUP BY g"),
    ("hash join 10M x 100k + GROUP BY", "SELECT d.cat, count(*), sum(t.v) FROM t JOIN d ON t.k = d.k GROUP BY d.cat"),
]


def load(con, rows):
    """Creates t and d; returns the load time in milliseconds."""
    start = time.perf_counter()
    con.execute(
        f"CREATE TABLE t AS SELECT i * 7919 % 100000 AS k, i % 1000 AS g, "
        f"(i * 2654435761 % 1000000) / 1e6 AS v FROM range({rows}) r(i)"
    )
    con.execute("CREATE TABLE d AS SELECT i AS k, 'c' || (i % 20) AS cat FROM range(100000) r(i)")
    return (time.perf_counter() - start) * 1000


def timed(con, queries):
    """Prints each query's best of 3 as a table row."""
    for name, sql in queries:
        best = float("inf")
        rows = 0
        for _ in range(3):
            start = time.perf_counter()
            rows = len(con.execute(sql).fetchall())
            best = min(best, (time.perf_counter() - start) * 1000)
        print(f"| {name} | {best:.1f} | {rows} row(s) |")


con = duckdb.connect()
con.execute("SET threads TO 1")  # one thread, like the WebAssembly builds
load_ms = load(con, ROWS)
print(f"### SQL over {ROWS} rows (DuckDB {duckdb.__version__}, native, one thread, best of 3)\n")
print("| query | ms | result |\n|---|---|---|")
print(f"| load the tables | {load_ms:.1f} | {ROWS} + 100000 rows |")
timed(con, QUERIES)

con = duckdb.connect()
con.execute("SET threads TO 1")
load_ms = load(con, LARGE_ROWS)
# The buffer manager's own account of the memory it holds (the loaded tables, in memory).
memory = con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
print(f"\n### SQL over {LARGE_ROWS} rows (DuckDB {duckdb.__version__}, native, one thread, best of 3)\n")
print("| query | ms | result |\n|---|---|---|")
print(f"| load the tables | {load_ms:.1f} | {LARGE_ROWS} + 100000 rows |")
timed(con, LARGE_QUERIES)
print(f"| memory in use after loading | {memory / 2**20:.1f} MiB | duckdb_memory() |")
