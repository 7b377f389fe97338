"""Public voting zone (no login) and the organizers' fraud monitor."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta

import sqlalchemy as sa

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user

from contest.accounts.models import Role
from contest.accounts.permissions import public_view, roles_required
from contest.contests.context import get_current_contest
from contest.contests.models import Contest
from contest.core.clock import now
from contest.core import ratelimit
from contest.core.nav import register_nav
from contest.core.web import wants_json
from contest.extensions import db, limiter
from contest.core.request_info import arg_id, client_ip
from contest.submissions.models import Entry, EntryKind, VideoCategory
from contest.voting import captcha, policy, services, sms, voter as voter_mod
from contest.voting import monitor as fraud
from contest.voting.forms import PhoneSendForm, PhoneVerifyForm, PolicyForm, VoidForm, VoteForm


# New captchas per client and minute, made in the entry page and from /vote/captcha (Flask-Limiter), each on
# its own counter, both keyed like the vote (policy.address_key: an IPv6 client by its /64).
PAGE_CAPTCHA_LIMIT = "30 per minute"

bp = Blueprint("voting", __name__)

register_nav("public", "网络投票", "voting.index", 10)
register_nav("organizer", "投票监控", "voting.monitor", 40)
register_nav("organizer", "投票规则", "voting.policy_settings", 41)

def _vote_limit():
    return current_app.config["VOTE_RATE_LIMIT"]


@bp.after_request
def _give_voter_cookie(response):
    if request.endpoint in PUBLIC_PAGES:
        voter_mod.ensure_voter_cookie(response)
    return response


@bp.errorhandler(429)
def _too_many(exc):
    """Each limited route says what was limited and leads back to where the visitor was."""
    args = request.view_args or {}
    if request.endpoint == "voting.new_captcha":  # fetched by vote.js only: always JSON
        return jsonify(ok=False, error="验证码刷新过于频繁，请1分钟后再试。", code="rate_limited"), 429
    if request.endpoint == "voting.phone":
        nxt = request.args.get("next", "")
        back = url_for("voting.phone", contest_id=args["contest_id"], next=nxt if nxt.startswith("/vote/") else None)
        return _refuse(429, "获取或校验验证码过于频繁，请1分钟后再试。", "rate_limited", back,
                       title="操作过于频繁", back_label="返回手机验证")
    back = _entry_url(args["contest_id"], args["entry_id"]) if request.endpoint == "voting.vote" else None
    return _refuse(429, "操作过于频繁，请稍后再试。同一网络地址每分钟的投票请求有次数限制。", "rate_limited", back)


def _refuse(status: int, message: str, code: str, entry_url: str | None = None, *, title: str = "未能投票",
            back_label: str = "返回作品页面", **extra):
    """JSON for vote.js; without JavaScript an error page with the same status and a way back."""
    if wants_json():
        return jsonify(ok=False, error=message, code=code, **extra), status
    return render_template("voting/refused.html", code=status, message=message, title=title,
                           back=entry_url or url_for("voting.index"), back_label=back_label), status


def _load_contest(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        abort(404)
    return contest


def _category_arg() -> VideoCategory | None:
    try:
        return VideoCategory(request.args.get("category", ""))
    except ValueError:
        return None


@bp.route("/vote")
@public_view
def index():
    """The voting zone of the current contest."""
    contest = get_current_contest()
    if contest is None:
        abort(404)
    return redirect(url_for("voting.contest_page", contest_id=contest.id))


@bp.route("/vote/<int:contest_id>")
@public_view
def contest_page(contest_id: int):
    """Entries that passed 初筛, in two sections, with search and the video category filter."""
    contest = _load_contest(contest_id)
    q = (request.args.get("q") or "").strip()[:50]
    category = _category_arg()
    section = request.args.get("section", "")
    cases = services.public_entries(contest, EntryKind.CASE, q=q) if section != "video" else []
    videos = services.public_entries(contest, EntryKind.VIDEO, q=q, category=category) if section != "case" else []
    t = now()
    return render_template("voting/list.html", contest=contest, cases=cases, videos=videos, q=q,
                           category=category, section=section, categories=list(VideoCategory),
                           closed_reason=services.voting_open(contest, t))


@bp.route("/vote/<int:contest_id>/entry/<int:entry_id>")
@public_view
def entry_page(contest_id: int, entry_id: int):
    """One entry: the case text or the video, the vote button and a share link."""
    contest = _load_contest(contest_id)
    entry = services.get_public_entry(contest, entry_id)
    preview = False
    if entry is None:
        # Its own unit and organizers may preview an entry that is not (yet) public; nobody can vote on it.
        entry = services.get_previewable_entry(contest, entry_id, current_user)
        if entry is None:
            abort(404, "该作品不存在或未通过初筛。")
        preview = True
    t = now()
    closed_reason = ("该作品尚未通过初筛，此页面仅供预览，公众看不到也不能投票。" if preview
                     else services.voting_open(contest, t))
    phone_ok = bool(voter_mod.verified_phone_hash(contest.id))
    form = VoteForm()
    captcha_image = ""
    # The vote form is shown only when voting is open (and the phone is verified when required).
    if not closed_reason and (phone_ok or not contest.phone_verification):
        # Without a (valid) cookie yet, the IP's votes of the day still count (captcha mode "after").
        status, voter_id = voter_mod.read_voter_id()
        who = voter_mod.current_voter(voter_id if status == voter_mod.VALID else "", contest.id)
        need_captcha = services.captcha_needed(contest, who, t)
        # The challenge is part of the page, so the plain form works without JavaScript. Each one is a
        # row: a client reloading the page in a loop gets no more than the captcha endpoint gives.
        if need_captcha and ratelimit.hit("page-captcha", PAGE_CAPTCHA_LIMIT, policy.address_key(client_ip())):
            challenge = services.new_captcha(now=t)
            form.captcha_token.data = challenge.token
            captcha_image = _png_data_url(captcha.render_png(challenge.answer))
    else:
        need_captcha = False
    page = render_template(
        "voting/entry.html", contest=contest, entry=entry, form=form, preview=preview,
        rank=services.rank_of(entry) if contest.show_counts else None,
        closed_reason=closed_reason, need_captcha=need_captcha, captcha_image=captcha_image,
        phone_ok=phone_ok,
        share_url=url_for("voting.entry_page", contest_id=contest.id, entry_id=entry.id, _external=True))
    if captcha_image:
        db.session.commit()  # the challenge row; after rendering, so the page needs no reload of expired objects
        resp = current_app.make_response(page)
        resp.headers["Cache-Control"] = "no-store"  # a cached page would carry a used captcha
        return resp
    return page


@bp.route("/vote/<int:contest_id>/entry/<int:entry_id>/vote", methods=["POST"])
@public_view
@ratelimit.per_ip("vote", _vote_limit, key=policy.address_key)
def vote(contest_id: int, entry_id: int):
    """Cast one vote (fetch from vote.js, or a plain form post without JavaScript).

    The hottest route: CSRF is checked by CSRFProtect before it runs; the view reads the two captcha
    fields directly (no form object) and leaves the contest, the entry and the policy to the one read
    statement of ``services.cast_vote``."""
    status, voter_id = voter_mod.read_voter_id()
    if status != voter_mod.VALID and not services.is_public_entry(contest_id, entry_id):
        # An unknown entry is a 404 whoever asks; only then does the missing or forged cookie matter.
        if wants_json():
            return _refuse(404, services.NOT_FOUND_MESSAGE, "not_found")
        abort(404, services.NOT_FOUND_MESSAGE)
    if status == voter_mod.FORGED:
        resp = _refuse(403, "投票凭证无效（可能被篡改），已为您重新生成，请刷新页面后再投票。", "forged_cookie",
                       _entry_url(contest_id, entry_id))
        return voter_mod.ensure_voter_cookie(_as_response(resp))
    if status == voter_mod.MISSING:
        resp = _refuse(403, "未识别到投票凭证，请先打开投票页面（并允许浏览器使用 Cookie）后再投票。", "no_cookie",
                       _entry_url(contest_id, entry_id))
        return voter_mod.ensure_voter_cookie(_as_response(resp))
    who = voter_mod.current_voter(voter_id, contest_id)
    token, answer = request.form.get("captcha_token") or "", request.form.get("captcha_answer") or ""
    if len(token) > 64 or len(answer) > 12:  # the page never sends more: a forged or garbled post
        return _refuse(400, "提交的投票信息有误，请刷新页面后重试。", "bad_form", _entry_url(contest_id, entry_id))
    try:
        cast = services.cast_vote(contest_id, entry_id, who, now=now(), captcha_token=token, captcha_answer=answer)
    except services.VoteRefused as exc:
        if exc.status == 404 and not wants_json():
            abort(404, exc.message)
        extra = {"captcha_required": exc.code.startswith("captcha")}
        return _refuse(exc.status, exc.message, exc.code, _entry_url(contest_id, entry_id), **extra)
    message = "投票成功，感谢您的支持！"
    if wants_json():
        payload = {"ok": True, "message": message, "captcha_required": cast.captcha_next}
        if cast.show_counts:
            payload["count"] = cast.count
        return jsonify(payload)
    flash(message, "success")
    return redirect(_entry_url(contest_id, entry_id))


def _entry_url(contest_id: int, entry_id: int) -> str:
    return url_for("voting.entry_page", contest_id=contest_id, entry_id=entry_id)


def _as_response(resp):
    return current_app.make_response(resp)


def _png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@bp.route("/vote/captcha")
@public_view
@limiter.limit(PAGE_CAPTCHA_LIMIT, key_func=lambda: policy.address_key(client_ip()))
def new_captcha():
    """A new one-time image captcha as JSON: the token and the PNG as a data: URL."""
    challenge = services.new_captcha(now=now())
    db.session.commit()
    resp = jsonify(token=challenge.token, image=_png_data_url(captcha.render_png(challenge.answer)))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/vote/<int:contest_id>/phone", methods=["GET", "POST"])
@public_view
@limiter.limit("10 per minute", methods=["POST"], key_func=lambda: policy.address_key(client_ip()))
def phone(contest_id: int):
    """Phone verification for contests that want one person one vote: get a code, then enter it."""
    contest = _load_contest(contest_id)
    if not contest.phone_verification:
        abort(404)
    send_form, verify_form = PhoneSendForm(prefix="s"), PhoneVerifyForm(prefix="v")
    back = request.args.get("next", "")
    back = back if back.startswith("/vote/") else url_for("voting.contest_page", contest_id=contest.id)
    sending, verifying = send_form.send.data, verify_form.verify.data
    if sending and send_form.validate_on_submit():
        number = services.normalise_phone(send_form.phone.data)
        if number is None:
            send_form.phone.errors.append("手机号码格式不正确，请填写11位手机号码。")
        else:
            try:
                code = services.issue_phone_code(contest, voter_mod.hash_value("phone", number),
                                                 lambda c: voter_mod.hash_value("code", c), now=now())
                _count_code_for_ip()
                db.session.commit()
                sms.send(current_app.config["SMS_SENDER"], number,
                         f"【信用案例评选】您的投票验证码为{code}，10分钟内有效。")
                flash("验证码已发送，请查看短信。", "success")
                verify_form.phone.data = number
            except services.VotingError as exc:
                db.session.rollback()
                flash(str(exc), "error")
    elif verifying and verify_form.validate_on_submit():
        number = services.normalise_phone(verify_form.phone.data)
        if number is None:
            verify_form.phone.errors.append("手机号码格式不正确，请填写11位手机号码。")
        else:
            phone_hash = voter_mod.hash_value("phone", number)
            try:
                services.verify_phone_code(contest, phone_hash,
                                           voter_mod.hash_value("code", (verify_form.code.data or "").strip()), now=now())
                db.session.commit()
            except services.VotingError as exc:
                db.session.commit()  # keep the attempt counter
                flash(str(exc), "error")
            else:
                flash("手机验证成功，现在可以投票了。", "success")
                return voter_mod.set_phone_cookie(redirect(back), contest.id, phone_hash)
    return render_template("voting/phone.html", contest=contest, send_form=send_form, verify_form=verify_form,
                           back=back)


def _count_code_for_ip() -> None:
    """Count one SMS code against the client's daily budget (PHONE_CODES_PER_IP_PER_DAY, a window of
    24 hours from its first code; an IPv6 client counts by its /64). Raises VotingError when spent."""
    n = current_app.config["PHONE_CODES_PER_IP_PER_DAY"]
    if not ratelimit.hit("phone-code", f"{n} per day", policy.address_key(client_ip())):
        raise services.VotingError(f"同一网络地址24小时内最多获取{n}次验证码，已达上限，请明天再试。")


PUBLIC_PAGES = {"voting.contest_page", "voting.entry_page", "voting.index", "voting.phone"}


# --- fraud monitor (organizers) ------------------------------------------------------------------

@bp.route("/voting/monitor")
@roles_required(Role.ORGANIZER)
def monitor():
    """Votes over time, busiest sources, flagged bursts and voiding, for the current contest."""
    contest = get_current_contest()
    if contest is None:
        abort(404, "还没有征集活动。")
    return _render_monitor(contest, VoidForm())


def _monitor_args(contest):
    entry_id = arg_id("entry_id")
    entry = db.session.get(Entry, entry_id) if entry_id else None
    if entry is not None and entry.contest_id != contest.id:
        entry = None
    hours = min(max(request.args.get("hours", 24, type=int) or 24, 1), 24 * 14)
    return entry, hours


def _render_monitor(contest, form, code=200):
    entry, hours = _monitor_args(contest)
    t = now()
    since = t - timedelta(hours=hours)
    daily = fraud.daily_series(contest, t, entry.id if entry else None)
    hourly = fraud.hourly_series(contest, t, entry.id if entry else None)
    found = fraud.bursts(contest, since)
    titles = dict(db.session.execute(sa.select(Entry.id, Entry.title).where(
        Entry.id.in_({b.entry_id for b in found}))).all())
    detail = None
    burst_key = _burst_key()
    if burst_key:
        detail = fraud.burst_votes(contest, *burst_key)
    entries = db.session.execute(sa.select(Entry.id, Entry.title, Entry.vote_count).where(
        Entry.contest_id == contest.id, Entry.vote_count > 0).order_by(Entry.vote_count.desc(), Entry.id).limit(50)).all()
    return render_template(
        "voting/monitor.html", contest=contest, form=form, entry=entry, hours=hours,
        summary=fraud.summary(contest, t), daily=daily, hourly=hourly,
        daily_points=policy.svg_polyline([n for _, n in daily], 600, 140),
        hourly_points=policy.svg_polyline(hourly, 600, 140),
        bursts=found, titles=titles, source_labels=fraud.SOURCE_LABELS, detail=detail, burst_key=burst_key,
        busiest={k: fraud.busiest(contest, k, since) for k in ("ip", "net", "voter")}, top_entries=entries), code


def _burst_key():
    entry_id = arg_id("b_entry")
    try:
        kind = request.args.get("b_kind", "")
        source = request.args.get("b_source", "")[:64]
        minute = datetime.strptime(request.args.get("b_minute", ""), "%Y-%m-%dT%H:%M")
    except ValueError:
        return None
    if entry_id is None or kind not in fraud.SOURCE_COLUMNS or not source:
        return None
    return entry_id, kind, source, minute


@bp.route("/voting/monitor/void", methods=["POST"])
@roles_required(Role.ORGANIZER)
def void():
    """Void the ticked votes, or a whole burst, with a reason; counts drop in the same transaction."""
    contest = get_current_contest()
    if contest is None:
        abort(404)
    form = VoidForm()
    if not form.validate_on_submit():
        flash(form.reason.errors[0] if form.reason.errors else "提交的内容有误，请刷新页面后重试。", "error")
        return _render_monitor(contest, form, 400)
    try:
        if form.minute.data:
            try:
                minute = datetime.strptime(form.minute.data, "%Y-%m-%dT%H:%M")
                entry_id = int(form.entry_id.data or "")
            except ValueError:
                raise fraud.MonitorError("集中投票的信息有误，请刷新页面后重试。")
            n = fraud.void_burst(contest, entry_id, form.source_kind.data or "", form.source.data or "", minute,
                                   form.reason.data, actor=current_user, now=now(), ip=client_ip())
        else:
            n = fraud.void_votes(contest, form.vote_ids.data or [], form.reason.data, actor=current_user,
                                   now=now(), ip=client_ip())
    except fraud.MonitorError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_monitor(contest, form, 400)
    db.session.commit()
    flash(f"已作废 {n} 票，相关作品的票数已同步更新。", "success")
    return redirect(url_for("voting.monitor"))


@bp.route("/voting/settings", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def policy_settings():
    """The current contest's vote policy: limits, captcha, phone verification, public counts, burst threshold."""
    contest = get_current_contest()
    if contest is None:
        abort(404, "还没有征集活动。")
    form = PolicyForm(obj=contest) if request.method == "GET" else PolicyForm()
    if request.method == "GET":
        form.captcha_mode.data = contest.captcha_mode.value
    code = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                changed = services.update_policy(contest, {n: getattr(form, n).data for n in services.POLICY_FIELDS},
                                                 actor=current_user, now=now(), ip=client_ip())
            except services.VotingError as exc:
                db.session.rollback()
                flash(str(exc), "error")
                code = 400
            else:
                db.session.commit()
                flash("投票规则已保存。" if changed else "没有修改任何内容。", "success")
                return redirect(url_for("voting.policy_settings"))
        else:
            flash("请按提示修改后再保存。", "error")
            code = 400
    return render_template("voting/settings.html", contest=contest, form=form), code
