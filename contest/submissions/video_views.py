"""Video pages (附件2): the unit's list, the form, the streaming upload, the player, submission, Word export."""
from __future__ import annotations

from urllib.parse import unquote

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_login import current_user

from contest.accounts.models import Role
from contest.accounts.permissions import roles_required
from contest.contests.models import Contest
from contest.core.clock import now as clock_now
from contest.core.nav import register_nav
from contest.core.request_info import client_ip
from contest.extensions import db
from contest.media import storage, transcode
from contest.media.storage import StorageError, format_size
from contest.submissions import video_services as svc
from contest.submissions.counting import RULE_TEXT
from contest.submissions.lifecycle import SubmissionError
from contest.submissions.models import Video
from contest.submissions.view_helpers import (attach_scan_upload, current_contest, own_entry, submission_window,
                                              unit_entry)
from contest.submissions.video_forms import ActionForm, DeleteDraftForm, ScanForm, SubmitForm, VideoForm
from contest.submissions.video_rules import DECLARATION_TEXT, INTRODUCTION_LIMIT, SYNOPSIS_LIMIT
from contest.core.downloads import DOCX_MIME, download_name

bp = Blueprint("videos", __name__, url_prefix="/videos")

register_nav("unit", "优秀短视频", "videos.index", 30)


def _form_page(form: VideoForm, contest: Contest, video: Video | None, status: int = 200, loose=()):
    return render_template("submissions/video_form.html", form=form, contest=contest, video=video,
                           rule_text=RULE_TEXT, synopsis_limit=SYNOPSIS_LIMIT, introduction_limit=INTRODUCTION_LIMIT,
                           loose_errors=list(loose), max_bytes=current_app.config["MAX_VIDEO_BYTES"],
                           max_label=format_size(current_app.config["MAX_VIDEO_BYTES"]),
                           **submission_window(contest)), status


@bp.route("/")
@roles_required(Role.UNIT)
def index():
    """The unit's videos."""
    contest = current_contest()
    videos = svc.unit_videos(contest, current_user.unit_id)
    return render_template("submissions/video_list.html", contest=contest, videos=videos, **submission_window(contest))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.UNIT)
def new():
    contest = current_contest()
    form = VideoForm()
    if form.validate_on_submit():
        try:
            video = svc.create_video(contest, current_user.unit, form.values(), actor=current_user,
                                     now=clock_now(), ip=client_ip())
        except svc.VideoInvalid as exc:
            return _form_page(form, contest, None, 422, form.add_errors(exc.errors))
        except SubmissionError as exc:
            return _form_page(form, contest, None, 409, [str(exc)])
        db.session.commit()
        flash("草稿已保存。请在下方上传视频文件。", "success")
        return redirect(url_for("videos.edit", video_id=video.id))
    if request.method == "POST":
        return _form_page(form, contest, None, 400, ["页面已过期，请刷新后重试。"])
    return _form_page(form, contest, None)


@bp.route("/<int:video_id>/edit", methods=["GET", "POST"])
@roles_required(Role.UNIT)
def edit(video_id: int):
    video, contest = unit_entry(Video, video_id)
    form = VideoForm(data=svc.video_values(video)) if request.method == "GET" else VideoForm()
    if form.validate_on_submit():
        try:
            changed = svc.update_video(video, contest, form.values(), actor=current_user, now=clock_now(),
                                       ip=client_ip())
        except svc.VideoInvalid as exc:
            db.session.rollback()
            return _form_page(form, contest, video, 422, form.add_errors(exc.errors))
        except SubmissionError as exc:
            db.session.rollback()
            return _form_page(form, contest, video, 409, [str(exc)])
        db.session.commit()
        flash("已保存。" if changed else "内容没有变化。", "success")
        return redirect(url_for("videos.edit", video_id=video.id))
    return _form_page(form, contest, video)


@bp.route("/<int:video_id>/file", methods=["PUT"])
@roles_required(Role.UNIT)
def upload(video_id: int):
    """Raw-body streaming upload (static/js/upload.js); answers JSON."""
    video, contest = unit_entry(Video, video_id)
    cap = current_app.config["MAX_VIDEO_BYTES"]
    if request.content_length is not None and request.content_length > cap:
        return jsonify(ok=False, reasons=[f"视频文件超过 {format_size(cap)} 的大小上限，请压缩后重新上传。"]), 413
    name = unquote(request.headers.get("X-File-Name", ""))
    try:
        result = svc.attach_video_file(
            video, contest, request.stream, original_name=name, actor=current_user, now=clock_now(),
            upload_root=current_app.config["UPLOAD_ROOT"], max_bytes=cap,
            probe_timeout=current_app.config.get("FFPROBE_TIMEOUT", 30), ip=client_ip())
    except svc.VideoFileRefused as exc:
        db.session.rollback()
        return jsonify(ok=False, reasons=exc.reasons,
                       verdict=exc.verdict.to_dict() if exc.verdict else None), 422
    except StorageError as exc:
        db.session.rollback()
        return jsonify(ok=False, reasons=[str(exc)]), exc.status
    except SubmissionError as exc:
        db.session.rollback()
        return jsonify(ok=False, reasons=[str(exc)]), 409
    db.session.commit()
    storage.remove_keys(result.obsolete, current_app.config["UPLOAD_ROOT"])
    if result.needs_transcode:
        transcode.start_background(current_app._get_current_object(), video.id)
    return jsonify(ok=True, reasons=[], verdict=result.verdict.to_dict(),
                   message="视频检测通过，已保存。" + ("网页播放版本正在后台生成。" if result.needs_transcode else ""),
                   redirect=url_for("videos.detail", video_id=video.id))


