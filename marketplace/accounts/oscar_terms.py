"""Oscar's own strings whose Chinese in Oscar's catalogue is wrong (登陆 for 登录, "log in").

Listed here so ``makemessages`` keeps them in OneWindow's catalogue, which Django reads before
Oscar's (``LOCALE_PATHS``); nothing imports this module.
"""

from django.utils.translation import gettext_noop

OSCAR_TERMS = (
    gettext_noop("Log In"),
    gettext_noop("Login"),
    gettext_noop("Login or register"),
    gettext_noop("Logging in..."),
    gettext_noop("Please login to add products to a wish list."),
)
