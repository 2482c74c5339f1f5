"""Near-duplicate detection (近似重复检测): MinHash signatures over character shingles, LSH, a window.

>>> from qingting.core.dedupe import Deduper
>>> d = Deduper()
>>> d.add("1", "今天地铁二号线因故障停运半小时", time=0.0) is None
True
>>> d.add("2", "今天地铁二号线因故障停运半小时", time=5.0).canonical_id
'1'
"""

from qingting.core.dedupe.deduper import DEFAULT_THRESHOLD, Deduper, DuplicateMatch, PreparedTexts
from qingting.core.dedupe.evaluate import PairScores, evaluate_pairs, read_pairs

__all__ = [
    "DEFAULT_THRESHOLD",
    "Deduper",
    "DuplicateMatch",
    "PairScores",
    "PreparedTexts",
    "evaluate_pairs",
    "read_pairs",
]
