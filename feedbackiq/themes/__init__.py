"""Need themes: cluster embeddings, describe each theme with keywords, quotes and breakdowns."""

from feedbackiq.themes._api import embed_distinct, embed_items, find_themes, input_hash
from feedbackiq.themes._cluster import OTHER, ThemeClusterer, auto_min_cluster_size, split_subthemes
from feedbackiq.themes._markdown import report_to_markdown, write_theme_report
from feedbackiq.themes._sample import fit_sample_then_assign

__all__ = [
    "find_themes",
    "embed_items",
    "embed_distinct",
    "input_hash",
    "ThemeClusterer",
    "auto_min_cluster_size",
    "fit_sample_then_assign",
    "split_subthemes",
    "OTHER",
    "report_to_markdown",
    "write_theme_report",
]
