"""Language of the web UI: Vietnamese unless the user chose English."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class LanguageMiddleware(LocaleMiddleware):
    """Like Django's ``LocaleMiddleware`` but ignores the browser's Accept-Language for pages.

    Office PCs at the centres often run an English browser; the hotline works in
    Vietnamese, so the UI starts in Vietnamese and switches only when the user picks a
    language (the ``set_language`` cookie). The JSON API keeps Django's negotiation so
    machine clients can ask for English messages.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
