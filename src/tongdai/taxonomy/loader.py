"""Load the terms of ``taxonomy/data.py`` into the database (called by ``tongdai refdata``).

Terms in the data are created or refreshed and marked active; terms in the database but
no longer in the data are marked inactive, never deleted, because contacts refer to them.
"""

from __future__ import annotations

from django.db import models

from tongdai.core.text import fold
from tongdai.geo.loader import sync_table
from tongdai.taxonomy import data
from tongdai.taxonomy.models import CallerRelation, ContactKind, Topic


def _sync_terms(model: type[models.Model], rows: list[dict]) -> int:
    """Create or refresh ``rows`` and retire the others; returns how many rows were written."""
    result = sync_table(model, rows)
    retired = (model.objects.exclude(code__in=[r["code"] for r in rows]).filter(active=True)
               .update(active=False))
    return result["created"] + result["updated"] + retired


def kind_rows() -> list[dict]:
    return [{"code": code, "group": group, "label_vi": vi, "label_en": en, "active": True, "position": i}
            for i, (code, group, vi, en) in enumerate(data.CONTACT_KINDS)]


def relation_rows() -> list[dict]:
    return [{"code": code, "label_vi": vi, "label_en": en, "active": True, "position": i}
            for i, (code, vi, en) in enumerate(data.CALLER_RELATIONS)]


def topic_rows() -> list[dict]:
    return [{"code": code, "parent_id": parent, "label_vi": vi, "label_en": en, "active": True,
             "position": i, "label_folded": fold(f"{vi} {en}")[:300]}
            for i, (code, parent, vi, en) in enumerate(data.TOPICS)]


def load_taxonomy() -> dict[str, int]:
    """Create, refresh and retire terms; returns the active terms of each kind and rows written."""
    kinds, relations, topics = kind_rows(), relation_rows(), topic_rows()
    written = (_sync_terms(ContactKind, kinds) + _sync_terms(CallerRelation, relations)
               + _sync_terms(Topic, topics))
    return {"contact_kinds": len(kinds), "caller_relations": len(relations), "topics": len(topics),
            "written": written}
