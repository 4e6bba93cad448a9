from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "tongdai.documents"
    label = "documents"
    verbose_name = "Documents"
