from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "tongdai.contacts"
    label = "contacts"
