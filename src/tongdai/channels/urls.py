from django.urls import path

from tongdai.channels import views

urlpatterns = [
    path("hooks/zalo", views.zalo_hook, name="hook_zalo"),
    path("hooks/messenger", views.messenger_hook, name="hook_messenger"),
]
