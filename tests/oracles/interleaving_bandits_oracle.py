"""SciPy oracle for the experiments engine's sign test and bandit arm-best probabilities
(crates/experiments/tests/interleaving_bandits_oracle.rs).

Reads one JSON request per line on standard input and prints one JSON answer per line:
  {"op": "binomtest", "k": K, "n": N}            -> {"p": scipy.stats.binomtest(K, N, 0.5).pvalue}
  {"op": "beta_best", "posteriors": [[a, b], ...]} -> {"p": [P(arm k best) for each arm]}
The second integrates f_k(x) * prod_{j != k} F_j(x) over [0, 1] with scipy.integrate.quad, the
Beta density from scipy.special.betaln and the distribution function scipy.special.betainc (what
scipy.stats.beta's pdf and cdf compute, without their per-call overhead).
"""

import json
import sys

import math

from scipy import integrate, special, stats


def beta_best(posteriors):
    out = []
    for k, (ak, bk) in enumerate(posteriors):
        others = [p for j, p in enumerate(posteriors) if j != k]
        ln_norm = special.betaln(ak, bk)

        def integrand(x, ak=ak, bk=bk, ln_norm=ln_norm, others=others):
            if x <= 0.0 or x >= 1.0:
                return 0.0
            value = math.exp((ak - 1) * math.log(x) + (bk - 1) * math.log1p(-x) - ln_norm)
            for a, b in others:
                value *= special.betainc(a, b, x)
            return value

        # Split at the arms' means so quad sees the narrow peaks.
        points = sorted({a / (a + b) for a, b in posteriors})
        value, _ = integrate.quad(integrand, 0.0, 1.0, points=points, limit=500, epsabs=1e-13, epsrel=1e-11)
        out.append(value)
    return out


def main():
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "binomtest":
            answer = {"p": stats.binomtest(request["k"], request["n"], 0.5).pvalue}
        elif request["op"] == "beta_best":
            answer = {"p": beta_best(request["posteriors"])}
        else:
            answer = {"error": "unknown op " + request["op"]}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
