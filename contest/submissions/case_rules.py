"""Pure rules of the case form (附件1): phone and e-mail formats, themes, the three content parts,
the 字数 limit and what a case needs before it can be submitted. Plain values in, plain values out."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from email_validator import EmailNotValidError, validate_email

from contest.submissions.counting import count_chars, over_limit_message

# The ten options of 附件1, in the form's order (models.CASE_THEMES is built from this).
THEMES = (
    "信用基础设施建设",
    "创新信用融资服务和产品",
    "行业信用监管",
    "提升信用法治化规范化水平",
    "政务诚信",
    "进出口信用管理和对外信用合作",
    "资本市场诚信建设",
    "信用市场化建设",
    "诚信文化",
    "其他",
)

# The three parts of 案例内容 as the template writes them: (field, number, heading, hint).
PARTS = (
    ("part_problem", "一", "要解决的问题", "通过涉及信用体系建设的创新要解决的问题瓶颈"),
    ("part_measures", "二", "创新举措", "具体的涉及信用体系建设创新举措"),
    ("part_effects", "三", "工作成效及意义", "通过创新举措起到了怎样的工作成效及社会效益"),
)
PART_FIELDS = tuple(p[0] for p in PARTS)

# Field -> label as printed on 附件1 (for messages and the Word form).
LABELS = {
    "unit_name": "申报单位",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "contact_email": "邮箱",
    "unit_address": "单位地址",
    "title": "案例题目",
    "themes": "案例主题",
    "highlights": "案例特色或亮点",
    "part_problem": "一、要解决的问题",
    "part_measures": "二、创新举措",
    "part_effects": "三、工作成效及意义",
    "recommender_opinion": "推荐单位意见",
    "remarks": "备注",
}

# Column sizes of the model; the form and the Word import respect them.
MAX_LENGTHS = {"title": 200, "contact_name": 50, "contact_phone": 30, "contact_email": 120,
               "unit_address": 200, "highlights": 2000, "recommender_opinion": 2000, "remarks": 2000}

# Required before submission (推荐单位意见 and 备注 are optional, as on the paper form).
REQUIRED_TEXT = ("contact_name", "contact_phone", "contact_email", "unit_address", "title", "highlights")

COMMITMENT_TEXT = (
    "本单位郑重承诺：所报送的典型案例及申报材料内容真实、准确、有效，数据来源可靠，"
    "不存在虚构、夸大或抄袭他人成果的情况，不涉及国家秘密、商业秘密和个人隐私；"
    "加盖公章的扫描件与在线填报内容一致。如有不实，本单位愿承担相应责任，并接受取消参评资格等处理。"
)

_MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
# Area code 0 + 2–3 digits, local number 7–8 digits not starting with 0 or 1, optional extension.
_LANDLINE = re.compile(r"^(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}-?)?[2-9]\d{6,7}(?:-\d{1,6})?$")

PHONE_HELP = "请填写手机号码（如 13800138000）或带区号的固定电话（如 029-88886666）"


def normalize_phone(value: str | None) -> str:
    """The phone as typed, without spaces (full-width digits and dashes turned half-width)."""
    if not value:
        return ""
    table = str.maketrans("０１２３４５６７８９－—＋", "0123456789--+")
    return re.sub(r"\s+", "", value.translate(table))


def phone_error(value: str | None) -> Optional[str]:
    """None when ``value`` is a mainland mobile number or a landline with area code
    (e.g. 029-88886666, 02988886666, 029-88886666-123); otherwise a Chinese message."""
    phone = normalize_phone(value)
    if not phone:
        return "请填写联系电话。"
    digits = phone.replace("-", "").replace("(", "").replace(")", "").replace("（", "").replace("）", "")
    if _MOBILE.match(phone) or _MOBILE.match(digits):
        return None
    if phone.startswith("0") or phone.startswith("(") or phone.startswith("（"):
        if _LANDLINE.match(phone):
            return None
    return f"联系电话“{value.strip()}”格式不正确。{PHONE_HELP}。"


def email_error(value: str | None) -> Optional[str]:
    """None for a syntactically valid e-mail address (no DNS lookup), else a Chinese message."""
    email = (value or "").strip()
    if not email:
        return "请填写邮箱。"
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return f"邮箱“{email}”格式不正确，请填写如 name@example.cn 的邮箱地址。"
    return None


def themes_error(themes: Iterable[str] | None) -> Optional[str]:
    """None when at least one theme is chosen and every theme is one of the ten options."""
    chosen = list(themes or [])
    if not chosen:
        return "请至少选择一个案例主题。"
    unknown = [t for t in chosen if t not in THEMES]
    if unknown:
        return f"案例主题“{unknown[0]}”不在附件1的选项中。"
    return None


def clean_themes(themes: Iterable[str] | None) -> list[str]:
    """Known themes only, in the form's order, without duplicates."""
    chosen = set(themes or [])
    return [t for t in THEMES if t in chosen]


