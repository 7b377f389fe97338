"""Forms of the ranking pages (CSRF on every one). Every message is Chinese, also WTForms' built-ins."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, Length, ValidationError

from contest.ranking.models import WinnerMode


class _ZhForm(FlaskForm):
    class Meta:
        locales = ("zh",)

        def get_translations(self, form):
            # Flask-WTF only translates through Flask-Babel; use WTForms' own zh catalogue instead.
            return DefaultMeta.get_translations(self, form)


class FreezeForm(_ZhForm):
    confirm_incomplete = BooleanField("确认在数据不完整的情况下冻结")


class UnfreezeForm(_ZhForm):
    reason = TextAreaField("解冻原因", validators=[
        DataRequired("解冻必须填写原因，请说明为什么需要修改已冻结的结果。"),
        Length(max=500, message="解冻原因不能超过 500 字。")])


class PublishForm(_ZhForm):
    pass


class WinnerRuleForm(_ZhForm):
    mode = RadioField("获奖规则", choices=[SelectChoice(m.value, m.label) for m in WinnerMode],
                      validators=[DataRequired("请选择获奖规则。")])
    top_n = StringField("获奖数量 N", validators=[DataRequired("请填写获奖数量（0 到 1000 之间的整数）。")])

    def validate_top_n(self, field):
        text = (field.data or "").strip()
        if not text.isdigit() or not 0 <= int(text) <= 1000:
            raise ValidationError("获奖数量必须是 0 到 1000 之间的整数。")

    @property
    def top_n_value(self) -> int:
        return int(self.top_n.data.strip())


class WinnerChoiceForm(_ZhForm):
    entry_id = HiddenField(validators=[DataRequired("缺少作品编号，请从排名表中选择作品。")])
    is_winner = RadioField("调整为", choices=[SelectChoice("1", "获奖"), SelectChoice("0", "不获奖")],
                           validators=[DataRequired("请选择设为获奖或不获奖。")])
    reason = TextAreaField("调整原因", validators=[
        DataRequired("手动调整获奖名单必须填写原因。"),
        Length(max=500, message="调整原因不能超过 500 字。")])

    def validate_entry_id(self, field):
        if not (field.data or "").strip().isdigit():
            raise ValidationError("作品编号无效，请从排名表中选择作品。")
