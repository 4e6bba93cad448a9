from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "tongdai.deadlines"
    label = "deadlines"
