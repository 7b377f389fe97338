"""The whole story in a real browser, one actor after the other, each in its own browser context:
organizer sets up the contest → a unit fills the case form and uploads a scan and a video →
organizer screens → the public votes on a phone → an expert scores → organizer freezes,
publishes and downloads the Excel.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from contest.submissions.counting import count_chars

from tests.e2e.conftest import login

PASSWORD = "Story2024pw"
CONTEST_TITLE = "2025年度西安市社会信用体系建设典型案例征集活动（浏览器测试）"
UNIT_NAME = "西安市浐灞生态区管委会"
CASE_TITLE = "“信用+社区治理”积分激励让守信者处处受益"
VIDEO_TITLE = "守信邻里"
PARTS = [
    "社区治理参与度低，守信行为缺少正向激励。",
    "建立居民信用积分，积分可兑换公共服务优惠；失信行为依法扣分并可信用修复。",
    "一年来参与居民增加三成，物业费收缴率提升至百分之九十五。",
]


@pytest.fixture
def story(live_server):
    """The accounts the story starts from: one organizer (the rest is created through the UI)."""
    from contest.accounts.models import Role
    from contest.accounts.services import create_user
    from contest.core.timeutil import utcnow

    with live_server.db():
        create_user(username="story_admin", password=PASSWORD, role=Role.ORGANIZER,
                    display_name="市信用办管理员", actor=None, now=utcnow())
    return live_server


def beijing_today() -> date:
    from contest.core.timeutil import to_beijing, utcnow
    return to_beijing(utcnow()).date()


def make_scan_png(path) -> None:
    """A small 'scanned form with a red seal' image made with Pillow."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 850), "white")
    draw = ImageDraw.Draw(img)
    for y in range(80, 700, 40):
        draw.line((60, y, 540, y), fill=(40, 40, 40), width=2)
    draw.ellipse((380, 640, 540, 800), outline=(200, 0, 0), width=8)
    img.save(path, "PNG")


def make_story_video(path):
    """A valid 150 s 1080×1920 clip (moov first) padded to 3 MB with an MP4 ``free`` box."""
    import struct

    from tests.video_support import make_video

    small = make_video(path.with_name("small-" + path.name), faststart=True)
    head = small.read_bytes()
    size = 3 * 1024 * 1024
    with open(path, "wb") as fh:
        fh.write(head)
        fh.write(struct.pack(">I4s", size - len(head), b"free"))
        fh.write(bytes(size - len(head) - 8))
    return path


def need(live, errors, step: str, *endpoints: str) -> None:
    """Stop the story (as skipped, with the reason) at a step whose feature is not in the app,
    after checking that the steps so far left no error in the browser."""
    missing = [e for e in endpoints if e not in live.app.view_functions]
    if missing:
        errors.assert_none()
        pytest.skip(f"story step '{step}' needs {', '.join(missing)}, which is not in the app yet")


def flash_text(page) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())


def create_account(page, live, *, role: str, username: str, name: str, unit: str | None = None) -> str:
    """Create an account in the back office and return the one-time password shown."""
    page.goto(live("/admin/accounts/new"))
    page.select_option("#role", role)
    page.fill("#username", username)
    page.fill("#display_name", name)
    if unit:
        page.select_option("#unit_id", label=unit)
    page.click("main form button[type=submit]")
    password = page.locator("#one-time-password").inner_text().strip()
    assert len(password) >= 8
    return password


