from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tongdai.core"
    label = "core"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tongdai.core import refcache

        for model in refcache.cached_models():
            post_save.connect(refcache.clear, sender=model, dispatch_uid=f"refcache-save-{model.__name__}")
            post_delete.connect(refcache.clear, sender=model, dispatch_uid=f"refcache-delete-{model.__name__}")
