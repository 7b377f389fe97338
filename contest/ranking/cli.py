"""CLI commands of this feature (attached to ``contest_cli``): ``rank`` and ``export-raw``."""
from __future__ import annotations

import json

import click

from contest.contests.models import Contest
from contest.core.cli import contest_cli
from contest.core.timeutil import utcnow
from contest.extensions import db


def _contest(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise click.ClickException(f"活动 {contest_id} 不存在。")
    return contest


@contest_cli.command("rank")
@click.option("--contest", "contest_id", type=int, required=True, help="活动编号")
@click.option("--kind", type=click.Choice(["case", "video"]), required=True, help="case（典型案例）或 video（优秀短视频）")
@click.option("--category", type=click.Choice(["drama", "documentary", "animation"]), default=None,
              help="仅排视频的一个类别")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出全部计算项")
def rank_command(contest_id: int, kind: str, category: str | None, as_json: bool) -> None:
    """Print the live ranking with every component (votes, vote score, expert totals, expert score, final)."""
    from contest.ranking.services import ranking_data

    data = ranking_data(_contest(contest_id), kind, category, now=utcnow())
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    f = data["formula"]
    click.echo(f"{data['contest_title']} · {data['kind_label']}  投票 {f['vote_weight_pct']}% + 专家 "
               f"{f['expert_weight_pct']}%  最高票数 {f['max_votes']}")
    click.echo(f"{'排名':<4} {'编号':>6} {'票数':>6} {'投票得分':>8} {'专家得分':>8} {'最终得分':>8}  获奖  作品")
    for r in data["rows"]:
        click.echo(f"{r['rank']:<6} {r['entry_id']:>6} {r['valid_votes']:>8} {r['vote_score_2dp']:>10} "
                   f"{r['expert_score_2dp']:>10} {r['final_score_2dp']:>10}  {'是' if r['winner'] else '  '}   "
                   f"{r['title']}（{r['unit']}）")
    if not data["rows"]:
        click.echo("没有通过初筛的作品。")


@contest_cli.command("export-raw")
@click.option("--contest", "contest_id", type=int, required=True, help="活动编号")
def export_raw_command(contest_id: int) -> None:
    """Print the raw inputs as JSON: valid votes per entry and each expert's per-criterion scores."""
    from contest.ranking.services import raw_inputs

    click.echo(json.dumps(raw_inputs(_contest(contest_id)), ensure_ascii=False, indent=2))
