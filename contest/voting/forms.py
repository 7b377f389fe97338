"""Forms of the voting zone and the fraud monitor."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


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
