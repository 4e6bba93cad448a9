from django.apps import AppConfig


class TraffickingConfig(AppConfig):
    name = "tongdai.trafficking"
    label = "trafficking"
    verbose_name = "Trafficking workflow (Law 53/2024/QH15)"
