"""Organizer forms: accounts, units, unit import, contest settings, schedule, overrides, filters."""
from __future__ import annotations

from flask_wtf import FlaskForm as _FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, IntegerField, SelectField, StringField,
                     TextAreaField)
from wtforms import Form as _Form
from wtforms import SelectChoice
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from contest.accounts.models import UNIT_KIND_LABELS, Role, UnitKind
from contest.accounts.rules import phone_problem, username_problem
from contest.contests.models import PHASE_ORDER



class _ChineseMeta:
    # WTForms ships Chinese messages ("不是有效的整数。"); Flask-WTF would only use them through Babel.
    locales = ["zh"]

    def get_translations(self, form):
        return DefaultMeta.get_translations(self, form)


class FlaskForm(_FlaskForm):
    Meta = type("Meta", (_ChineseMeta, _FlaskForm.Meta), {})


class Form(_Form):
    Meta = type("Meta", (_ChineseMeta, DefaultMeta), {})


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs -> SelectChoice (plain tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]


KIND_CHOICES = [(k.value, label) for k, label in UNIT_KIND_LABELS.items()]
ROLE_CHOICES = [(r.value, r.label) for r in Role]
NO_UNIT = 0
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _phone(form, field):
    problem = phone_problem((field.data or "").strip())
    if problem:
        raise ValidationError(problem)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AccountForm(FlaskForm):
    """New account; ``role`` decides which of the profile fields apply."""
    role = SelectField("角色", choices=choices(ROLE_CHOICES), validators=[InputRequired("请选择角色。")])
    username = StringField("用户名", filters=[_strip], validators=[DataRequired("请填写用户名。"), Length(max=64)])
    display_name = StringField("姓名/名称", filters=[_strip], validators=[
        DataRequired("请填写姓名或账号名称。"), Length(max=100, message="姓名/名称不能超过 100 个字。")])
    phone = StringField("联系电话", filters=[_strip], validators=[Length(max=30), _phone])
    unit_id = SelectField("所属单位（申报单位账号必填）", coerce=int, default=NO_UNIT)
    title = StringField("职称/职务（专家）", filters=[_strip], validators=[Length(max=100)])
    affiliation = StringField("工作单位（专家）", filters=[_strip], validators=[Length(max=200)])
    conflict_unit_id = SelectField("回避单位（专家，可选）", coerce=int, default=NO_UNIT)

    def validate_username(self, field):
        problem = username_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_unit_id(self, field):
        if self.role.data == Role.UNIT.value and field.data == NO_UNIT:
            raise ValidationError("申报单位账号必须选择所属单位。")


