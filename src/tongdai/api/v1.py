"""API v1: the JSON interface for the 111 mobile app, partner agencies and channel
integrations. The contract is documented in docs/api.md and published as OpenAPI at
``/api/v1/openapi.json`` (browsable at ``/api/v1/docs``, served locally, no CDN).

v1 only grows: endpoints, fields and codes may be added, never renamed or removed.
"""

from __future__ import annotations

from ninja import NinjaAPI, Swagger
from ninja.renderers import JSONRenderer

from tongdai.api import app_reports, cases, contacts, conversations, errors, reference
from tongdai.api import referrals as referrals_api
from tongdai.api import reports as reports_api
from tongdai.api.auth import BearerToken


class Utf8JSONRenderer(JSONRenderer):
    """Vietnamese as UTF-8 text ("Hà Nội") rather than ASCII escapes: shorter and readable."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="tongdai API",
    version="1",
    description="Tổng đài 111 — contacts and reference data. See docs/api.md.",
    urls_namespace="api-v1",
    auth=BearerToken(),
    renderer=Utf8JSONRenderer(),
    # validatorUrl: null stops Swagger UI from sending our schema to validator.swagger.io.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
errors.install(api)
api.add_router("/", contacts.router)
api.add_router("/", reference.router)
api.add_router("/", referrals_api.router)
api.add_router("/", cases.router)
api.add_router("/", reports_api.router)
api.add_router("/", conversations.router)
api.add_router("/", app_reports.router)
