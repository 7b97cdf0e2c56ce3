"""The cart pages, in place of Oscar's basket pages (which render thumbnails through sorl and a
quantity field, neither of which a service has)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from oscar.core.loading import get_model

from marketplace.core.views import flash_service_errors
from providers import selectors as provider_selectors
from providers.listings import listing_info

from . import basket

Product = get_model("catalogue", "Product")


class BasketView(TemplateView):
    template_name = "hiring/basket.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = list(self.request.basket.all_lines()) if self.request.basket.id else []
        products = {
            product.pk: product
            for product in provider_selectors.with_listing_data(
                provider_selectors.all_listings().filter(pk__in=[line.product_id for line in lines])
            )
        }
        rows = []
        for line in lines:
            product = products.get(line.product_id)
            rows.append(
                {
                    "line": line,
                    "product": product or line.product,
                    "listing": listing_info(product) if product else None,
                    "available": line.purchase_info.availability.is_available_to_buy,
                    "price": line.unit_price_incl_tax,
                }
            )
        total = sum((row["price"] for row in rows if row["available"] and row["price"] is not None), 0)
        context.update(rows=rows, total=total, can_checkout=bool(rows) and all(row["available"] for row in rows))
        return context


class BasketAddView(View):
    """Add a listing once. ``next=checkout`` ("Hire directly") goes on to the checkout; otherwise back."""

    def post(self, request, pk):
        product = Product.objects.filter(pk=pk).first()
        if product is None:
            raise Http404("No such listing")
        try:
            added = basket.basket_add(basket=request.basket, product=product)
        except ValidationError as error:
            flash_service_errors(request, error)
            return redirect(product.get_absolute_url())
        if request.POST.get("next") == "checkout":
            return redirect("direct-checkout")
        if added:
            messages.success(request, _("“%(title)s” is in your cart.") % {"title": product.get_title()})
        else:
            messages.info(request, _("“%(title)s” is already in your cart.") % {"title": product.get_title()})
        back = request.POST.get("back", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("cart")


class BasketRemoveView(View):
    def post(self, request, line_pk):
        if basket.basket_remove(basket=request.basket, line_id=line_pk):
            messages.success(request, _("Removed from your cart."))
        return redirect("cart")


class StockBasketGone(View):
    """Oscar's saved-for-later and voucher pages: OneWindow has neither."""

    def dispatch(self, request, *args, **kwargs):
        return redirect("cart")