@bp.route("/<int:video_id>")
@roles_required(Role.UNIT, Role.ORGANIZER)
def detail(video_id: int):
    return _detail_page(own_entry(Video, video_id))


def _detail_page(video: Video, status: int = 200, scan_form: ScanForm | None = None, loose=(),
                 delete_form: DeleteDraftForm | None = None):
    contest = db.session.get(Contest, video.contest_id)
    problems = svc.completeness(video)
    return render_template("submissions/video_detail.html", video=video, contest=contest, problems=problems,
                           submit_form=SubmitForm(), action_form=ActionForm(), scan_form=scan_form or ScanForm(),
                           delete_form=delete_form or DeleteDraftForm(),
                           max_scan=format_size(current_app.config["MAX_SCAN_BYTES"]), loose_errors=list(loose),
                           declaration=DECLARATION_TEXT, **submission_window(contest)), status


@bp.route("/<int:video_id>/scan", methods=["POST"])
@roles_required(Role.UNIT)
def upload_scan(video_id: int):
    """Upload the stamped scan of the 附件2 form (PDF/JPG/PNG, checked by content)."""
    video, contest = unit_entry(Video, video_id)
    error = attach_scan_upload(video, contest, ScanForm(), svc.attach_scan,
                               lambda status, **context: _detail_page(video, status, **context))
    if error is not None:
        return error
    flash("盖章扫描件已上传。", "success")
    return redirect(url_for("videos.detail", video_id=video.id))


@bp.route("/<int:video_id>/status")
@roles_required(Role.UNIT, Role.ORGANIZER)
def status(video_id: int):
    """The web-rendition state, polled by the player page while it is 处理中."""
    video = own_entry(Video, video_id)
    return jsonify(state=video.transcode_state.value, label=video.transcode_state.label,
                   ready=video.playable_file is not None)


@bp.route("/<int:video_id>/submit", methods=["POST"])
@roles_required(Role.UNIT)
def submit(video_id: int):
    video, contest = unit_entry(Video, video_id)
    form = SubmitForm()
    if form.validate_on_submit():
        try:
            svc.submit_video(video, contest, declared=bool(form.declaration.data), actor=current_user,
                             now=clock_now(), ip=client_ip())
        except svc.VideoInvalid as exc:
            db.session.rollback()
            for msg in exc.errors.values():
                flash(msg, "error")
            return redirect(url_for("videos.detail", video_id=video.id))
        except SubmissionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("videos.detail", video_id=video.id))
        db.session.commit()
        flash("作品已提交。截止前仍可修改或撤回。", "success")
    return redirect(url_for("videos.detail", video_id=video.id))


@bp.route("/<int:video_id>/withdraw", methods=["POST"])
@roles_required(Role.UNIT)
def withdraw(video_id: int):
    video, contest = unit_entry(Video, video_id)
    if ActionForm().validate_on_submit():
        try:
            svc.withdraw_video(video, contest, actor=current_user, now=clock_now(), ip=client_ip())
        except SubmissionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("videos.detail", video_id=video.id))
        db.session.commit()
        flash("作品已撤回，可修改后重新提交。", "success")
    return redirect(url_for("videos.detail", video_id=video.id))


@bp.route("/<int:video_id>/delete", methods=["POST"])
@roles_required(Role.UNIT)
def delete(video_id: int):
    """Delete the unit's own never-submitted draft (with its files) after the confirmation tick."""
    video, contest = unit_entry(Video, video_id)
    form = DeleteDraftForm()
    if not form.validate_on_submit():
        return _detail_page(video, 400, delete_form=form)
    title = video.title
    try:
        keys = svc.delete_video_draft(video, contest, actor=current_user, now=clock_now(), ip=client_ip())
    except SubmissionError as exc:
        db.session.rollback()
        return _detail_page(video, 409, loose=[str(exc)])
    db.session.commit()
    storage.remove_keys(keys, current_app.config["UPLOAD_ROOT"])
    flash(f"草稿“{title}”已删除。", "success")
    return redirect(url_for("videos.index"))


@bp.route("/<int:video_id>/form.docx")
@roles_required(Role.UNIT, Role.ORGANIZER)
def word(video_id: int):
    """The filled 附件2 form as Word."""
    from io import BytesIO

    from contest.documents.video_form import video_docx_bytes

    video = own_entry(Video, video_id)
    data = video_docx_bytes(video)
    return send_file(BytesIO(data), mimetype=DOCX_MIME, as_attachment=True,
                     download_name=download_name(f"附件2_{video.title or '短视频'}", ".docx", limit=120))
