from django.urls import path

from tongdai.cases import views

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/open", views.case_open_view, name="case_open"),
    path("cases/link", views.case_link_view, name="case_link_contact"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/notes", views.case_note, name="case_note"),
    path("cases/<int:pk>/people", views.case_person, name="case_person_add"),
    path("cases/<int:pk>/manager", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/access", views.case_access, name="case_access"),
    path("cases/<int:pk>/close", views.case_close_view, name="case_close"),
]
