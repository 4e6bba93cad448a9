from django.urls import path

from tongdai.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read", views.notification_read, name="notifications_read"),
]
