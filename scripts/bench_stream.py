"""The streaming benchmark's native peers: the same aggregation (clicks and checkout amount per
user per 10-second tumbling window) as one batch GROUP BY in DuckDB, Polars and pandas, on the
events `lab-bench stream DIR` wrote, each answer checked against Flowlab's. Prints a markdown
table next to Flowlab's numbers from DIR/native.txt.

Usage: bench_stream.py DIR [RUNS]   (run by scripts/bench.sh after `lab-bench stream DIR`)

No stream processor is installed in the oracle environment (no Flink, Spark, Kafka Streams or
ksqlDB: each needs a JVM and a cluster), so every peer here computes the final table at once from
the whole input, where Flowlab's operator updates it row by row and keeps a watermark. That is
the work a stream processor saves nothing on, so a batch engine is the fair upper bound.

What is timed: the GROUP BY into an in-memory result (CSV reading excluded); the checksum is
taken after. The window of a row is `ts - ts % 10 s` (times are non-negative microseconds, so
this is the epoch-aligned tumbling window). The checksum, identical in every engine: the number
of (window, user) groups, their rows and amounts, and sum((w + 1) * (u + 1) * n + (w + 1) * s)
with w the window number, u the user's number (u123 is 123), n the rows, s the amount.
"""
import json
import os
import subprocess
import sys
import time

WINDOW_US = 10_000_000


def load_native(directory):
    with open(os.path.join(directory, "native.txt")) as f:
        pairs = (line.split() for line in f if line.strip())
        return {name: float(value) if "." in value else int(value) for name, value in pairs}


