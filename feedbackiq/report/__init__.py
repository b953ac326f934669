"""The self-contained HTML report: one file a PM can open offline and read without code."""

from feedbackiq.report._growth import Growth, theme_growth
from feedbackiq.report._map import map_sample
from feedbackiq.report._markdown import summary_markdown
from feedbackiq.report._page import render_html, write_html_report
from feedbackiq.report._project import project_2d

__all__ = ["render_html", "write_html_report", "summary_markdown", "project_2d", "theme_growth", "Growth", "map_sample"]
