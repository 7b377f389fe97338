"""The ``flask --app wsgi contest ...`` command group. Features add commands with ``@contest_cli.command``."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from contest.extensions import db

contest_cli = AppGroup("contest", help="信用案例征集评选平台管理命令")


@contest_cli.command("create-organizer")
@click.option("--username", prompt="用户名")
@click.option("--name", "display_name", default="市信用办管理员", show_default=True)
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
def create_organizer(username: str, display_name: str, password: str) -> None:
    """Create an organizer (市信用办) account."""
    from contest.accounts.models import Role
    from contest.accounts.services import AccountError, create_user
    from contest.core.timeutil import utcnow

    try:
        user = create_user(username=username, password=password, role=Role.ORGANIZER,
                           display_name=display_name, actor=None, now=utcnow())
    except AccountError as exc:
        raise click.ClickException(str(exc))
    db.session.commit()
    click.echo(f"已创建组织方账号：{user.username}")


@contest_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="仅当数据库中还没有任何账号时才写入演示数据")
def demo(if_empty: bool) -> None:
    """Seed the realistic demo and print the demo accounts."""
    import sqlalchemy as sa

    from contest.accounts.models import User
    from contest.demo import seed_demo, print_accounts

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("数据库已有数据，跳过演示数据。")
        print_accounts(click.echo)
        return
    seed_demo()
    db.session.commit()
    print_accounts(click.echo)


def register_cli(app: Flask) -> None:
    # Feature modules that define commands are imported here so they attach to the group.
    from contest import cli_commands  # noqa: F401

    app.cli.add_command(contest_cli)
