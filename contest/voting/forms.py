"""Forms of the voting zone and the fraud monitor."""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from contest.voting.policy import CAPTCHA_AFTER_MAX


class VoteForm(FlaskForm):
    captcha_token = HiddenField(validators=[Optional(), Length(max=64)])
    captcha_answer = StringField("图片验证码", validators=[Optional(), Length(max=12)])


class PhoneSendForm(FlaskForm):
    phone = StringField("手机号码", validators=[DataRequired("请填写手机号码。"), Length(max=20)])
    send = SubmitField("获取验证码")


class PhoneVerifyForm(FlaskForm):
    phone = StringField("手机号码", validators=[DataRequired("请填写手机号码。"), Length(max=20)])
    code = StringField("短信验证码", validators=[DataRequired("请填写短信验证码。"), Length(max=10)])
    verify = SubmitField("验证并继续投票")


class VoidForm(FlaskForm):
    vote_ids = SelectMultipleField("投票", coerce=int, validate_choice=False, validators=[Optional()])
    entry_id = HiddenField(validators=[Optional()])
    source_kind = HiddenField(validators=[Optional()])
    source = HiddenField(validators=[Optional(), Length(max=64)])
    minute = HiddenField(validators=[Optional(), Length(max=32)])
    reason = TextAreaField("作废原因", validators=[DataRequired("请填写作废原因。"), Length(max=200, message="作废原因不能超过200字。")])


class PolicyForm(FlaskForm):
    """The contest's vote policy and fraud thresholds."""
    votes_per_entry_per_day = IntegerField("每人每天每个作品可投票数", validators=[
        InputRequired("请填写每人每天每个作品可投票数。"), NumberRange(1, 100, "请填写1到100之间的整数。")])
    votes_per_voter_per_day = IntegerField("每人每天最多投票数", validators=[
        InputRequired("请填写每人每天最多投票数。"), NumberRange(1, 1000, "请填写1到1000之间的整数。")])
    ip_votes_per_entry_per_day = IntegerField("同一IP每天每个作品最多票数", validators=[
        InputRequired("请填写同一IP每天每个作品最多票数。"), NumberRange(1, 100000, "请填写1到100000之间的整数。")])
    captcha_mode = SelectField("图片验证码", choices=[SelectChoice("off", "不需要"), SelectChoice("always", "每次投票都需要"),
                                                 SelectChoice("after", "当天投票达到一定次数后需要")])
    captcha_after = IntegerField("投票几次后需要验证码（同一投票人或同一IP当天）", validators=[
        InputRequired("请填写需要验证码的投票次数。"), NumberRange(0, CAPTCHA_AFTER_MAX, f"请填写0到{CAPTCHA_AFTER_MAX}之间的整数。")])
    phone_verification = BooleanField("投票前需验证手机号码（一人一票）")
    show_counts = BooleanField("向公众显示票数和名次")
    burst_votes_per_minute = IntegerField("疑似刷票阈值（同一作品每分钟来自同一IP或网段的票数超过）", validators=[
        InputRequired("请填写疑似刷票阈值。"), NumberRange(1, 100000, "请填写1到100000之间的整数。")])
