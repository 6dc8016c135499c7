"""The point-in-time join benchmark's peers: pandas merge_asof, Polars join_asof and DuckDB
(ASOF LEFT JOIN, and the window-rank form) on the rows `lab-bench pit DIR` wrote, timed the same
way (the data in memory before the clock starts, sorting and restoring entity order inside),
each answer checked against the native join's checksum. Prints markdown tables.

Usage: bench_pit.py DIR [RUNS]   (run by scripts/bench.sh after `lab-bench pit DIR`)

Semantics, the same in every engine: per entity row, the feature row with the same key and the
greatest (event_ts, created_ts, seq) with event_ts <= ts, NULL when that row is older than the
TTL (event_ts < ts - ttl; both bounds inclusive). pandas' merge_asof and Polars' join_asof keep
the last of equal right keys, so the right side is sorted by the whole tie-break order; DuckDB's
ASOF join picks any of equal rows, so its input keeps one row per (key, event_ts) first.
The created-time cutoff (Feast's filter_by_created_timestamp) has no asof form: only the
window-rank query answers it.
"""
import json
import os
import subprocess
import sys
import time
import warnings


def load_native(directory):
    with open(os.path.join(directory, "native.txt")) as f:
        pairs = (line.split() for line in f if line.strip())
        return {name: float(value) if "." in value else int(value) for name, value in pairs}


