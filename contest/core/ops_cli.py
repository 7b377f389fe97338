"""Operations commands: ``contest backup DEST`` and ``contest restore SRC``."""
from __future__ import annotations

import click
from flask import current_app

from contest.core.cli import contest_cli
from contest.extensions import db


@contest_cli.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
def backup_command(dest: str) -> None:
    """Consistent online backup of the database and the uploaded files into DEST (a new directory)."""
    from contest.core.backup import BackupError, backup, describe
    from contest.core.timeutil import utcnow

    try:
        result = backup(dest, engine=db.engine, upload_root=current_app.config["UPLOAD_ROOT"], now=utcnow(),
                        pg_bin_dir=current_app.config.get("PG_BIN_DIR", ""))
    except BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo(describe(result))


@contest_cli.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="目标数据库已有数据时仍然覆盖")
def restore_command(src: str, force: bool) -> None:
    """Restore a backup made by ``contest backup`` into this deployment's database and upload folder."""
    from contest.core.backup import BackupError, restore

    try:
        result = restore(src, engine=db.engine, upload_root=current_app.config["UPLOAD_ROOT"], force=force,
                         pg_bin_dir=current_app.config.get("PG_BIN_DIR", ""))
    except BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo(f"恢复完成：{result.dialect} 数据库，{result.files} 个文件"
               f"（{result.total_bytes / 1024 / 1024:.1f} MB）。")
