"""Template helpers that show case information on other apps' pages."""

from __future__ import annotations

from django import template

from tongdai.accounts.roles import Perm
from tongdai.cases.forms import CaseLinkForm, CaseOpenForm
from tongdai.cases.services import cases_of_contact

register = template.Library()


@register.inclusion_tag("cases/_contact_panel.html", takes_context=True)
def contact_cases(context, contact):
    """On the contact page: the cases within reach that the contact is linked to, and, for
    those who may open cases, the forms to open one or link to an existing one."""
    user = context["request"].user
    if not user.can(Perm.CASE_VIEW) and not user.can(Perm.CASE_OPEN):
        return {"show": False}
    can_open = user.can(Perm.CASE_OPEN) and not contact.is_draft
    return {
        "show": True, "contact": contact, "csrf_token": context.get("csrf_token"),
        "cases": cases_of_contact(user, contact) if user.can(Perm.CASE_VIEW) else [],
        "open_form": CaseOpenForm(initial={"contact": contact.pk}, auto_id="id_case_open_%s") if can_open else None,
        "link_form": CaseLinkForm(initial={"contact": contact.pk}, auto_id="id_case_link_%s") if can_open else None,
    }
