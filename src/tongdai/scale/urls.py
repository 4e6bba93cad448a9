from django.urls import path

from tongdai.scale import views

urlpatterns = [
    path("research/export", views.research_export, name="research_export"),
    path("research/chi", views.chi_download, name="research_chi"),
]
