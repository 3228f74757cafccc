"""Self-contained HTML reports: figures embedded as base64 PNG, tables from rows of dicts, no network needed."""

from .html import HtmlReport, figure_to_data_uri

__all__ = ["HtmlReport", "figure_to_data_uri"]