def override(page, live, contest_id: int, phase: str, action: str, reason: str) -> None:
    """Open or close a phase by hand on the schedule page (reason audit-logged)."""
    page.goto(live(f"/admin/contests/{contest_id}/schedule"))
    form = page.locator(f"form[action$='/phases/{phase}/override']")
    form.locator("select").select_option(action)
    form.locator("input[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已手动" in flash_text(page), flash_text(page)


def test_whole_story(story, new_desktop, phone, shot, page_errors):
    live = story

    # 1. The organizer sets up the contest: creates it, a unit, the unit's account and an expert.
    need(live, page_errors, "set up the contest", "admin.contest_new", "admin.unit_new", "admin.account_new")
    organizer = new_desktop().new_page()
    login(organizer, live, "story_admin", PASSWORD)
    assert re.search(r"/dashboard$", organizer.url)
    shot(organizer, "01-organizer-dashboard")

    organizer.goto(live("/admin/contests/new"))
    organizer.fill("#title", CONTEST_TITLE)
    organizer.fill("#doc_number", "市信用办发〔2025〕1号")
    organizer.fill("#start_date", beijing_today().isoformat())
    organizer.click("main form button[type=submit]")
    organizer.wait_for_url(re.compile(r"/admin/contests/\d+/settings$"))
    assert "已创建活动" in flash_text(organizer)
    contest_id = int(re.search(r"/contests/(\d+)/", organizer.url).group(1))
    shot(organizer, "02-organizer-contest-settings")

    organizer.goto(live("/admin/units/new"))
    organizer.fill("#name", UNIT_NAME)
    organizer.select_option("#kind", "dev_zone")
    organizer.fill("#contact_name", "王晓东")
    organizer.fill("#contact_phone", "029-83591004")
    organizer.click("main form button[type=submit]")
    assert f"单位“{UNIT_NAME}”已保存" in flash_text(organizer)

    unit_password = create_account(organizer, live, role="unit", username="chanba", name="浐灞生态区信用办",
                                   unit=UNIT_NAME)
    expert_password = create_account(organizer, live, role="expert", username="story_expert", name="张建国")
    shot(organizer, "03-organizer-account-created")

    with live.db() as s:
        from contest.contests.models import Contest
        from contest.contests.services import is_phase_open
        from contest.contests.models import Phase
        from contest.core.timeutil import utcnow
        contest = s.get(Contest, contest_id)
        assert contest.title == CONTEST_TITLE
        assert is_phase_open(contest, Phase.SUBMISSION, utcnow())

    # The public landing page on a phone: the new contest, readable without sideways scrolling.
    public = phone.new_page()
    public.goto(live("/"))
    assert CONTEST_TITLE in public.inner_text("main")
    width = public.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the landing page is {width}px wide on a 390px phone"
    shot(public, "00-public-landing-phone")

    # 2. The unit fills the case form (附件1), watching the live 字数 counter, uploads the stamped
    #    scan, makes the integrity commitment and submits.
    need(live, page_errors, "case form", "cases.new", "cases.upload_scan", "cases.submit")
    unit = new_desktop().new_page()
    login(unit, live, "chanba", unit_password)
    unit.goto(live("/cases/new"))
    unit.fill("#contact_name", "王晓东")
    unit.fill("#contact_phone", "13891234567")
    unit.fill("#contact_email", "chanba_credit@example.cn")
    unit.fill("#unit_address", "西安市浐灞生态区浐灞大道1号")
    unit.fill("#title", CASE_TITLE)
    unit.check("input[name=themes][value='信用市场化建设']")
    unit.fill("#highlights", "信用积分与惠民政策挂钩。")
    counter = unit.locator('[data-count-for="content"]')
    unit.locator("#part_problem").press_sequentially(PARTS[0])
    expect(counter).to_have_text(f"已输入 {count_chars(PARTS[0])} 字 / 上限 2000 字")
    unit.fill("#part_measures", "创" * 2000)  # over the limit: the counter says by how much
    typed = count_chars(PARTS[0]) + 2000
    expect(counter).to_have_text(f"已输入 {typed} 字 / 上限 2000 字（超出 {typed - 2000} 字）")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    shot(unit, "04-unit-case-form-over-limit")
    unit.fill("#part_measures", PARTS[1])
    unit.fill("#part_effects", PARTS[2])
    total = sum(count_chars(p) for p in PARTS)
    expect(counter).to_have_text(f"已输入 {total} 字 / 上限 2000 字")
    expect(counter).not_to_have_class(re.compile(r"\bover\b"))
    unit.click("form.case-form button[type=submit]")
    unit.wait_for_url(re.compile(r"/cases/\d+$"))
    case_id = int(re.search(r"/cases/(\d+)$", unit.url).group(1))

    scan = live.root / "stamped-scan.png"
    make_scan_png(scan)
    unit.set_input_files("input[name=scan]", str(scan))
    unit.click("form[action$='/scan'] button[type=submit]")
    assert "盖章扫描件已上传" in flash_text(unit), flash_text(unit)
    expect(unit.locator("img.scan-thumb")).to_be_visible()
    unit.check("#commitment")
    unit.click("form[action$='/submit'] button[type=submit]")
    assert "案例已提交" in flash_text(unit), flash_text(unit)
    shot(unit, "05-unit-case-submitted")
    with live.db() as s:
        from contest.submissions.models import Case, EntryState
        case = s.get(Case, case_id)
        assert (case.title, case.state, case.themes) == (CASE_TITLE, EntryState.SUBMITTED, ["信用市场化建设"])
        assert case.scan_file is not None and case.scan_file.size == scan.stat().st_size
        assert [case.part_problem, case.part_measures, case.part_effects] == PARTS

    # 3. The unit enters its short video (附件2) and uploads the file, watching the progress bar
    #    (the upload is throttled to 1 MB/s so that the bar has something to show), then the stamped
    #    scan of the 附件2 form, and submits.
    need(live, page_errors, "video upload", "videos.new", "videos.upload", "videos.upload_scan", "videos.submit")
    unit.goto(live("/videos/new"))
    unit.fill("#title", VIDEO_TITLE)
    unit.select_option("#category", label="纪实类")
    unit.fill("#director", "李明")
    unit.fill("#producer", UNIT_NAME)
    unit.fill("#contact", "王晓东 13891234567")
    unit.fill("#synopsis", "一位社区志愿者用信用积分带动邻里守信互助的故事。")
    unit.fill("#introduction", "纪实短片，记录浐灞生态区信用社区建设一年来的变化。")
    unit.locator("main form button[type=submit]", has_text="保存").click()
    unit.wait_for_url(re.compile(r"/videos/\d+/edit$"))
    video_id = int(re.search(r"/videos/(\d+)/edit$", unit.url).group(1))

    clip = make_story_video(live.root / "credit-story.mp4")
    cdp = unit.context.new_cdp_session(unit)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": 1024 * 1024})
    unit.evaluate("""() => {
        window.__progress = [];
        const bar = document.querySelector('.upload-progress progress');
        new MutationObserver(() => window.__progress.push(Number(bar.value)))
            .observe(bar, {attributes: true, attributeFilter: ['value']});
    }""")
    unit.set_input_files(".upload-input", str(clip))
    unit.click(".upload-start")
    expect(unit.locator(".upload-progress")).to_be_visible()
    expect(unit.locator(".upload-percent")).not_to_have_text("0%", timeout=20_000)
    shot(unit, "06-unit-video-uploading")
    expect(unit.locator(".upload-message")).to_contain_text("视频检测通过", timeout=60_000)
    seen = unit.evaluate("window.__progress")
    assert any(0 < v < 100 for v in seen) and seen[-1] == 100, seen
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    unit.wait_for_url(re.compile(rf"/videos/{video_id}$"))
    unit.set_input_files("input[name=scan]", str(scan))
    unit.click("form[action$='/scan'] button[type=submit]")
    assert "盖章扫描件已上传" in flash_text(unit), flash_text(unit)
    unit.check("#declaration")
    unit.click("form[action$='/submit'] button[type=submit]")
    unit.wait_for_load_state("domcontentloaded")
    shot(unit, "07-unit-video-submitted")
    with live.db() as s:
        from contest.submissions.models import EntryState, Video
        video = s.get(Video, video_id)
        assert (video.title, video.state) == (VIDEO_TITLE, EntryState.SUBMITTED), flash_text(unit)
        assert video.video_file.size == clip.stat().st_size
        assert round(video.duration_seconds) == 150
        assert video.scan_file is not None and video.scan_file.size == scan.stat().st_size

    # 4. The organizer closes submissions, opens 初筛 and passes both entries.
    need(live, page_errors, "screening", "screening.detail", "admin.contest_override")
    override(organizer, live, contest_id, "submission", "closed", "征集期结束")
    override(organizer, live, contest_id, "screening", "open", "开始初筛")
    for entry_id in (case_id, video_id):
        organizer.goto(live(f"/screening/{entry_id}"))
        organizer.check("input[name=decision][value=passed]")
        organizer.click("main form button[type=submit]")
        assert "已保存初筛结果：通过" in flash_text(organizer), flash_text(organizer)
    organizer.goto(live("/screening/"))
    shot(organizer, "08-organizer-screening")
    override(organizer, live, contest_id, "screening", "closed", "初筛完成")
    override(organizer, live, contest_id, "voting", "open", "开始网络投票")
    override(organizer, live, contest_id, "review", "open", "开始专家评审")

    # 5. The public votes on a phone, from WeChat: the list, the case, one vote; a second vote the
    #    same day is refused with the reason.
    need(live, page_errors, "public vote", "voting.contest_page", "voting.entry_page", "voting.vote")
    voter = phone.new_page()
    voter.goto(live(f"/vote/{contest_id}"))
    expect(voter.locator(".vote-card")).to_have_count(2)
    assert voter.evaluate("document.documentElement.scrollWidth") <= 390
    shot(voter, "09-public-voting-list-phone")
    voter.locator(".vote-card", has_text=CASE_TITLE).click()
    voter.wait_for_url(re.compile(rf"/vote/{contest_id}/entry/{case_id}$"))
    expect(voter.locator("#vote-count")).to_have_text("0")
    voter.click("#vote-button")
    expect(voter.locator("#vote-feedback")).to_contain_text("投票成功")
    expect(voter.locator("#vote-count")).to_have_text("1")
    shot(voter, "10-public-voted-phone")
    page_errors.allow(rf"HTTP 409 POST .*/vote/{contest_id}/entry/{case_id}/vote$")  # the refusal below
    voter.click("#vote-button")
    expect(voter.locator("#vote-feedback")).to_contain_text("今天")
    expect(voter.locator("#vote-count")).to_have_text("1")
    with live.db() as s:
        from contest.submissions.models import Entry
        from contest.voting.models import Vote
        import sqlalchemy as sa
        assert s.get(Entry, case_id).vote_count == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.entry_id == case_id)) == 1

    # 6. The organizer assigns the expert (default rule: every expert, every entry); the expert
    #    scores the case and submits the sheet.
    need(live, page_errors, "expert review", "review.assignments", "review.assign_default", "review.score")
    organizer.goto(live("/review/assignments?kind=case"))
    organizer.locator("form[action*='/assignments/default'] button[type=submit]").click()
    organizer.wait_for_load_state("domcontentloaded")
    expert = new_desktop().new_page()
    login(expert, live, "story_expert", expert_password)
    expect(expert.locator("#review-assigned")).to_have_text("1")
    expert.locator(f"a[href$='/review/entries/{case_id}']").click()
    inputs = expert.locator("input.score-input")
    maxima = [int(inputs.nth(i).get_attribute("data-max")) for i in range(inputs.count())]
    assert sum(maxima) == 100
    scores = [m - 2 for m in maxima]
    for i, value in enumerate(scores):
        inputs.nth(i).fill(str(value))
    expect(expert.locator("#score-total")).to_have_text(str(sum(scores)))
    shot(expert, "11-expert-scoring")
    expert.on("dialog", lambda d: d.accept())
    expert.locator("button[name=submit_sheet]").click()
    expert.wait_for_url(re.compile(r"/expert$"))
    expect(expert.locator("#review-done")).to_have_text("1")

    # 7. The organizer closes voting and review, opens publication, freezes and publishes the case
    #    ranking and downloads it as Excel.
    need(live, page_errors, "freeze, publish, Excel", "ranking.kind_page", "ranking.freeze", "ranking.publish",
         "ranking.export_xlsx", "ranking.results")
    override(organizer, live, contest_id, "voting", "closed", "投票结束")
    override(organizer, live, contest_id, "review", "closed", "评审结束")
    override(organizer, live, contest_id, "publication", "open", "发布结果")
    organizer.goto(live(f"/ranking/{contest_id}/case"))
    freeze = organizer.locator("form[action$='/freeze']")
    if freeze.locator("input[name=confirm_incomplete]").count():
        freeze.locator("input[name=confirm_incomplete]").check()
    freeze.locator("button[type=submit]").click()
    assert "结果已冻结" in flash_text(organizer), flash_text(organizer)
    organizer.locator("form[action$='/publish'] button[type=submit]").click()
    assert "结果已发布" in flash_text(organizer), flash_text(organizer)
    shot(organizer, "12-organizer-ranking-published")
    with organizer.expect_download() as info:
        organizer.locator("a[href*='/ranking.xlsx']").first.click()
    xlsx = live.root / "ranking.xlsx"
    info.value.save_as(xlsx)
    from openpyxl import load_workbook
    cells = [str(c.value) for row in load_workbook(xlsx).active.iter_rows() for c in row if c.value is not None]
    assert CASE_TITLE in cells and UNIT_NAME in cells, cells[:40]

    # Everyone can now see the published result, on a phone.
    voter.goto(live(f"/results/{contest_id}"))
    expect(voter.locator("main")).to_contain_text(CASE_TITLE)
    shot(voter, "13-public-results-phone")

    page_errors.assert_none()
