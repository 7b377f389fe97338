"""CLI commands of this feature (attached to ``contest_cli``)."""
from contest.core.cli import contest_cli  # noqa: F401
