"""Need themes: cluster embeddings, describe each theme with keywords, quotes and breakdowns."""

from feedbackiq.themes._api import embed_distinct, embed_items, find_themes, input_hash
from feedbackiq.themes._breakdowns import ItemColumns
from feedbackiq.themes._cluster import OTHER, ThemeClusterer, auto_min_cluster_size, fit_sample_then_assign, split_subthemes
from feedbackiq.themes._describe import keyword_name
from feedbackiq.themes._non_need import item_cues
from feedbackiq.themes._markdown import report_to_markdown, write_theme_report
from feedbackiq.themes._rebuild import item_labels, rebuild_needs, report_vectors, theme_sums
from feedbackiq.themes._similarity import group_document, need_similarities, report_embedder, theme_similarities

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
    # for the later steps (LLM naming and regrouping, personas, messaging, cards, report)
    "ItemColumns",
    "keyword_name",
    "item_cues",
    "group_document",
    "report_embedder",
    "need_similarities",
    "theme_similarities",
    "report_vectors",
    "item_labels",
    "theme_sums",
    "rebuild_needs",
]
