"""Online event clustering: one pass, inverted index, time decay, bounded memory."""

from qingting.core.cluster.online import ClusterHit, Merge, Move, OnlineClusterer, RetiredEvent

__all__ = ["ClusterHit", "Merge", "Move", "OnlineClusterer", "RetiredEvent"]
