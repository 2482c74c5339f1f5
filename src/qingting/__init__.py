"""Qingting (倾听): listen to what the public says online and respond well."""

__version__ = "0.1.0"
