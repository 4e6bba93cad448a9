from django.urls import path

from tongdai.reports import views

urlpatterns = [
    path("reports/", views.standard_report, name="report_standard"),
    path("reports/export.<str:fmt>", views.report_export, name="report_export"),
    path("reports/dashboard", views.dashboard, name="report_dashboard"),
]
