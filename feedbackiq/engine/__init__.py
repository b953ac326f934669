"""Engines that run the heavy steps elsewhere than in this process (optional extras)."""

from feedbackiq.engine._ray import ENGINES, MODELS, RayEmbedder, embedder_name, ray_embed, ray_map_rows

__all__ = ["ENGINES", "MODELS", "RayEmbedder", "embedder_name", "ray_embed", "ray_map_rows"]
