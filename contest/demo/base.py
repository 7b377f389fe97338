"""Demo units, accounts and contests."""
from __future__ import annotations

from datetime import timedelta

from contest.accounts.models import Role, Unit, UnitKind
from contest.accounts.services import create_user
from contest.contests.models import Phase
from contest.contests.services import NOTICE_2024_TEXT, create_contest, create_notice_2024_contest
from contest.core.timeutil import from_beijing, to_beijing
from contest.extensions import db

# Real Xi'an units (names as used in the 2024 notice and the 沣西 work plan).
UNITS = [
    # 市级部门
    ("西安市发展和改革委员会", UnitKind.CITY_DEPT, "王敏", "029-86787001", "西安市未央区凤城八路109号"),
    ("西安市市场监督管理局", UnitKind.CITY_DEPT, "李娜", "029-86510123", "西安市未央区凤城八路109号"),
    ("国家税务总局西安市税务局", UnitKind.CITY_DEPT, "赵强", "029-87654321", "西安市新城区西一路"),
    ("西安市人力资源和社会保障局", UnitKind.CITY_DEPT, "陈静", "029-86786123", "西安市未央区凤城八路109号"),
    ("西安市住房和城乡建设局", UnitKind.CITY_DEPT, "刘洋", "029-86786456", "西安市未央区凤城八路109号"),
    ("西安市交通运输局", UnitKind.CITY_DEPT, "孙伟", "029-86786789", "西安市未央区凤城八路109号"),
    ("西安市文化和旅游局", UnitKind.CITY_DEPT, "周婷", "029-86786012", "西安市未央区凤城八路109号"),
    ("西安市生态环境局", UnitKind.CITY_DEPT, "吴刚", "029-86786345", "西安市未央区凤城八路109号"),
    # 区县
    ("新城区", UnitKind.DISTRICT, "郑磊", "029-87211001", "西安市新城区西七路"),
    ("碑林区", UnitKind.DISTRICT, "冯雪", "029-87211002", "西安市碑林区南大街"),
    ("莲湖区", UnitKind.DISTRICT, "何军", "029-87211003", "西安市莲湖区北关正街"),
    ("雁塔区", UnitKind.DISTRICT, "高原", "029-85211004", "西安市雁塔区小寨西路"),
    ("灞桥区", UnitKind.DISTRICT, "马丽", "029-83611005", "西安市灞桥区纺织城"),
    ("未央区", UnitKind.DISTRICT, "罗斌", "029-86211006", "西安市未央区凤城八路"),
    ("阎良区", UnitKind.DISTRICT, "梁超", "029-86811007", "西安市阎良区人民路"),
    ("临潼区", UnitKind.DISTRICT, "宋佳", "029-83811008", "西安市临潼区文化路"),
    ("长安区", UnitKind.DISTRICT, "唐亮", "029-85211009", "西安市长安区韦曲街道"),
    ("高陵区", UnitKind.DISTRICT, "韩梅", "029-86911010", "西安市高陵区鹿苑大道"),
    ("鄠邑区", UnitKind.DISTRICT, "曹阳", "029-84811011", "西安市鄠邑区人民路"),
    ("蓝田县", UnitKind.DISTRICT, "许峰", "029-82711012", "西安市蓝田县蓝关街道"),
    ("周至县", UnitKind.DISTRICT, "邓华", "029-87111013", "西安市周至县二曲街道"),
    # 西咸新区
    ("西咸新区管委会", UnitKind.XIXIAN, "彭辉", "029-33581001", "西咸新区沣东新城"),
    ("西咸新区沣西新城管委会", UnitKind.XIXIAN, "蒋琳", "029-33681002", "西咸新区沣西新城康定路"),
    # 开发区
    ("西安高新技术产业开发区", UnitKind.DEV_ZONE, "沈涛", "029-88311001", "西安市高新区锦业路"),
    ("西安经济技术开发区", UnitKind.DEV_ZONE, "韦芳", "029-86511002", "西安市经开区凤城八路"),
    ("曲江新区", UnitKind.DEV_ZONE, "秦岭", "029-85511003", "西安市曲江新区芙蓉西路"),
    ("浐灞生态区", UnitKind.DEV_ZONE, "杜鹃", "029-83591004", "西安市浐灞生态区浐灞大道"),
    ("西安国际港务区", UnitKind.DEV_ZONE, "范宇", "029-83591005", "西安国际港务区港务大道"),
    ("西安航天基地", UnitKind.DEV_ZONE, "侯明", "029-85681006", "西安航天基地航天中路"),
    ("西安航空基地", UnitKind.DEV_ZONE, "袁媛", "029-86851007", "西安航空基地蓝天路"),
]

