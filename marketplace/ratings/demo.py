"""Demo ratings for ``load_demo``: the buyers rate the completed history orders (about 200);
each provider has its own level, so ranking by the Bayesian average has something to show."""

import datetime
import random
from decimal import Decimal

from django.db import transaction

from marketplace.hiring.demo import history_orders

from .models import Rating

COMMENTS = (
    ("Thorough report, accepted by the bureau on first submission.", "报告扎实，一次通过主管部门审查。"),
    ("Responsive team; a few days late but kept us informed.", "团队响应及时，虽晚了几天但一直保持沟通。"),
    ("Good value for the price.", "性价比高。"),
    ("Needed two revisions before it was right.", "修改了两次才达到要求。"),
    ("", ""),
)


@transaction.atomic
def load_demo() -> str:
    rng = random.Random(20260103)  # noqa: S311 - deterministic demo data, not security
    ratings = []
    for so in history_orders().filter(rating__isnull=True).select_related("order"):
        n = int(so.order.number.removeprefix("OWDEMO"))
        level = 3 + (so.provider_id % 3)
        stars = [max(1, min(5, level + rng.choice((-1, 0, 0, 1)))) for _ in range(4)]
        comment, comment_zh = COMMENTS[n % len(COMMENTS)]
        ratings.append(
            Rating(
                service_order=so,
                provider_id=so.provider_id,
                product_id=so.product_id,
                author_id=so.buyer_id,
                quality=stars[0],
                timeliness=stars[1],
                communication=stars[2],
                price_fairness=stars[3],
                overall=(Decimal(sum(stars)) / 4).quantize(Decimal("0.01")),
                comment=f"{comment} {comment_zh}".strip(),
                reply="Thank you for the feedback. 感谢您的评价。" if n % 6 == 0 else "",
                replied_at=so.accepted_at + datetime.timedelta(days=1) if n % 6 == 0 else None,
                created_at=so.accepted_at + datetime.timedelta(hours=5),
            )
        )
    Rating.objects.bulk_create(ratings)
    return f"ratings {len(ratings)} created"