def timed(case, runs):
    """Runs a (run, checksum) case `runs` times: the median and fastest time of the run alone,
    and the checksum of its last answer."""
    run, checksum = case
    times, answer = [], None
    for _ in range(runs):
        start = time.perf_counter()
        answer = run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return (times[len(times) // 2], times[0]), tuple(int(x) for x in checksum(answer))


# --- DuckDB -------------------------------------------------------------------------------


def duckdb_case(directory, threads):
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads TO {threads}")
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_csv('{os.path.join(directory, 'events.csv')}')")
    actual = con.execute("SELECT current_setting('threads')").fetchone()[0]
    query = f"""
        CREATE OR REPLACE TEMP TABLE out AS
        SELECT ts - ts % {WINDOW_US} AS window_start, user_id, count(*) AS n, sum(amount) AS s
        FROM events GROUP BY ALL"""

    def checksum(_):
        return con.execute(f"""
            SELECT count(*), sum(n), sum(s),
                   sum((window_start // {WINDOW_US} + 1) * (CAST(substr(user_id, 2) AS BIGINT) + 1) * n
                       + (window_start // {WINDOW_US} + 1) * s)
            FROM out""").fetchone()

    return (lambda: con.execute(query), checksum), duckdb.__version__, actual


# --- Polars -------------------------------------------------------------------------------


def polars_checksum(out):
    import polars as pl

    w = pl.col("window_start") // WINDOW_US + 1
    u = pl.col("user_id").str.slice(1).cast(pl.Int64) + 1
    row = out.select(
        pl.len(), pl.col("n").sum(), pl.col("s").sum(), (w * u * pl.col("n") + w * pl.col("s")).sum()
    ).row(0)
    return row


def polars_case(directory):
    import polars as pl

    events = pl.read_csv(os.path.join(directory, "events.csv"))

    def run():
        return events.group_by([(pl.col("ts") - pl.col("ts") % WINDOW_US).alias("window_start"), "user_id"]).agg(
            pl.len().alias("n"), pl.col("amount").sum().alias("s")
        )

    return (run, polars_checksum), pl.__version__, pl.thread_pool_size()


def polars_one_thread(directory, runs):
    """Polars fixes its thread pool at import: run it in a child with POLARS_MAX_THREADS=1."""
    env = dict(os.environ, POLARS_MAX_THREADS="1")
    child = subprocess.run(
        [sys.executable, __file__, "--polars", directory, str(runs)],
        env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(child.stdout)


# --- pandas -------------------------------------------------------------------------------


def pandas_case(directory):
    import pandas as pd

    events = pd.read_csv(os.path.join(directory, "events.csv"))

    def run():
        window = (events["ts"] - events["ts"] % WINDOW_US).rename("window_start")
        return (
            events.groupby([window, events["user_id"]], sort=False)["amount"]
            .agg(n="size", s="sum")
            .reset_index()
        )

    def checksum(out):
        w = out["window_start"] // WINDOW_US + 1
        u = out["user_id"].str.slice(1).astype("int64") + 1
        return len(out), out["n"].sum(), out["s"].sum(), (w * u * out["n"] + w * out["s"]).sum()

    return (run, checksum), pd.__version__


# --- the table ----------------------------------------------------------------------------


def main():
    directory = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    native = load_native(directory)
    results = []  # (engine, threads, (median, fastest), checksum)
    for threads in (1, None):
        case, version, actual = duckdb_case(directory, threads)
        results.append((f"DuckDB {version} GROUP BY", actual, *timed(case, runs)))
    one = polars_one_thread(directory, runs)
    results.append((f"Polars {one['version']} group_by", 1, tuple(one["ms"]), tuple(one["answer"])))
    case, version, pool = polars_case(directory)
    results.append((f"Polars {version} group_by", pool, *timed(case, runs)))
    case, version = pandas_case(directory)
    results.append((f"pandas {version} groupby", 1, *timed(case, runs)))
    print_table(native, results, runs)


def print_table(native, results, runs):
    events = native["events"]
    ours, ours_min = native["operator_ms"], native["operator_min_ms"]
    expected = tuple(native[f"operator_{k}"] for k in ("groups", "rows", "amount", "weighted"))
    rate = lambda ms: f"{events / ms / 1000:.2f} M"
    print(f"\n### Windowed aggregation: {events:,} events, {native['keys']:,} keys, tumbling 10 s "
          f"(native, this machine: {os.cpu_count()} CPUs; median of {runs}, Flowlab of {native['runs']})\n")
    print("| engine | threads | median ms | events/s | engine / Flowlab operator | fastest ms | "
          "engine / Flowlab, fastest | groups | same answer as Flowlab |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = [("Flowlab WindowedAggregate (row by row, per-row watermark)", 1, (ours, ours_min), expected)]
    for form, label in [("streaming_sql", "Flowlab streaming SQL (lab stream run)"),
                        ("batch_sql", "Flowlab SQL engine, batch GROUP BY")]:
        if f"{form}_ms" in native:
            answer = tuple(native[f"{form}_{k}"] for k in ("groups", "rows", "amount", "weighted"))
            rows.append((label, 1, (native[f"{form}_ms"], native[f"{form}_min_ms"]), answer))
    all_equal = True
    for engine, threads, (ms, fastest), answer in rows + results:
        same = tuple(answer) == expected
        all_equal &= same
        reference = engine.startswith("Flowlab WindowedAggregate")
        verdict = "(reference)" if reference else ("yes" if same else f"NO (checksum {answer[3]})")
        print(f"| {engine} | {threads} | {ms:.1f} | {rate(ms)} | {ms / ours:.2f}x | {fastest:.1f} | "
              f"{fastest / ours_min:.2f}x | {answer[0]} | {verdict} |")
    print(f"\nNo stream processor is installed here (Flink, Spark, Kafka Streams, ksqlDB need a JVM): "
          f"the peers compute the final table in one batch. Every engine gave the same answer: "
          f"{'yes' if all_equal else 'NO'}")
    if not all_equal:
        sys.exit(1)


def polars_child():
    directory, runs = sys.argv[2], int(sys.argv[3])
    case, version, _pool = polars_case(directory)
    ms, answer = timed(case, runs)
    json.dump({"ms": list(ms), "answer": list(answer), "version": version}, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "--polars":
        polars_child()
    else:
        main()
