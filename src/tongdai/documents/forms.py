"""The upload form. It only shapes input; ``services.attachment_add`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tongdai.documents.models import AttachmentKind
from tongdai.documents.services import DESCRIPTION_LIMIT


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"), required=False,
                           widget=forms.ClearableFileInput(attrs={
                               "accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=AttachmentKind.choices,
                             initial=AttachmentKind.DOCUMENT)
    description = forms.CharField(label=_("Description"), required=False,
                                  max_length=DESCRIPTION_LIMIT,
                                  widget=forms.Textarea(attrs={"rows": 2}))
