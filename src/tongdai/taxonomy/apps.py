from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "tongdai.taxonomy"
    label = "taxonomy"
