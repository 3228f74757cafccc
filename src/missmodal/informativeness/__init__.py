"""ICYM2I: which modality is informative, corrected for missingness.

Naive (complete-case) and inverse-probability-weighted estimates side by side: propensity models and weights
with diagnostics, weighted predictive informativeness (AUROC, AUPRC, accuracy, cross-entropy, information in
bits, per-modality gains) with bootstrap intervals, and partial information decomposition (exact BROJA for
discrete modalities, the batch estimator for continuous ones) of any pair of modality sets.

Examples
--------
>>> from missmodal.data import load_dataset, simulate_missingness
>>> from missmodal.informativeness import informativeness_report
>>> data = simulate_missingness(load_dataset("logic", gate="and", n_samples=2000), "mar", rate=0.5,
...                             always_observed=["x1"], seed=0)
>>> report = informativeness_report(data, pair=("x1", "x2"), bootstrap=20, interval="fixed")
>>> sorted(report["corrected"]["pid"])
['redundancy', 'synergy', 'total', 'unique']
"""

from .estimate import Informativeness, default_subsets, informativeness_report, parse_subset, subset_name
from .metrics import bootstrap_counts, cross_fitted_metrics, percentile_interval, weighted_metrics
from .pid import PID, BatchPID, broja_pid, broja_q, discrete_pid, joint_table, mutual_information, pid_from_informations
from .plots import informativeness_figure, informativeness_html, summary_lines
from .predictors import PREDICTORS, WeightedLogistic, WeightedMLP, cross_fitted_proba
from .conditioning import Conditioning, conditioning
from .predictability import mechanism_table, predictability
from .propensity import (PropensityModel, effective_sample_size, ipw_weights,
                         weight_diagnostics)

__all__ = [
    "PID", "PREDICTORS", "BatchPID", "Informativeness", "PropensityModel", "WeightedLogistic", "WeightedMLP",
    "Conditioning", "conditioning", "mechanism_table", "predictability", "bootstrap_counts", "cross_fitted_metrics", "broja_pid", "broja_q", "cross_fitted_proba", "default_subsets",
    "discrete_pid", "effective_sample_size", "informativeness_figure", "informativeness_html", "informativeness_report",
    "ipw_weights", "joint_table", "mutual_information", "parse_subset", "percentile_interval", "pid_from_informations",
    "subset_name", "summary_lines", "weight_diagnostics", "weighted_metrics",
]
