from django.urls import path

from tongdai.deadlines import views

urlpatterns = [
    path("deadlines/", views.deadlines_mine, name="deadlines_mine"),
]
