from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tongdai.audit"
    label = "audit"
