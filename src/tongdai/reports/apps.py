from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tongdai.reports"
    label = "reports"
