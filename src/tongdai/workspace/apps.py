from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "tongdai.workspace"
    label = "workspace"
    verbose_name = "Counsellor workspace, live queue and presence"
