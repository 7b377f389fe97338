"""Ranking pages (organizers only), exports, and the public results page."""
from __future__ import annotations

from datetime import datetime

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_login import current_user
from werkzeug.routing import BuildError

from contest.accounts.permissions import organizer_required, public_view
from contest.contests.context import get_current_contest
from contest.contests.models import Contest
from contest.core.clock import now as clock_now
from contest.core.downloads import DOCX_MIME, XLSX_MIME, attachment
from contest.core.nav import register_nav
from contest.core.request_info import arg_id
from contest.core.timeutil import format_beijing, to_beijing
from contest.extensions import db
from contest.ranking import exports, scoring, services
from contest.ranking.forms import FreezeForm, PublishForm, UnfreezeForm, WinnerChoiceForm, WinnerRuleForm
from contest.ranking.models import ResultSnapshot, WinnerMode
from contest.submissions.models import EntryKind, VideoCategory

bp = Blueprint("ranking", __name__)

register_nav("organizer", "排名与发布", "ranking.index", 70)
register_nav("public", "评选结果", "ranking.results_current", 60)

# Public entry pages belong to the voting feature; the first endpoint that exists is used.
ENTRY_ENDPOINTS = ("voting.entry_page", "voting.entry", "voting.entry_detail")


def _contest_or_404(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        abort(404)
    return contest


def _kind_or_404(kind: str) -> EntryKind:
    try:
        return services.parse_kind(kind)
    except services.RankingError:
        abort(404)


def _category_arg() -> VideoCategory | None:
    try:
        return services.parse_category(request.args.get("category"))
    except services.RankingError as exc:
        flash(str(exc), "error")
        return None


def _back(contest: Contest, kind: EntryKind):
    return redirect(url_for("ranking.kind_page", contest_id=contest.id, kind=kind.value))


def _flash_form_errors(form) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(message, "error")


@bp.app_template_filter("bj_iso")
def _bj_iso(value: str | None) -> str:
    return format_beijing(datetime.fromisoformat(value)) if value else ""


@bp.app_template_global()
def entry_public_url(contest_id: int, entry_id: int) -> str:
    for endpoint in ENTRY_ENDPOINTS:
        if endpoint in current_app.view_functions:
            try:
                return url_for(endpoint, contest_id=contest_id, entry_id=entry_id)
            except BuildError:
                continue
    return f"#entry-{entry_id}"


# --------------------------------------------------------------------------- organizer pages


@bp.route("/ranking/")
@organizer_required
def index():
    """Ranking of the current contest (cases first)."""
    contest = get_current_contest()
    if contest is None:
        flash("还没有征集活动，请先创建活动。", "warning")
        return redirect(url_for("core.dashboard"))
    return redirect(url_for("ranking.kind_page", contest_id=contest.id, kind=EntryKind.CASE.value))


@bp.route("/ranking/<int:contest_id>/<kind>")
@organizer_required
def kind_page(contest_id: int, kind: str):
    """Live ranking, completeness, winner rule, freeze / unfreeze / publish of one kind."""
    contest = _contest_or_404(contest_id)
    kind_ = _kind_or_404(kind)
    category = _category_arg() if kind_ == EntryKind.VIDEO else None
    now = clock_now()
    live = services.ranking_data(contest, kind_, category, now=now)
    snap = services.current_snapshot(contest.id, kind_)
    issues = services.completeness(contest, kind_, services.ranking_data(contest, kind_, now=now)
                                   if category else live, now)
    rule_form = WinnerRuleForm(data={"mode": live["winner_rule"]["mode"], "top_n": str(live["winner_rule"]["top_n"])})
    return render_template(
        "ranking/kind.html", contest=contest, kind=kind_, category=category, live=live, snap=snap,
        shown=snap.data if snap is not None and category is None else live, issues=issues,
        history=services.snapshots(contest.id, kind_), categories=list(VideoCategory),
        rule_form=rule_form, choice_form=WinnerChoiceForm(), freeze_form=FreezeForm(),
        unfreeze_form=UnfreezeForm(), publish_form=PublishForm(), formula=scoring.FORMULA_TEXT)


def _post_action(contest_id: int, kind: str, form_class, success: str, action):
    """The shape of every ranking POST: load the contest and kind (404 when unknown), validate
    ``form_class`` (its errors flashed), run ``action(contest, kind, form)`` and commit, flashing
    ``success`` (``{kind}`` is replaced by the kind's label); a RankingError is rolled back and
    flashed instead. Always redirects back to the kind's page."""
    contest = _contest_or_404(contest_id)
    kind_ = _kind_or_404(kind)
    form = form_class()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return _back(contest, kind_)
    try:
        action(contest, kind_, form)
    except services.RankingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(contest, kind_)
    db.session.commit()
    flash(success.format(kind=kind_.label), "success")
    return _back(contest, kind_)


@bp.route("/ranking/<int:contest_id>/<kind>/rule", methods=["POST"])
@organizer_required
def set_rule(contest_id: int, kind: str):
    """Change the winner rule (top N / manual)."""
    return _post_action(contest_id, kind, WinnerRuleForm, "获奖规则已保存。",
                        lambda contest, kind_, form: services.set_winner_rule(
                            contest, kind_, mode=WinnerMode(form.mode.data), top_n=form.top_n_value,
                            actor=current_user, now=clock_now()))


@bp.route("/ranking/<int:contest_id>/<kind>/winner", methods=["POST"])
@organizer_required
def set_winner(contest_id: int, kind: str):
    """Manually set one entry as winner / not winner, with a reason."""
    return _post_action(contest_id, kind, WinnerChoiceForm, "获奖名单已调整。",
                        lambda contest, kind_, form: services.set_winner_choice(
                            contest, int(form.entry_id.data), is_winner=form.is_winner.data == "1",
                            reason=form.reason.data, actor=current_user, now=clock_now()))


@bp.route("/ranking/<int:contest_id>/<kind>/freeze", methods=["POST"])
@organizer_required
def freeze(contest_id: int, kind: str):
    """Freeze the results of one kind into an immutable snapshot."""
    return _post_action(contest_id, kind, FreezeForm, "{kind}的结果已冻结。发布前请再次核对。",
                        lambda contest, kind_, form: services.freeze(
                            contest, kind_, actor=current_user, now=clock_now(),
                            confirm_incomplete=bool(form.confirm_incomplete.data)))


@bp.route("/ranking/<int:contest_id>/<kind>/unfreeze", methods=["POST"])
@organizer_required
def unfreeze(contest_id: int, kind: str):
    """Unfreeze (reason required); the old snapshot stays in the history unchanged."""
    return _post_action(contest_id, kind, UnfreezeForm, "{kind}的结果已解冻，公示页面已撤下该类结果。",
                        lambda contest, kind_, form: services.unfreeze(
                            contest, kind_, actor=current_user, now=clock_now(), reason=form.reason.data))


@bp.route("/ranking/<int:contest_id>/<kind>/publish", methods=["POST"])
@organizer_required
def publish(contest_id: int, kind: str):
    """Publish frozen results on the public results page."""
    return _post_action(contest_id, kind, PublishForm, "{kind}的结果已发布。",
                        lambda contest, kind_, form: services.publish(
                            contest, kind_, actor=current_user, now=clock_now()))


@bp.route("/ranking/snapshots/<int:snapshot_id>")
@organizer_required
def snapshot(snapshot_id: int):
    """One frozen snapshot exactly as it was frozen."""
    snap = db.session.get(ResultSnapshot, snapshot_id)
    if snap is None:
        abort(404)
    return render_template("ranking/snapshot.html", snap=snap, contest=_contest_or_404(snap.contest_id),
                           data=snap.data)


# --------------------------------------------------------------------------- exports


def _xlsx_response(content: bytes, filename: str) -> Response:
    resp = Response(content, mimetype=XLSX_MIME)
    resp.headers["Content-Disposition"] = attachment(filename, "ranking.xlsx")
    return resp


@bp.route("/ranking/<int:contest_id>/<kind>/ranking.xlsx")
@organizer_required
def export_xlsx(contest_id: int, kind: str):
    """Excel of the ranking: the frozen snapshot when frozen (or ``?snapshot=``), else the live ranking."""
    contest = _contest_or_404(contest_id)
    kind_ = _kind_or_404(kind)
    if request.args.get("snapshot"):
        snapshot_id = arg_id("snapshot")
        snap = db.session.get(ResultSnapshot, snapshot_id) if snapshot_id else None
        if snap is None or snap.contest_id != contest.id or snap.kind != kind_:
            abort(404)
    else:
        snap = services.current_snapshot(contest.id, kind_) if not request.args.get("category") else None
    if snap is not None:
        data = snap.data
        label = f"已于 {format_beijing(snap.frozen_at)} 冻结（快照 {snap.id}）"
    else:
        category = _category_arg() if kind_ == EntryKind.VIDEO else None
        data = services.ranking_data(contest, kind_, category, now=clock_now())
        label = ""
    if not data["rows"]:
        flash(f"没有可导出的{kind_.label}：还没有通过初筛的作品。", "error")
        return _back(contest, kind_)
    stamp = to_beijing(clock_now()).strftime("%Y%m%d")
    return _xlsx_response(exports.ranking_xlsx(data, frozen_label=label),
                          f"{kind_.label}排名-{contest.id}-{stamp}.xlsx")


@bp.route("/ranking/<int:contest_id>/winners.docx")
@organizer_required
def export_winners(contest_id: int):
    """Word 公示名单 of the winners of every frozen kind."""
    contest = _contest_or_404(contest_id)
    results = []
    for kind_ in (EntryKind.CASE, EntryKind.VIDEO):
        snap = services.current_snapshot(contest.id, kind_)
        if snap is not None:
            results.append({"kind": kind_, "rows": snap.data["rows"], "snap": snap})
    if not results:
        flash("结果尚未冻结，不能生成公示名单。请先核对并冻结结果。", "error")
        return _back(contest, EntryKind.CASE)
    if not any(r["winner"] for section in results for r in section["rows"]):
        flash("冻结的结果中没有获奖作品，不能生成公示名单。请解冻后设置获奖规则。", "error")
        return _back(contest, results[0]["kind"])
    published = [s["snap"].published_at for s in results if s["snap"].published_at]
    content = exports.winners_docx(contest, results, published_on=max(published) if published else clock_now())
    resp = Response(content, mimetype=DOCX_MIME)
    resp.headers["Content-Disposition"] = attachment(f"获奖名单公示-{contest.id}.docx", "winners.docx")
    return resp


@bp.route("/ranking/<int:contest_id>/submissions.zip")
@organizer_required
def export_zip(contest_id: int):
    """ZIP of every submitted entry by unit (Word form, scan, video) with 清单.csv; streamed."""
    contest = _contest_or_404(contest_id)
    if services.export_entry_count(contest) == 0:
        flash("本活动还没有已提交的作品，没有可打包的材料。", "error")
        return _back(contest, EntryKind.CASE)
    chunks, size = exports.submissions_zip_stream(contest.id, current_app.config["UPLOAD_ROOT"])
    resp = Response(chunks, mimetype="application/zip")
    resp.headers["Content-Length"] = str(size)
    resp.headers["Content-Disposition"] = attachment(f"全部申报材料-{contest.id}.zip", "submissions.zip")
    return resp


@bp.route("/ranking/<int:contest_id>/votes.csv")
@organizer_required
def export_votes(contest_id: int):
    """CSV of every vote (valid and void) for audit; streamed in batches."""
    contest = _contest_or_404(contest_id)
    if services.export_entry_count(contest) == 0:
        flash("本活动还没有已提交的作品，没有可导出的投票。", "error")
        return _back(contest, EntryKind.CASE)
    body = stream_with_context(chunk.encode("utf-8") for chunk in exports.votes_csv_rows(contest.id))
    resp = Response(body, mimetype="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = attachment(f"投票明细-{contest.id}.csv", "votes.csv")
    return resp


# --------------------------------------------------------------------------- public


@bp.route("/results")
@public_view
def results_current():
    """Public results of the current contest."""
    contest = get_current_contest()
    if contest is None:
        return render_template("ranking/results.html", contest=None, sections=[], formula=scoring.FORMULA_TEXT)
    return redirect(url_for("ranking.results", contest_id=contest.id))


@bp.route("/results/<int:contest_id>")
@public_view
def results(contest_id: int):
    """Public, mobile-friendly page of the published winners."""
    contest = _contest_or_404(contest_id)
    return render_template("ranking/results.html", contest=contest, sections=services.published_results(contest),
                           formula=scoring.FORMULA_TEXT)
