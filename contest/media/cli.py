"""CLI commands of this feature (attached to ``contest_cli``)."""
from __future__ import annotations

import json
import sys

import click
from flask import current_app

from contest.core.cli import contest_cli


@contest_cli.command("probe-video")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def probe_video(file: str) -> None:
    """Check FILE against the notice's video rules; print the verdict as JSON (exit 0 ok, 1 refused)."""
    from contest.media.probe import inspect

    verdict = inspect(file, timeout=current_app.config.get("FFPROBE_TIMEOUT", 30))
    click.echo(json.dumps(verdict.to_dict(), ensure_ascii=False, indent=2))
    sys.exit(0 if verdict.ok else 1)

