from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tongdai.notifications"
    label = "notifications"
