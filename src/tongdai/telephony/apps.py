from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "tongdai.telephony"
    label = "telephony"
    verbose_name = "Telephony: PBX call events, screen pop and recordings"
