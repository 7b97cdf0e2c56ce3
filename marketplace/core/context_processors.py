from django.conf import settings


def site(request):
    """What every page's frame needs: the public base URL and the language list for the switcher."""
    return {"PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL}
