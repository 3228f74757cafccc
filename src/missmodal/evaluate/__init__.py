"""Evaluation reported overall and per combination group (head, tail, worst group, complete/incomplete)."""

from .groups import group_report
from .metrics import auroc, classification_metrics, predicted_labels, regression_metrics, subset_metrics

__all__ = ["auroc", "classification_metrics", "group_report", "predicted_labels", "regression_metrics", "subset_metrics"]
