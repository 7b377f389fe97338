"""``flask --app wsgi contest prune-voting``: delete expired captchas and SMS codes."""
import click

from contest.core.cli import contest_cli
from contest.core.timeutil import utcnow
from contest.extensions import db


@contest_cli.command("prune-voting")
def prune_voting() -> None:
    """Delete expired captcha challenges and phone codes of earlier Beijing days (run daily from cron)."""
    from contest.voting.services import prune

    captchas, codes = prune(now=utcnow())
    db.session.commit()
    click.echo(f"已清理过期图片验证码 {captchas} 条、短信验证码 {codes} 条。")
