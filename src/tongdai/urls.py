from django.urls import include, path

from tongdai.api.v1 import api as api_v1
from tongdai.core import views as core_views

# The API and the health check first: they are called most (mobile app, integrations,
# load balancer) and Django tries the patterns in order. No app pattern starts with
# "api/v1/" or is "healthz", so the order changes no match.
urlpatterns = [
    path("api/v1/", api_v1.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("", include("tongdai.contacts.urls")),
    path("", include("tongdai.cases.urls")),
    path("", include("tongdai.referrals.urls")),
    path("", include("tongdai.trafficking.urls")),
    path("", include("tongdai.protection.urls")),
    path("", include("tongdai.deadlines.urls")),
    path("", include("tongdai.notifications.urls")),
    path("", include("tongdai.accounts.urls")),
    path("", include("tongdai.documents.urls")),
    path("", include("tongdai.channels.urls")),
    path("", include("tongdai.webreport.urls")),
    path("", include("tongdai.reports.urls")),
    path("", include("tongdai.telephony.urls")),
    path("", include("tongdai.workspace.urls")),
    path("", include("tongdai.scale.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "tongdai.core.views.bad_request"
handler403 = "tongdai.core.views.forbidden"
handler404 = "tongdai.core.views.not_found"
handler500 = "tongdai.core.views.server_error"