class AccountEditForm(AccountForm):
    """Editing keeps the role and username; they are shown, not posted."""
    role = None
    username = None

    def __init__(self, *args, account_role: Role, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_role = account_role

    def validate_unit_id(self, field):
        if self.account_role == Role.UNIT and field.data == NO_UNIT:
            raise ValidationError("申报单位账号必须选择所属单位。")


class AccountFilterForm(Form):
    role = SelectField("角色", choices=choices([("", "全部角色")] + ROLE_CHOICES), default="")
    unit = SelectField("单位", coerce=int, default=NO_UNIT)
    active = SelectField("状态", choices=choices([("", "全部"), ("1", "启用"), ("0", "已停用")]), default="")
    q = StringField("用户名/姓名", filters=[_strip])


class UnitForm(FlaskForm):
    name = StringField("单位名称", filters=[_strip], validators=[
        DataRequired("请填写单位名称。"), Length(max=100, message="单位名称不能超过 100 个字。")])
    kind = SelectField("单位类型", choices=choices(KIND_CHOICES), validators=[InputRequired("请选择单位类型。")])
    contact_name = StringField("联系人", filters=[_strip], validators=[Length(max=50)])
    contact_phone = StringField("联系电话", filters=[_strip], validators=[Length(max=30), _phone])
    email = StringField("邮箱", filters=[_strip], validators=[Optional(), Email("邮箱格式不正确。"), Length(max=120)])
    address = StringField("地址", filters=[_strip], validators=[Length(max=200)])


class UnitFilterForm(Form):
    kind = SelectField("单位类型", choices=choices([("", "全部类型")] + KIND_CHOICES), default="")


class ImportUploadForm(FlaskForm):
    file = FileField("导入文件（.xlsx 或 .csv）")

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError("请选择要导入的 .xlsx 或 .csv 文件。")


YEARS = (2000, 2099)  # dates an organizer can mean; outside it Beijing↔UTC arithmetic can overflow


def _sane_year(form, field) -> None:
    if field.data is not None and not YEARS[0] <= field.data.year <= YEARS[1]:
        raise ValidationError(f"年份须在 {YEARS[0]} 至 {YEARS[1]} 之间，请检查输入的日期。")


class ConfirmForm(FlaskForm):
    """A bare POST form (CSRF only)."""


class NewContestForm(FlaskForm):
    title = StringField("活动名称", filters=[_strip], validators=[
        DataRequired("请填写活动名称。"), Length(max=200, message="活动名称不能超过 200 个字。")])
    doc_number = StringField("文号（可选）", filters=[_strip], validators=[Length(max=100)])
    start_date = DateField("征集开始日期（北京时间）", validators=[
        InputRequired("请填写征集开始日期，格式如 2025-03-01。"), _sane_year])


class ContestSettingsForm(FlaskForm):
    title = StringField("活动名称", filters=[_strip], validators=[
        DataRequired("请填写活动名称。"), Length(max=200, message="活动名称不能超过 200 个字。")])
    doc_number = StringField("文号", filters=[_strip], validators=[Length(max=100)])
    notice_text = TextAreaField("通知正文", validators=[Length(max=20000, message="通知正文不能超过 20000 字。")])
    organizer_name = StringField("主办单位", filters=[_strip], validators=[Length(max=200)])
    contact_name = StringField("联系人", filters=[_strip], validators=[Length(max=50)])
    contact_phone = StringField("联系电话", filters=[_strip], validators=[Length(max=30), _phone])
    contact_email = StringField("联系邮箱", filters=[_strip], validators=[
        Optional(), Email("邮箱格式不正确。"), Length(max=120)])
    vote_weight_pct = IntegerField("网络投票权重（%）", validators=[
        InputRequired("请填写网络投票权重（0–100 的整数）。"), NumberRange(0, 100, "权重应为 0–100 的整数。")])
    expert_weight_pct = IntegerField("专家评审权重（%）", validators=[
        InputRequired("请填写专家评审权重（0–100 的整数）。"), NumberRange(0, 100, "权重应为 0–100 的整数。")])
    trim_extremes = BooleanField("专家评分去掉一个最高分和一个最低分（评分不少于 5 份时）")
    blind_review = BooleanField("盲评：专家看不到申报单位名称、联系方式和盖章扫描件")
    case_char_limit = IntegerField("案例字数上限", validators=[
        InputRequired("请填写案例字数上限（正整数）。"), NumberRange(1, 100000, "字数上限应为 1–100000。")])
    video_min_seconds = IntegerField("短视频最短时长（秒）", validators=[
        InputRequired("请填写最短时长（秒）。"), NumberRange(1, 36000, "时长应为 1–36000 秒。")])
    video_max_seconds = IntegerField("短视频最长时长（秒）", validators=[
        InputRequired("请填写最长时长（秒）。"), NumberRange(1, 36000, "时长应为 1–36000 秒。")])
    video_width = IntegerField("短视频宽度（像素）", validators=[
        InputRequired("请填写宽度。"), NumberRange(1, 10000, "宽度应为 1–10000 像素。")])
    video_height = IntegerField("短视频高度（像素）", validators=[
        InputRequired("请填写高度。"), NumberRange(1, 10000, "高度应为 1–10000 像素。")])
    quota_city_dept = IntegerField("市级部门至少报送案例数", validators=[
        InputRequired("请填写数量（0 或正整数）。"), NumberRange(0, 100, "数量应为 0–100。")])
    quota_district = IntegerField("区县至少报送案例数", validators=[
        InputRequired("请填写数量（0 或正整数）。"), NumberRange(0, 100, "数量应为 0–100。")])
    quota_xixian = IntegerField("西咸新区至少报送案例数", validators=[
        InputRequired("请填写数量（0 或正整数）。"), NumberRange(0, 100, "数量应为 0–100。")])
    quota_dev_zone = IntegerField("开发区至少报送案例数", validators=[
        InputRequired("请填写数量（0 或正整数）。"), NumberRange(0, 100, "数量应为 0–100。")])

    def validate_expert_weight_pct(self, field):
        if self.vote_weight_pct.data is not None and field.data is not None \
                and self.vote_weight_pct.data + field.data != 100:
            raise ValidationError(
                f"网络投票权重与专家评审权重之和必须为 100（现为 {self.vote_weight_pct.data + field.data}）。")

    def validate_video_max_seconds(self, field):
        if self.video_min_seconds.data and field.data and field.data < self.video_min_seconds.data:
            raise ValidationError("最长时长不能小于最短时长。")

    def quotas(self) -> dict[UnitKind, int]:
        return {k: getattr(self, f"quota_{k.value}").data for k in UnitKind}

    def lock(self, locks: dict[str, str], contest) -> None:
        """Render the fields named in ``locks`` disabled. Browsers do not post disabled inputs, so a
        locked field that was not posted keeps ``contest``'s value; a posted different value is left
        for the service to refuse."""
        for name in locks:
            field = getattr(self, name)
            field.render_kw = dict(field.render_kw or {}, disabled=True)
            if not field.raw_data:
                field.data = getattr(contest, name)
                field.validators = []


def _make_schedule_form():
    """One start/end pair of Beijing datetime-local inputs per phase."""
    attrs = {}
    for phase in PHASE_ORDER:
        attrs[f"{phase.value}_start"] = DateTimeLocalField(
            f"{phase.label} 开始", format=DATETIME_FORMAT,
            validators=[InputRequired(f"请填写“{phase.label}”的开始时间，格式如 2025-03-01 09:00。"), _sane_year])
        attrs[f"{phase.value}_end"] = DateTimeLocalField(
            f"{phase.label} 结束", format=DATETIME_FORMAT,
            validators=[InputRequired(f"请填写“{phase.label}”的结束时间，格式如 2025-04-24 00:00。"), _sane_year])
    return type("ScheduleFormBase", (FlaskForm,), attrs)


class ScheduleForm(_make_schedule_form()):
    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for phase in PHASE_ORDER:
            start, end = self.pair(phase)
            if start.data and end.data and end.data <= start.data:
                end.errors = list(end.errors) + [f"“{phase.label}”的结束时间必须晚于开始时间。"]
                ok = False
        return ok

    def pair(self, phase):
        return getattr(self, f"{phase.value}_start"), getattr(self, f"{phase.value}_end")


OVERRIDE_ACTIONS = {"open": "手动开启", "closed": "手动关闭", "auto": "恢复按时间自动开关"}


class OverrideForm(FlaskForm):
    action = SelectField("操作", choices=choices(OVERRIDE_ACTIONS.items()),
                         validators=[InputRequired("请选择操作。")])
    reason = StringField("原因", filters=[_strip], validators=[
        DataRequired("请填写手动开启或关闭的原因（将记入操作日志）。"), Length(max=200, message="原因不能超过 200 个字。")])


class AuditFilterForm(Form):
    actor = StringField("操作人", filters=[_strip])
    action = SelectField("操作类型", default="")
    date_from = DateField("开始日期", validators=[Optional(), _sane_year])
    date_to = DateField("结束日期", validators=[Optional(), _sane_year])


class QuotaFilterForm(Form):
    kind = SelectField("单位类型", choices=choices([("", "全部类型")] + KIND_CHOICES), default="")
    behind = SelectField("完成情况", choices=choices([("", "全部"), ("1", "仅未完成")]), default="")
