from django.urls import path

from tongdai.documents import views

urlpatterns = [
    path("cases/<int:pk>/documents/", views.case_documents, name="case_documents"),
    path("cases/<int:pk>/forms/<str:form>.pdf", views.case_form_pdf, name="case_form_pdf"),
    path("documents/<int:pk>/download", views.attachment_download, name="attachment_download"),
    path("documents/<int:pk>/delete", views.attachment_delete_view, name="attachment_delete"),
]
