"""Collection (采集) — see docs and the app's modules."""
