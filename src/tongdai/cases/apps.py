from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tongdai.cases"
    label = "cases"
