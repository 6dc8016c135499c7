"""Point-in-time join oracles for crates/features/tests/oracle_differential.rs (docs/testing.md,
"Feature store"): pandas merge_asof, DuckDB's ASOF LEFT JOIN, and DuckDB's window-rank join.

Reads one JSON document on standard input, every generated case at once, the case id folded into
the join keys so each oracle runs once per view slot (pandas once per slot and TTL):

  {"slots": [{"keys": ["k"] or ["k", "k2"] or ["k2"],
              "rows": [[case, k, k2, event_ts, created_ts, seq], ...]}, ...],
   "entities": [[case, k, k2, ts, cutoff, [ttl per slot]], ...]}

Times and TTLs are integer microseconds; a TTL of 0 is unbounded; null is NULL. Prints one JSON
document: for each oracle, per slot, per entity row, the `seq` of the matched feature row, null
for no match, or "skip" where the oracle cannot answer (pandas and the ASOF form cannot apply
the created-time cutoff; pandas matches NaN keys to each other and refuses NULL times, so
those rows are left to the SQL forms, as the normalizations of the reference say).
"""

import json
import sys

import duckdb
import pandas as pd


def pandas_slot(slot_index, slot, entities):
    keys = slot["keys"]
    by = ["case"] + keys
    feat = pd.DataFrame(slot["rows"], columns=["case", "k", "k2", "fts", "created", "seq"])
    feat = feat.dropna(subset=by + ["fts"])
    for column in by + ["fts", "seq"]:
        feat[column] = feat[column].astype("int64")
    # Backward merge_asof keeps the LAST of equal right keys: sort by the whole tie-break order,
    # NULL created first (lowest).
    feat = feat.sort_values(["fts", "created", "seq"], kind="stable", na_position="first")
    ent = pd.DataFrame(
        [
            [rid, e[0], e[1], e[2], e[3], e[4], e[5][slot_index]]
            for rid, e in enumerate(entities)
        ],
        columns=["rid", "case", "k", "k2", "ts", "cutoff", "ttl"],
    )
    answer = ["skip"] * len(entities)
    usable = ent[~ent["cutoff"]].dropna(subset=by + ["ts"])
    for column in by + ["ts", "ttl"]:
        usable = usable.astype({column: "int64"})
    for ttl, group in usable.groupby("ttl"):
        left = group.sort_values("ts", kind="stable")
        merged = pd.merge_asof(
            left,
            feat[by + ["fts", "seq"]],
            left_on="ts",
            right_on="fts",
            by=by,
            direction="backward",
            allow_exact_matches=True,
            tolerance=int(ttl) if ttl > 0 else None,
        )
        for rid, seq in zip(merged["rid"], merged["seq"]):
            answer[int(rid)] = None if pd.isna(seq) else int(seq)
    return answer


def load_duckdb(con, slots, entities):
    con.execute(
        "CREATE TABLE ent (rid BIGINT, \"case\" BIGINT, k BIGINT, k2 BIGINT, ts BIGINT, "
        "cutoff BOOLEAN, ttl0 BIGINT, ttl1 BIGINT, ttl2 BIGINT)"
    )
    rows = [[rid, e[0], e[1], e[2], e[3], e[4], *e[5]] for rid, e in enumerate(entities)]
    if rows:
        con.executemany("INSERT INTO ent VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for i, slot in enumerate(slots):
        con.execute(
            f"CREATE TABLE feat{i} (\"case\" BIGINT, k BIGINT, k2 BIGINT, fts BIGINT, "
            "created BIGINT, seq BIGINT)"
        )
        if slot["rows"]:
            con.executemany(f"INSERT INTO feat{i} VALUES (?, ?, ?, ?, ?, ?)", slot["rows"])


def equalities(keys):
    return " AND ".join(f"e.{c} = f.{c}" for c in ["\"case\""] + keys)


def asof_slot(con, i, slot, n):
    # ASOF picks an arbitrary row among equal times: deduplicate ties first; TTL after the join.
    sql = f"""
        WITH f AS (
          SELECT * FROM feat{i}
          QUALIFY row_number() OVER (PARTITION BY {", ".join(['"case"'] + slot["keys"])}, fts
                                     ORDER BY created DESC NULLS LAST, seq DESC) = 1)
        SELECT e.rid, e.cutoff,
               CASE WHEN e.ttl{i} = 0 OR f.fts >= e.ts - e.ttl{i} THEN f.seq END AS seq
        FROM ent e ASOF LEFT JOIN f ON {equalities(slot["keys"])} AND e.ts >= f.fts
        ORDER BY e.rid"""
    answer = ["skip"] * n
    for rid, cutoff, seq in con.execute(sql).fetchall():
        if not cutoff:
            answer[rid] = seq
    return answer


def window_slot(con, i, slot, n):
    sql = f"""
        SELECT e.rid, f.seq FROM ent e LEFT JOIN feat{i} f
          ON {equalities(slot["keys"])} AND f.fts <= e.ts
         AND (e.ttl{i} = 0 OR f.fts >= e.ts - e.ttl{i})
         AND (NOT e.cutoff OR coalesce(f.created, f.fts) <= e.ts)
        QUALIFY row_number() OVER (PARTITION BY e.rid
                                   ORDER BY f.fts DESC NULLS LAST, f.created DESC NULLS LAST,
                                            f.seq DESC) = 1
        ORDER BY e.rid"""
    answer = [None] * n
    for rid, seq in con.execute(sql).fetchall():
        answer[rid] = seq
    return answer


def main():
    request = json.load(sys.stdin)
    slots, entities = request["slots"], request["entities"]
    con = duckdb.connect()
    con.execute("SET threads = 1")
    load_duckdb(con, slots, entities)
    n = len(entities)
    result = {
        "pandas": [pandas_slot(i, s, entities) for i, s in enumerate(slots)],
        "asof": [asof_slot(con, i, s, n) for i, s in enumerate(slots)],
        "window": [window_slot(con, i, s, n) for i, s in enumerate(slots)],
        "versions": {"pandas": pd.__version__, "duckdb": duckdb.__version__},
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