def median_ms(case, runs):
    """Runs a (join, checksum) case `runs` times; the median and the fastest time of the join
    alone (on a shared machine the fastest run is the one least disturbed), and the checksum of
    its last answer."""
    run, checksum = case
    times, answer = [], None
    for _ in range(runs):
        start = time.perf_counter()
        answer = run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return (times[len(times) // 2], times[0]), checksum(answer)


# --- pandas -------------------------------------------------------------------------------


def pandas_case(directory, ttl):
    import numpy as np
    import pandas as pd

    feat = pd.read_csv(os.path.join(directory, "features.csv"))
    ent = pd.read_csv(os.path.join(directory, "entities.csv"))

    def run():
        right = feat.sort_values(["event_ts", "created_ts", "seq"], kind="stable")
        left = ent.sort_values("ts", kind="stable")
        out = pd.merge_asof(
            left,
            right[["key", "event_ts", "f1", "f2"]],
            left_on="ts",
            right_on="event_ts",
            by="key",
            direction="backward",
            allow_exact_matches=True,
            tolerance=ttl,
        )
        return out.sort_values("rid", kind="stable")

    def checksum(out):
        hit = out[out["f1"].notna()]
        weighted = int(((hit["rid"].to_numpy() + 1) * (hit["f1"].to_numpy() * 256).astype(np.int64)).sum())
        return len(hit), weighted

    return (run, checksum), pd.__version__


# --- Polars -------------------------------------------------------------------------------


def polars_case(directory, ttl):
    import polars as pl

    feat = pl.read_csv(os.path.join(directory, "features.csv"))
    ent = pl.read_csv(os.path.join(directory, "entities.csv"))

    def run():
        right = feat.sort(["event_ts", "created_ts", "seq"])
        left = ent.sort("ts")
        out = left.join_asof(
            right.select(["key", "event_ts", "f1", "f2"]),
            left_on="ts",
            right_on="event_ts",
            by="key",
            strategy="backward",
            tolerance=ttl,
        )
        return out.sort("rid")

    def checksum(out):
        hit = out.filter(pl.col("f1").is_not_null())
        weighted = hit.select(((pl.col("rid") + 1) * (pl.col("f1") * 256).cast(pl.Int64)).sum()).item()
        return hit.height, int(weighted)

    return (run, checksum), pl.__version__, pl.thread_pool_size()


def polars_one_thread(directory, ttl, runs):
    """Polars fixes its thread pool at import: run it in a child with POLARS_MAX_THREADS=1."""
    env = dict(os.environ, POLARS_MAX_THREADS="1")
    child = subprocess.run(
        [sys.executable, __file__, "--polars", directory, str(runs), str(ttl)],
        env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(child.stdout)


# --- DuckDB -------------------------------------------------------------------------------


def duckdb_cases(directory, ttl, threads):
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads TO {threads}")
    for table, name in [("feat", "features.csv"), ("ent", "entities.csv")]:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{os.path.join(directory, name)}')")
    actual = con.execute("SELECT current_setting('threads')").fetchone()[0]
    asof = f"""
        CREATE OR REPLACE TEMP TABLE out AS
        WITH f AS (
          SELECT * FROM feat
          QUALIFY row_number() OVER (PARTITION BY key, event_ts ORDER BY created_ts DESC, seq DESC) = 1)
        SELECT e.rid,
               CASE WHEN f.event_ts >= e.ts - {ttl} THEN f.f1 END AS f1,
               CASE WHEN f.event_ts >= e.ts - {ttl} THEN f.f2 END AS f2
        FROM ent e ASOF LEFT JOIN f ON e.key = f.key AND e.ts >= f.event_ts
        ORDER BY e.rid"""

    def window(cutoff):
        known = "AND f.created_ts <= e.ts" if cutoff else ""
        return f"""
        CREATE OR REPLACE TEMP TABLE out AS
        SELECT e.rid, f.f1, f.f2 FROM ent e LEFT JOIN feat f
          ON e.key = f.key AND f.event_ts <= e.ts AND f.event_ts >= e.ts - {ttl} {known}
        QUALIFY row_number() OVER (PARTITION BY e.rid
                                   ORDER BY f.event_ts DESC NULLS LAST, f.created_ts DESC NULLS LAST,
                                            f.seq DESC) = 1
        ORDER BY e.rid"""

    def checksum(_):
        return tuple(con.execute(
            "SELECT count(f1), coalesce(sum((rid + 1) * CAST(f1 * 256 AS BIGINT)), 0) FROM out"
        ).fetchone())

    def runner(sql):
        return (lambda: con.execute(sql)), checksum

    return {"asof": runner(asof), "window": runner(window(False)), "window_cutoff": runner(window(True))}, duckdb.__version__, actual


# --- the tables ---------------------------------------------------------------------------


def main():
    warnings.filterwarnings("ignore", message="Sortedness")
    directory = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    native = load_native(directory)
    ttl = 24 * 3600 * 1_000_000
    # Only the join is timed (sorting and entity order included); each checksum is taken after.
    results = []  # (engine, threads, ms, (matched, weighted), variant)
    case, pandas_version = pandas_case(directory, ttl)
    results.append((f"pandas {pandas_version} merge_asof", 1, *median_ms(case, runs), "plain"))
    one = polars_one_thread(directory, ttl, runs)
    results.append((f"Polars {one['version']} join_asof", 1, tuple(one["ms"]), tuple(one["answer"]), "plain"))
    case, polars_version, pool = polars_case(directory, ttl)
    results.append((f"Polars {polars_version} join_asof", pool, *median_ms(case, runs), "plain"))
    for threads in (1, None):
        cases, duck_version, actual = duckdb_cases(directory, ttl, threads)
        results.append((f"DuckDB {duck_version} ASOF LEFT JOIN (ties deduplicated first)", actual,
                        *median_ms(cases["asof"], runs), "plain"))
        results.append((f"DuckDB {duck_version} window rank (row_number)", actual,
                        *median_ms(cases["window"], runs), "plain"))
        results.append((f"DuckDB {duck_version} window rank (row_number)", actual,
                        *median_ms(cases["window_cutoff"], runs), "cutoff"))
    print_tables(native, results, runs)


def print_tables(native, results, runs):
    shape = f"{native['feature_rows']:,} feature rows, {native['entity_rows']:,} entity rows, {native['keys']:,} keys"
    cpus = os.cpu_count()
    all_equal = True
    for variant, title in [("plain", "Point-in-time LEFT join"), ("cutoff", "Point-in-time join with the created-time cutoff")]:
        ours, ours_min = native[f"{variant}_ms"], native[f"{variant}_min_ms"]
        expected = (native[f"{variant}_matched"], native[f"{variant}_weighted"])
        print(f"\n### {title}: {shape}, TTL 1 day (native, this machine: {cpus} CPUs; median of {runs}, Flowlab of {native['runs']})\n")
        print("| engine | threads | median ms | engine / Flowlab | fastest ms | engine / Flowlab, fastest | rows matched | same answer as Flowlab |")
        print("|---|---|---|---|---|---|---|---|")
        print(f"| Flowlab get_historical_features | 1 | {ours:.1f} | 1.00x | {ours_min:.1f} | 1.00x | {expected[0]} | (reference) |")
        for engine, threads, (ms, fastest), answer, v in results:
            if v != variant:
                continue
            same = tuple(answer) == expected
            all_equal &= same
            print(f"| {engine} | {threads} | {ms:.1f} | {ms / ours:.2f}x | {fastest:.1f} | {fastest / ours_min:.2f}x | {answer[0]} | {'yes' if same else f'NO (checksum {answer[1]})'} |")
    polars = [ms for engine, threads, (ms, _), _, v in results if engine.startswith("Polars") and v == "plain"]
    print(f"\nFlowlab native vs the fastest Polars run: {min(polars) / native['plain_ms']:.2f}x "
          f"({'faster' if native['plain_ms'] < min(polars) else 'NOT faster'}); "
          f"every engine gave the same answer: {'yes' if all_equal else 'NO'}")
    if not all_equal:
        sys.exit(1)


def polars_child():
    directory, runs, ttl = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    warnings.filterwarnings("ignore", message="Sortedness")
    case, version, _pool = polars_case(directory, ttl)
    ms, answer = median_ms(case, runs)
    json.dump({"ms": list(ms), "answer": list(answer), "version": version}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "--polars":
        polars_child()
    else:
        main()
