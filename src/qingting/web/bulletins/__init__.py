"""Bulletins (舆情专报): composed from events, signed off by a leader, submitted upward (直报)."""
