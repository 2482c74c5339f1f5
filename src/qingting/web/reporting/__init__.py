"""Reports (报告) — see docs and the app's modules."""
