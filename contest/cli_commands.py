"""Import feature modules that add commands to ``contest_cli``."""
from contest.media import cli as _media_cli  # noqa: F401  (probe-video)
from contest.ranking import cli as _ranking_cli  # noqa: F401  (rank, export-raw)
from contest.core import ops_cli as _ops_cli  # noqa: F401  (backup)
from contest.voting import cli as _voting_cli  # noqa: F401  (prune-voting)
