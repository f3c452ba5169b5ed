"""Run reports: matplotlib figures (`nnlab.report.plots`) and one self-contained HTML page."""

from nnlab.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
