from django.urls import path

from tongdai.webreport import views

# Public pages (no login). Vietnamese paths: the address people are told is /bao-cao/.
urlpatterns = [
    path("bao-cao/", views.report_form, name="report_form"),
    path("bao-cao/tra-cuu/", views.report_return, name="report_return"),
    path("bao-cao/cuoc-tro-chuyen/", views.report_thread_view, name="report_thread"),
    path("bao-cao/dang-xuat/", views.report_leave, name="report_leave"),
    path("bao-cao/thoat/", views.report_exit, name="report_exit"),
]
