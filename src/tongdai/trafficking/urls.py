from django.urls import path

from tongdai.trafficking import views

P = "cases/<int:pk>/trafficking/"

urlpatterns = [
    path(P, views.case_trafficking, name="case_trafficking"),
    path(P + "reception", views.reception_post, name="case_trafficking_reception"),
    path(P + "verification", views.verification_post, name="case_trafficking_verification"),
    path(P + "verification/<int:item>", views.verification_edit_post,
         name="case_trafficking_verification_edit"),
    path(P + "evidence", views.evidence_post, name="case_trafficking_evidence"),
    path(P + "decision", views.decision_post, name="case_trafficking_decision"),
    path(P + "route", views.route_post, name="case_trafficking_route"),
    path(P + "support", views.support_post, name="case_trafficking_support"),
    path(P + "support/<int:item>", views.support_edit, name="case_trafficking_support_edit"),
    path(P + "shelter", views.shelter_post, name="case_trafficking_shelter"),
    path(P + "shelter/<int:item>/extend", views.shelter_extend_post, name="case_trafficking_shelter_extend"),
    path(P + "shelter/<int:item>/end", views.shelter_end_post, name="case_trafficking_shelter_end"),
    path(P + "reintegration", views.reintegration_post, name="case_trafficking_reintegration"),
    path(P + "followup", views.followup_post, name="case_trafficking_followup"),
    path(P + "close", views.close_post, name="case_trafficking_close"),
]
