"""Ranking snapshots (frozen results). Filled in by the ranking feature."""
