"""The header's cart count, read without loading Oscar's basket.

``request.basket`` would create a basket row for every signed-in visitor and apply offers on every
page; the count needs one query, and none for a visitor without a basket.
"""

from django.conf import settings
from django.core.signing import BadSignature, Signer
from oscar.core.loading import get_model


def _cookie_basket_id(request):
    cookie = request.COOKIES.get(settings.OSCAR_BASKET_COOKIE_OPEN)
    if not cookie:
        return None
    try:
        return Signer().unsign(cookie)
    except BadSignature:
        return None


def cart_count(request) -> int:
    """Services in the visitor's open cart: the signed-in user's, plus those of the cookie cart made
    before signing in (Oscar merges the two, one line per service, when the cart next loads)."""
    if getattr(request, "_basket_cache", None) is not None:  # the page loaded the basket already
        return request.basket.num_lines
    Basket = get_model("basket", "Basket")
    Line = get_model("basket", "Line")
    open_lines = Line.objects.filter(basket__status=Basket.OPEN)
    cookie_id = _cookie_basket_id(request)
    cookie_lines = open_lines.filter(basket_id=cookie_id, basket__owner=None) if cookie_id else Line.objects.none()
    if not request.user.is_authenticated:
        return cookie_lines.count() if cookie_id else 0
    own = open_lines.filter(basket__owner=request.user)
    if cookie_id:
        return own.count() + cookie_lines.exclude(product__in=own.values("product")).count()
    return own.count()


def cart(request) -> dict:
    return {"cart_count": lambda: cart_count(request)}
