"""Monitoring data: sources, schemes (监测方案), items, events, pipeline state; ingestion and search."""
