"""Pure account and unit rules: names, kinds, usernames, phones and the unit import file.

No Flask, no database: plain values in, plain values out (Chinese messages for people).
"""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from typing import Iterable, Optional

# Labels people type in a spreadsheet -> UnitKind values. The notice writes "市级各部门",
# "各区县", "各开发区"; all of these spellings mean the same kind.
KIND_ALIASES = {
    "市级部门": "city_dept", "市级各部门": "city_dept", "市直部门": "city_dept", "市级单位": "city_dept",
    "区县": "district", "各区县": "district", "区": "district", "县": "district", "县区": "district",
    "西咸新区": "xixian",
    "开发区": "dev_zone", "各开发区": "dev_zone",
}
KIND_CHOICES_TEXT = "市级部门、区县、西咸新区、开发区"

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$")
PHONE_RE = re.compile(r"^[0-9+\-() ]{5,30}$")

# Import file columns in order; the first row of the file is a header with these names.
IMPORT_COLUMNS = ["单位名称", "单位类型", "联系人", "联系电话", "地址", "账号用户名", "账号名称"]
REQUIRED_COLUMNS = ["单位名称", "单位类型"]
MAX_IMPORT_ROWS = 2000


def parse_kind(text: str | None) -> Optional[str]:
    """The UnitKind value for a label such as "区县", or None when it is not one of the four kinds."""
    if text is None:
        return None
    return KIND_ALIASES.get(re.sub(r"\s+", "", str(text)))


def normalize_name(name: str | None) -> str:
    """Unit names compare without surrounding or inner whitespace (full-width spaces included)."""
    return re.sub(r"\s+", "", name or "")


def username_problem(username: str) -> Optional[str]:
    """Chinese message when ``username`` is not acceptable, else None."""
    if not USERNAME_RE.match(username or ""):
        return "用户名需为 3–64 位字母、数字或 _ . -，并以字母或数字开头。"
    return None


def phone_problem(phone: str) -> Optional[str]:
    """Chinese message when a non-empty ``phone`` is not a phone number, else None (empty is allowed)."""
    if phone and not PHONE_RE.match(phone):
        return "联系电话只能包含数字、空格、+、-和括号（5–30 位），例如 029-86787001。"
    return None


def generate_password(length: int = 12) -> str:
    """A random password with letters and digits (passes ``password_problem``), without look-alikes."""
    letters = "".join(c for c in string.ascii_letters if c not in "lIO")
    digits = "23456789"
    alphabet = letters + digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c in digits for c in value) and any(c in letters for c in value):
            return value


@dataclass(frozen=True)
class ImportRow:
    line: int  # the row number as the spreadsheet shows it (header is row 1)
    name: str
    kind: str  # UnitKind value
    contact_name: str
    contact_phone: str
    address: str
    username: str
    display_name: str


@dataclass
class ImportCheck:
    rows: list[ImportRow]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone numbers typed into Excel come back as floats
    return str(value).strip()


def check_import(table: list[list], *, existing_units: Iterable[str],
                 existing_usernames: Iterable[str]) -> ImportCheck:
    """Validate an import table (header row first) against the units and usernames already present.

    Returns every row parsed and every row-level error in Chinese ("第3行：…"). The import is
    all-or-nothing: callers must refuse the whole file when ``errors`` is not empty.
    Duplicate unit names (in the file, or with existing units) and duplicate usernames are errors.
    """
    errors: list[str] = []
    if not table:
        return ImportCheck([], ["文件为空：第1行应为表头（" + "、".join(IMPORT_COLUMNS) + "）。"])
    header = [normalize_name(_cell(h)) for h in table[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        return ImportCheck([], [f"第1行表头缺少“{'”“'.join(missing)}”列；表头应为：{'、'.join(IMPORT_COLUMNS)}。"
                                "请使用下载的导入模板。"])
    index = {name: header.index(name) for name in IMPORT_COLUMNS if name in header}
    body = table[1:]
    if len(body) > MAX_IMPORT_ROWS:
        return ImportCheck([], [f"文件共 {len(body)} 行数据，超过单次导入上限 {MAX_IMPORT_ROWS} 行，请分批导入。"])

    existing_units = {normalize_name(n) for n in existing_units}
    existing_usernames = {u.lower() for u in existing_usernames}
    seen_units: dict[str, int] = {}
    seen_users: dict[str, int] = {}
    rows: list[ImportRow] = []
    for offset, raw in enumerate(body, start=2):
        values = {name: _cell(raw[i]) if i < len(raw) else "" for name, i in index.items()}
        if not any(values.values()):
            continue  # blank lines are ignored
        line_errors = []
        name = values.get("单位名称", "")
        key = normalize_name(name)
        if not key:
            line_errors.append("单位名称不能为空")
        elif len(name) > 100:
            line_errors.append("单位名称不能超过 100 个字")
        elif key in seen_units:
            line_errors.append(f"单位名称“{name}”在文件中重复（第{seen_units[key]}行已有）")
        elif key in existing_units:
            line_errors.append(f"单位“{name}”已存在，不能重复导入")
        kind = parse_kind(values.get("单位类型"))
        if kind is None:
            line_errors.append(f"单位类型“{values.get('单位类型', '')}”无效，应为{KIND_CHOICES_TEXT}之一")
        phone = values.get("联系电话", "")
        if phone_problem(phone):
            line_errors.append(f"联系电话“{phone}”格式不正确")
        username = values.get("账号用户名", "")
        if username:
            problem = username_problem(username)
            if problem:
                line_errors.append(f"账号用户名“{username}”无效：{problem}")
            elif username.lower() in seen_users:
                line_errors.append(f"账号用户名“{username}”在文件中重复（第{seen_users[username.lower()]}行已有）")
            elif username.lower() in existing_usernames:
                line_errors.append(f"账号用户名“{username}”已被使用")
        for label, limit in (("联系人", 50), ("地址", 200), ("账号名称", 100)):
            if len(values.get(label, "")) > limit:
                line_errors.append(f"{label}不能超过 {limit} 个字")
        if key and key not in seen_units:
            seen_units[key] = offset
        if username and username.lower() not in seen_users:
            seen_users[username.lower()] = offset
        if line_errors:
            errors.append(f"第{offset}行：" + "；".join(line_errors) + "。")
            continue
        rows.append(ImportRow(offset, name, kind, values.get("联系人", ""), phone, values.get("地址", ""),
                              username, values.get("账号名称", "")))
    if not rows and not errors:
        errors.append("文件中没有数据行：请从第2行开始每行填写一个单位。")
    return ImportCheck(rows, errors)
