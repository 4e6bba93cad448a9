from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "tongdai.protection"
    label = "protection"
    verbose_name = "Child protection workflow (Decree 56/2017)"
