"""Forms of the case feature. Field rules come from case_rules; forms only carry and show them."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional as OptionalValidator, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from contest.accounts.models import UnitKind
from contest.submissions.case_rules import (
    LABELS, MAX_LENGTHS, PHONE_HELP, THEMES, email_error, normalize_phone, phone_error,
)
from contest.submissions.models import EntryState


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # A forged value gets a Chinese message, never a 500.
        for v in self.data or []:
            if v not in THEMES:
                raise ValidationError(f"案例主题“{v[:50]}”不在附件1的选项中。")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CaseForm(FlaskForm):
    """附件1 field for field (申报单位 comes from the account, not from the form)."""
    contact_name = StringField(LABELS["contact_name"], filters=[_strip])
    contact_phone = StringField(LABELS["contact_phone"], filters=[_strip],
                                render_kw={"inputmode": "tel", "placeholder": "如 13800138000 或 029-88886666"})
    contact_email = StringField(LABELS["contact_email"], filters=[_strip],
                                render_kw={"inputmode": "email", "placeholder": "如 name@example.cn"})
    unit_address = StringField(LABELS["unit_address"], filters=[_strip])
    title = StringField(LABELS["title"], filters=[_strip])
    themes = MultiCheckboxField(LABELS["themes"], choices=[SelectChoice(t) for t in THEMES])
    highlights = TextAreaField(LABELS["highlights"], render_kw={"rows": 4})
    part_problem = TextAreaField(LABELS["part_problem"], render_kw={"rows": 8, "data-count-group": "content"})
    part_measures = TextAreaField(LABELS["part_measures"], render_kw={"rows": 10, "data-count-group": "content"})
    part_effects = TextAreaField(LABELS["part_effects"], render_kw={"rows": 8, "data-count-group": "content"})
    recommender_opinion = TextAreaField(LABELS["recommender_opinion"], render_kw={"rows": 3})
    remarks = TextAreaField(LABELS["remarks"], render_kw={"rows": 2})

    def validate_contact_phone(self, field):
        if field.data and phone_error(field.data):
            raise ValidationError(phone_error(field.data))
        if field.data:
            field.data = normalize_phone(field.data)

    def validate_contact_email(self, field):
        if field.data and email_error(field.data):
            raise ValidationError(email_error(field.data))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for name, maximum in MAX_LENGTHS.items():
            f = getattr(self, name)
            if f.data and len(f.data) > maximum and not f.errors:
                f.errors.append(f"{LABELS[name]}最多 {maximum} 个字符，现在是 {len(f.data)} 个。")
                ok = False
        return ok

    def values(self) -> dict:
        return {name: getattr(self, name).data or ([] if name == "themes" else "")
                for name in ("title", "contact_name", "contact_phone", "contact_email", "unit_address", "themes",
                             "highlights", "part_problem", "part_measures", "part_effects",
                             "recommender_opinion", "remarks")}

    def add_errors(self, errors: dict[str, str]) -> list[str]:
        """Attach service errors to fields; returns those that belong to no field."""
        loose = []
        for name, msg in errors.items():
            f = getattr(self, name, None) if not name.startswith("_") else None
            if f is not None and hasattr(f, "errors") and name in self._fields:
                if isinstance(f.errors, tuple):
                    f.errors = list(f.errors)
                if msg not in f.errors:
                    f.errors.append(msg)
            else:
                loose.append(msg)
        return loose


class SubmitForm(FlaskForm):
    commitment = BooleanField("我已阅读并同意以上诚信承诺")


class ScanForm(FlaskForm):
    scan = FileField("加盖单位公章的申报表扫描件",
                     validators=[FileRequired("请选择要上传的扫描件（PDF、JPG 或 PNG）。")],
                     render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})


class ImportForm(FlaskForm):
    document = FileField("已填好的附件1 Word 文件（.docx）",
                         validators=[FileRequired("请选择要导入的 Word 文件（.docx）。")],
                         render_kw={"accept": ".docx,application/vnd.openxmlformats-officedocument.wordprocessingml.document"})


class ActionForm(FlaskForm):
    """CSRF-only form for buttons such as 撤回."""


class DeleteDraftForm(FlaskForm):
    """删除草稿: the tick is the confirmation (works without JavaScript; browsers also require it)."""
    confirm = BooleanField("确认删除（删除后无法恢复，当前上传的文件一并删除）",
                           validators=[DataRequired("请勾选“确认删除”后再删除草稿。")])


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False

    unit = SelectField("单位", coerce=str, validators=[OptionalValidator()])
    kind = SelectField("单位类型", choices=[SelectChoice("", "全部类型")] + [SelectChoice(k.value, k.label) for k in UnitKind],
                       validators=[OptionalValidator()])
    theme = SelectField("案例主题", choices=[SelectChoice("", "全部主题")] + [SelectChoice(t) for t in THEMES], validators=[OptionalValidator()])
    state = SelectField("状态", choices=[SelectChoice("", "全部状态")] + [SelectChoice(s.value, s.label) for s in EntryState],
                        validators=[OptionalValidator()])


__all__ = ["CaseForm", "SubmitForm", "ScanForm", "ImportForm", "ActionForm", "CaseFilterForm", "PHONE_HELP"]
