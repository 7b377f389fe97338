"""Review forms. Score values are collected as text and judged by contest.review.scoring, so that a
non-numeric entry gets the same Chinese message whether it comes from a browser or a script."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, FormField, HiddenField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, Optional as OptionalV, ValidationError


def score_form_class(criteria):
    """A form class with one text field ``c<id>`` per criterion, a comment and two buttons."""

    class ScoreForm(FlaskForm):
        comment = TextAreaField("评语（选填）", validators=[OptionalV()])
        save = SubmitField("保存草稿")
        submit_sheet = SubmitField("提交评分")

    for c in criteria:
        setattr(ScoreForm, f"c{c.id}", StringField(f"{c.name}（满分{c.max_score}分）"))
    return ScoreForm


def raw_scores(form, criteria) -> dict[int, str]:
    return {c.id: form[f"c{c.id}"].data for c in criteria}


class ReopenForm(FlaskForm):
    reason = TextAreaField("退回原因", validators=[DataRequired("请填写退回原因。"), Length(max=500, message="退回原因不能超过500字。")])
    submit = SubmitField("退回给专家修改")


class AssignmentForm(FlaskForm):
    """The matrix of checkboxes; each value is "<expert id>-<entry id>"."""
    pairs = SelectMultipleField("分配", choices=[], validate_choice=False)
    submit = SubmitField("保存分配")


class DefaultAssignForm(FlaskForm):
    submit = SubmitField("按默认规则分配（全部专家 × 全部通过初筛的作品）")


class CriterionRowForm(FlaskForm):
    class Meta:
        csrf = False

    id = HiddenField()
    name = StringField("指标名称", validators=[OptionalV(), Length(max=100, message="指标名称不能超过100字。")])
    description = TextAreaField("说明", validators=[OptionalV(), Length(max=1000, message="说明不能超过1000字。")])
    max_score = StringField("满分")
    delete = BooleanField("删除此项")

    def validate_max_score(self, field):
        text = (field.data or "").strip()
        if text and not (text.isdigit() and 1 <= int(text) <= 100):
            raise ValidationError("满分须为1～100的整数。")

    @property
    def is_blank(self) -> bool:
        return not self.id.data and not (self.name.data or "").strip() and not (self.max_score.data or "").strip()


class RubricForm(FlaskForm):
    rows = FieldList(FormField(CriterionRowForm), min_entries=0)
    submit = SubmitField("保存评分标准")


def parse_pairs(values) -> set[tuple[int, int]] | None:
    """{(expert id, entry id)} from "x-y" strings; None when any value is malformed."""
    pairs = set()
    for v in values or []:
        left, sep, right = str(v).partition("-")
        if not sep or not left.isdigit() or not right.isdigit():
            return None
        pairs.add((int(left), int(right)))
    return pairs
