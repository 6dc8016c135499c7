"""Oracle for crates/experiments/tests/gbstats_differential.rs: GrowthBook's gbstats 0.8.0 and
its Python SDK (growthbook), pinned in tests/oracles/gbstats-requirements.txt. Reads one JSON
request a line on standard input and prints one JSON answer a line."""
import json
import sys

import scipy.stats

from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import (
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from gbstats.utils import check_srm
from growthbook.core import gbhash, inNamespace, getBucketRanges, chooseVariation


def moments(n, m):
    return SampleMeanStatistic(n=n, sum=m["sum"], sum_squares=m["sum_squares"])


def statistic(kind, arm):
    n = int(arm["n"])
    if kind == "proportion":
        return ProportionStatistic(n=n, sum=arm["sum"])
    if kind == "ratio":
        return RatioStatistic(n=n, m_statistic=moments(n, arm["m"]), d_statistic=moments(n, arm["d"]),
                              m_d_sum_of_products=arm["m_d_sum_of_products"])
    if kind == "cuped":
        return RegressionAdjustedStatistic(n=n, post_statistic=moments(n, arm["post"]),
                                           pre_statistic=moments(n, arm["pre"]),
                                           post_pre_sum_of_products=arm["post_pre_sum_of_products"], theta=0)
    return SampleMeanStatistic(n=n, sum=arm["sum"], sum_squares=arm["sum_squares"])


def answer(request):
    test = request["test"]
    if test == "hash":
        return {"buckets": [gbhash(request["seed"], u, request["version"]) for u in request["ids"]]}
    if test == "namespace":
        ns = (request["id"], request["start"], request["end"])
        ranges = getBucketRanges(len(request["weights"]), request["coverage"], request["weights"])
        return {"in": [inNamespace(u, ns) for u in request["ids"]],
                "variation": [chooseVariation(gbhash(request["seed"], u, 2), ranges) for u in request["ids"]]}
    if test == "srm":
        return {"p_value": float(check_srm(request["users"], request["weights"]))}
    kind = request.get("kind", "mean")
    a = statistic(kind, request["control"])
    b = statistic(kind, request["treatment"])
    difference = request.get("difference_type", "relative")
    if test == "bayes":
        prior = request.get("prior", {})
        config = EffectBayesianConfig(
            difference_type=difference,
            prior_type=request.get("prior_type", "relative"),
            prior_effect=GaussianPrior(mean=prior.get("mean", 0), variance=prior.get("variance", 1),
                                       proper=prior.get("proper", False)))
        r = EffectBayesianABTest(a, b, config).compute_result()
        return {"expected": float(r.expected), "ci": [float(x) for x in r.ci],
                "chance_to_win": float(r.chance_to_win), "risk": [float(x) for x in r.risk]}
    if test == "sequential":
        config = SequentialConfig(difference_type=difference, sequential_tuning_parameter=request.get("tuning", 5000))
        r = SequentialTwoSidedTTest(a, b, config).compute_result()
    else:
        ttest = TwoSidedTTest(a, b, FrequentistConfig(difference_type=difference))
        r = ttest.compute_result()
        if r.error_message is None:
            # gbstats' 2 (1 - cdf) stops near 1e-16; SciPy's tail at gbstats' own t and dof keeps digits.
            tail = 2 * float(scipy.stats.t.sf(abs(ttest.critical_value), ttest.dof))
            return {"expected": float(r.expected), "ci": [float(x) for x in r.ci], "p_value": float(r.p_value),
                    "p_value_tail": tail}
    return {"expected": float(r.expected), "ci": [float(x) for x in r.ci], "p_value": float(r.p_value)}


for line in sys.stdin:
    print(json.dumps(answer(json.loads(line))), flush=False)
