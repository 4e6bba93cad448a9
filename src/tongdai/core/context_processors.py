from django.conf import settings


def ui(request):
    """Values every page template needs."""
    user = getattr(request, "user", None)
    return {
        "LANGUAGES": settings.LANGUAGES,
        "current_role": getattr(user, "role", None) if user and user.is_authenticated else None,
    }
