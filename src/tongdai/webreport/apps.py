from django.apps import AppConfig


class WebreportConfig(AppConfig):
    name = "tongdai.webreport"
    label = "webreport"
    verbose_name = "Public web report form and 111 app reports"

    def ready(self):
        # Replies to web and app reports are "delivered" by becoming readable on the
        # return page and through the app API (see ``services.deliver_stored``).
        from tongdai.channels.models import Provider
        from tongdai.channels.outbox import register_sender
        from tongdai.webreport.services import deliver_stored

        register_sender(Provider.WEB, deliver_stored)
        register_sender(Provider.APP, deliver_stored)
