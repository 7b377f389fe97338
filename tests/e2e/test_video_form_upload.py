"""The video edit page holds the 附件2 fields and the upload box: an upload must not lose typed text."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import login


def _draft_video(live):
    from contest.accounts.models import Role
    from contest.contests.models import Phase
    from tests.factories import PASSWORD, make_contest, make_unit, make_user, make_video, open_schedule

    with live.db():
        contest = make_contest(schedule=open_schedule(Phase.SUBMISSION), title="上传不丢内容测试活动")
        unit = make_unit("上传测试单位")
        user = make_user(Role.UNIT, username="upload_unit", unit=unit)
        video = make_video(contest, unit, submitted=False, title="邻里守信", director="")
        return video.id, user.username, PASSWORD


def test_upload_keeps_unsaved_fields_then_save_stores_them(live_server, desktop, page_errors):
    from contest.submissions.models import Video
    from tests.video_support import make_video as make_clip

    live = live_server
    video_id, username, password = _draft_video(live)
    clip = make_clip(live.root / "keep-fields.mp4", faststart=True)
    page = desktop.new_page()
    dialogs = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # "stay on this page"

    page.on("dialog", on_dialog)
    login(page, live, username, password)
    page.goto(live(f"/videos/{video_id}/edit"))
    page.fill("#director", "王导演")

    page.set_input_files(".upload-input", str(clip))
    page.click(".upload-start")
    message = page.locator(".upload-message")
    expect(message).to_contain_text("视频检测通过", timeout=60_000)
    expect(message).to_contain_text("表单中还有未保存的修改，请点击“保存”后再离开本页。")
    expect(message.locator("a", has_text="查看作品")).to_have_attribute("href", f"/videos/{video_id}")
    page.wait_for_timeout(2000)  # the old page went to the video page 1.2 s after the upload
    assert page.url.endswith(f"/videos/{video_id}/edit"), page.url
    assert page.input_value("#director") == "王导演"

    # Leaving with unsaved changes asks first; dismissing keeps the page and the text.
    page.locator("main form a.button", has_text="返回列表").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"], dialogs
    assert page.url.endswith(f"/videos/{video_id}/edit"), page.url
    assert page.input_value("#director") == "王导演"

    # Saving leaves without a warning and stores the typed value with the uploaded file.
    page.locator("main form button[type=submit]", has_text="保存").click()
    page.wait_for_url(re.compile(rf"/videos/{video_id}/edit$"))
    expect(page.locator(".flash")).to_contain_text("已保存。")
    assert dialogs == ["beforeunload"], dialogs
    with live.db() as s:
        video = s.get(Video, video_id)
        assert video.director == "王导演"
        assert video.video_file is not None and video.video_file.size == clip.stat().st_size
    page_errors.assert_none()
