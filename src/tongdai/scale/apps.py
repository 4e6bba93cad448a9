from django.apps import AppConfig


class ScaleConfig(AppConfig):
    """National scale: the benchmark data generator, the benchmark, and the research and
    Child Helpline International data exports."""

    name = "tongdai.scale"
    label = "scale"