# username, unit name, display name
UNIT_ACCOUNTS = [
    ("yanta", "雁塔区", "雁塔区信用办"),
    ("fengxi", "西咸新区沣西新城管委会", "沣西新城信用办"),
    ("gaoxin", "西安高新技术产业开发区", "高新区信用办"),
    ("scjgj", "西安市市场监督管理局", "市市场监管局信用科"),
    ("fgw", "西安市发展和改革委员会", "市发改委信用处"),
    ("beilin", "碑林区", "碑林区信用办"),
]

# username, display name, title, affiliation, conflict unit (or None)
EXPERTS = [
    ("expert1", "张建国", "教授", "西北大学经济管理学院", None),
    ("expert2", "李文华", "研究员", "陕西省社会科学院", None),
    ("expert3", "王志刚", "副主任", "西安市社会信用体系建设领导小组办公室", None),
    ("expert4", "刘晓燕", "高级经济师", "雁塔区发展和改革局", "雁塔区"),
]

ORGANIZER = ("admin", "市信用办管理员")


def seed(ctx: dict) -> None:
    from contest.demo import DEMO_PASSWORD

    now = ctx["now"]
    units = {}
    for name, kind, contact, phone, address in UNITS:
        unit = Unit(name=name, kind=kind, contact_name=contact, contact_phone=phone, address=address,
                    email="", created_at=now)
        db.session.add(unit)
        units[name] = unit
    db.session.flush()
    organizer = create_user(username=ORGANIZER[0], password=DEMO_PASSWORD, role=Role.ORGANIZER,
                            display_name=ORGANIZER[1], actor=None, now=now)
    unit_users = {}
    for username, unit_name, display in UNIT_ACCOUNTS:
        unit_users[username] = create_user(username=username, password=DEMO_PASSWORD, role=Role.UNIT,
                                           unit=units[unit_name], display_name=display, actor=organizer, now=now,
                                           phone=units[unit_name].contact_phone)
    experts = []
    for username, name, title, affiliation, conflict in EXPERTS:
        experts.append(create_user(username=username, password=DEMO_PASSWORD, role=Role.EXPERT,
                                   display_name=name, title=title, affiliation=affiliation,
                                   conflict_unit=units.get(conflict) if conflict else None,
                                   actor=organizer, now=now))
    past = create_notice_2024_contest(actor=organizer, now=now)
    current = create_contest(
        title=f"{to_beijing(now).year}年度西安市社会信用体系建设典型案例及优秀短视频征集活动（演示）",
        schedule=demo_schedule(now), actor=organizer, now=now,
        doc_number="演示活动", notice_text=NOTICE_2024_TEXT,
        organizer_name="西安市社会信用体系建设领导小组办公室",
        contact_name="郭方泽", contact_phone="15619369561", contact_email="xiancredit@163.com",
    )
    ctx.update(units=units, organizer=organizer, unit_users=unit_users, experts=experts,
               past_contest=past, contest=current)


def demo_schedule(now):
    """Windows relative to today (Beijing midnight boundaries) so that every phase has something to show:
    submission and screening are still open, voting and review are running, publication follows."""
    today = to_beijing(now).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)

    def day(offset: int):
        return from_beijing(today + timedelta(days=offset))

    return {
        Phase.SUBMISSION: (day(-30), day(8)),
        Phase.SCREENING: (day(-20), day(10)),
        Phase.VOTING: (day(-7), day(15)),
        Phase.REVIEW: (day(-7), day(22)),
        Phase.PUBLICATION: (day(23), day(90)),
    }


def demo_account_rows() -> list[tuple[str, str, str]]:
    rows = [("组织方", ORGANIZER[0], ORGANIZER[1])]
    rows += [("申报单位", u, f"{unit}") for u, unit, _ in UNIT_ACCOUNTS]
    rows += [("评审专家", u, f"{name} {affiliation}") for u, name, _, affiliation, _ in EXPERTS]
    return rows
