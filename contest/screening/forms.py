"""初筛 forms."""
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional

DECISION_LABELS = {"passed": "通过", "rejected": "不通过"}
DECISION_CHOICES = [SelectChoice(value, label) for value, label in DECISION_LABELS.items()]


class DecisionForm(FlaskForm):
    decision = RadioField("初筛结果", choices=DECISION_CHOICES, validate_choice=False,
                          validators=[Optional()])
    reason = TextAreaField("原因（不通过时必填，申报单位可见）", validators=[Optional(), Length(max=2000)])


class BulkForm(DecisionForm):
    entry_ids = SelectMultipleField("作品", coerce=int, validate_choice=False, validators=[Optional()])
