"""Import every model module so that SQLAlchemy and Alembic see all tables. Add new modules here."""


def import_all_models() -> None:
    from contest.core import models as _core  # noqa: F401
    from contest.accounts import models as _accounts  # noqa: F401
    from contest.contests import models as _contests  # noqa: F401
    from contest.media import models as _media  # noqa: F401
    from contest.submissions import models as _submissions  # noqa: F401
    from contest.voting import models as _voting  # noqa: F401
    from contest.review import models as _review  # noqa: F401
    from contest.ranking import models as _ranking  # noqa: F401
