from django.urls import path

from tongdai.referrals import views

urlpatterns = [
    path("agencies/", views.agency_directory, name="agency_directory"),
    path("cases/<int:pk>/referrals/", views.case_referrals, name="case_referrals"),
    path("cases/<int:pk>/referrals/<int:rid>/<slug:action>/", views.case_referral_action,
         name="case_referral_action"),
    path("portal/", views.portal_inbox, name="portal_inbox"),
    path("portal/referrals/<int:pk>/", views.portal_referral, name="portal_referral"),
    path("portal/referrals/<int:pk>/files/", views.portal_referral_upload,
         name="portal_referral_upload"),
    path("portal/referrals/<int:pk>/<slug:action>/", views.portal_referral_action,
         name="portal_referral_action"),
]
