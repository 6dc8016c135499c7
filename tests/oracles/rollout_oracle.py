"""SciPy oracles for the rollout engine's judge and drift tests (crates/rollouts/tests/
judge_differential.rs and drift_differential.rs).

Reads JSON lines on standard input and answers each with one JSON line, in order, so one Python
process serves a whole batch:

  {"op": "mwu", "canary": [...], "baseline": [...]}
      -> {"u": scipy.stats.mannwhitneyu(canary, baseline).statistic, "p_value": its pvalue}
  {"op": "ks", "reference": [...], "current": [...]}
      -> {"statistic", "p_value"} of scipy.stats.ks_2samp(reference, current)
  {"op": "kstwo", "n": N, "x": X}
      -> {"sf": scipy.stats.kstwo.sf(X, N)}: the Kolmogorov tail ks_2samp uses for large samples
  {"op": "psi", "edges": [null, e1, ..., null], "reference": [...], "current": [...],
   "reference_fractions": [...], "current_fractions": [...]}
      -> {"psi", "reference", "current"}: the fractions of the samples recounted in the printed
         half-open bins [lo, hi) and the PSI recomputed from the printed fractions (a zero
         fraction counted as 1e-4)

Both tests run with their defaults (two-sided, method="auto").
"""

import json
import math
import sys

from scipy import stats


def mwu(case):
    result = stats.mannwhitneyu(case["canary"], case["baseline"])
    return {"u": float(result.statistic), "p_value": float(result.pvalue)}


def ks(case):
    result = stats.ks_2samp(case["reference"], case["current"])
    return {"statistic": float(result.statistic), "p_value": float(result.pvalue)}


def kstwo(case):
    return {"sf": float(stats.kstwo.sf(case["x"], case["n"]))}


def recount(edges, values):
    lows = [-math.inf if e is None else e for e in edges[:-1]]
    highs = [math.inf if e is None else e for e in edges[1:]]
    counts = [sum(1 for v in values if lo <= v < hi) for lo, hi in zip(lows, highs)]
    return [c / len(values) for c in counts]


def psi(case):
    total = 0.0
    for r, c in zip(case["reference_fractions"], case["current_fractions"]):
        r = 1e-4 if r == 0 else r
        c = 1e-4 if c == 0 else c
        total += (c - r) * math.log(c / r)
    return {
        "psi": total,
        "reference": recount(case["edges"], case["reference"]),
        "current": recount(case["edges"], case["current"]),
    }


OPS = {"mwu": mwu, "ks": ks, "kstwo": kstwo, "psi": psi}

for line in sys.stdin:
    if line.strip():
        case = json.loads(line)
        print(json.dumps(OPS[case["op"]](case)), flush=False)
sys.stdout.flush()
