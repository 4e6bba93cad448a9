from django.urls import path

from tongdai.protection import views

urlpatterns = [
    path("cases/<int:pk>/protection/", views.case_protection, name="case_protection"),
    path("cases/<int:pk>/protection/first-assessment", views.first_assessment,
         name="protection_first_assessment"),
    path("cases/<int:pk>/protection/needs-assessment", views.needs_assessment,
         name="protection_needs_assessment"),
    path("cases/<int:pk>/protection/plans", views.plan_create, name="protection_plan_create"),
    path("cases/<int:pk>/protection/plans/<int:plan_id>", views.plan_update,
         name="protection_plan_update"),
    path("cases/<int:pk>/protection/plans/<int:plan_id>/items", views.plan_item_add,
         name="protection_plan_item_add"),
    path("cases/<int:pk>/protection/plans/<int:plan_id>/submit", views.plan_submit,
         name="protection_plan_submit"),
    path("cases/<int:pk>/protection/plans/<int:plan_id>/approve", views.plan_approve,
         name="protection_plan_approve"),
    path("cases/<int:pk>/protection/items/<int:item_id>", views.plan_item_update,
         name="protection_plan_item_update"),
    path("cases/<int:pk>/protection/review/start", views.review_start, name="protection_review_start"),
    path("cases/<int:pk>/protection/review", views.review, name="protection_review"),
    path("cases/<int:pk>/protection/send-back", views.send_back, name="protection_send_back"),
    path("portal/referrals/<int:referral_id>/first-assessment", views.portal_first_assessment,
         name="portal_first_assessment"),
]
