from django.urls import path

from tongdai.contacts import views

urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new", views.contact_new, name="contact_new"),
    path("contacts/export.csv", views.contact_export, name="contact_export"),
    path("contacts/new/autosave", views.contact_autosave, name="contact_autosave_new"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/autosave", views.contact_autosave, name="contact_autosave"),
    path("ui/caller-history", views.caller_history_partial, name="caller_history"),
    path("ui/geo/provinces/<str:code>/communes", views.geo_communes, name="geo_communes"),
]
