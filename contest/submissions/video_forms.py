"""附件2 form. Validation of content lives in video_rules (the service enforces it); the form only
collects values, so a garbage POST yields Chinese messages, never an English WTForms default."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from contest.submissions.case_forms import DeleteDraftForm  # noqa: F401  (shared by both features)
from contest.submissions.models import VideoCategory
from contest.submissions.video_rules import DECLARATION_TEXT, INTRODUCTION_LIMIT, SYNOPSIS_LIMIT

CATEGORY_CHOICES = [SelectChoice("", "请选择")] + [SelectChoice(c.value, c.label) for c in VideoCategory]


class VideoForm(FlaskForm):
    title = StringField("作品名称")
    category = SelectField("作品类别", choices=CATEGORY_CHOICES, validate_choice=False)
    director = StringField("导演")
    producer = StringField("制片人或制片单位")
    contact = StringField("参选单位联系人及电话")
    honors = TextAreaField("曾获区县级以上主要荣誉")
    synopsis = TextAreaField(f"参选作品剧情摘要（不超过 {SYNOPSIS_LIMIT} 字）")
    introduction = TextAreaField(f"参选作品简介（不超过 {INTRODUCTION_LIMIT} 字）")
    recommender_opinion = TextAreaField("推荐单位意见")
    remarks = TextAreaField("备注")

    FIELD_NAMES = ("title", "category", "director", "producer", "contact", "honors", "synopsis", "introduction",
                   "recommender_opinion", "remarks")

    def values(self) -> dict:
        return {name: getattr(self, name).data or "" for name in self.FIELD_NAMES}

    def add_errors(self, errors: dict[str, str]) -> list[str]:
        """Attach service errors to their fields; returns those that belong to no field."""
        rest = []
        for name, msg in errors.items():
            f = getattr(self, name, None) if name in self.FIELD_NAMES else None
            if f is None:
                rest.append(msg)
            else:
                f.errors = list(f.errors) + [msg]
        return rest


class SubmitForm(FlaskForm):
    declaration = BooleanField(DECLARATION_TEXT)


class ScanForm(FlaskForm):
    scan = FileField("加盖单位公章的推荐表扫描件",
                     validators=[FileRequired("请选择要上传的扫描件（PDF、JPG 或 PNG）。")],
                     render_kw={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})


class ActionForm(FlaskForm):
    """CSRF-only form for withdraw."""
