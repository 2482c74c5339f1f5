"""Warnings (预警) — see docs and the app's modules."""
