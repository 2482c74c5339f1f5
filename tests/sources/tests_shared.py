"""Where the shared evaluation data lives, for module-scoped fixtures (skips when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def shared_email_dir() -> Path:
    """``shared/data/email``; skips the calling test when the evaluation data is absent."""
    d = SHARED_DATA / "email"
    if not d.is_dir():
        pytest.skip(f"evaluation data not found at {d}")
    return d
