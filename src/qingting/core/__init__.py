"""The listening engine: pure Python, importable without a database or Django.

Text normalisation, near-duplicate detection, online event clustering, scoring and sentiment,
tied together by :class:`qingting.core.pipeline.Pipeline`.
"""
