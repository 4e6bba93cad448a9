from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "tongdai.geo"
    label = "geo"
    verbose_name = "Geography"