def content_count(parts: Mapping[str, str | None]) -> int:
    """字数 of 案例内容: the three parts together, counted by counting.count_chars."""
    return sum(count_chars(parts.get(f)) for f in PART_FIELDS)


def content_error(parts: Mapping[str, str | None], limit: int) -> Optional[str]:
    """None when the three parts together are within ``limit``; else the message with the count."""
    return over_limit_message("案例内容（三部分合计）", content_count(parts), limit)


def normalize_text(value: str | None) -> str:
    """Line endings unified to \\n and surrounding whitespace trimmed (inner text untouched)."""
    if not value:
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


@dataclass
class Completeness:
    """What still blocks submission: field -> message, plus case-level problems."""
    field_errors: dict[str, str] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.field_errors and not self.other

    @property
    def messages(self) -> list[str]:
        return list(self.field_errors.values()) + self.other


def check_fields(data: Mapping[str, object], limit: int) -> dict[str, str]:
    """Errors of a complete form: every required field, formats, themes, each of the three parts
    present, and the 字数 limit. Returns field -> Chinese message (empty when all is well)."""
    errors: dict[str, str] = {}
    for name in REQUIRED_TEXT:
        if not str(data.get(name) or "").strip():
            errors[name] = f"请填写{LABELS[name]}。"
    if "contact_phone" not in errors:
        msg = phone_error(str(data.get("contact_phone") or ""))
        if msg:
            errors["contact_phone"] = msg
    if "contact_email" not in errors:
        msg = email_error(str(data.get("contact_email") or ""))
        if msg:
            errors["contact_email"] = msg
    msg = themes_error(data.get("themes"))  # type: ignore[arg-type]
    if msg:
        errors["themes"] = msg
    for name, number, heading, _hint in PARTS:
        if not str(data.get(name) or "").strip():
            errors[name] = f"案例内容缺少“{number}、{heading}”部分，请按模板补充。"
    errors.update(length_errors(data))
    msg = content_error({f: str(data.get(f) or "") for f in PART_FIELDS}, limit)
    if msg:
        errors.setdefault("content", msg)
    return errors


def length_errors(data: Mapping[str, object]) -> dict[str, str]:
    """Fields longer than their column allows."""
    errors = {}
    for name, maximum in MAX_LENGTHS.items():
        n = len(str(data.get(name) or ""))
        if n > maximum:
            errors[name] = f"{LABELS[name]}最多 {maximum} 个字符，现在是 {n} 个。"
    return errors


def check_submittable(data: Mapping[str, object], limit: int, *, has_scan: bool, committed: bool) -> Completeness:
    """Everything a case needs before submission: the complete form, the stamped scan and the
    ticked integrity commitment."""
    result = Completeness(field_errors=check_fields(data, limit))
    if not has_scan:
        result.other.append("请上传加盖单位公章的申报表扫描件（PDF、JPG 或 PNG）。")
    if not committed:
        result.other.append("请阅读并勾选诚信承诺后再提交。")
    return result
