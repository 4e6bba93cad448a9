from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "tongdai.channels"
    label = "channels"
    verbose_name = "Channels"
