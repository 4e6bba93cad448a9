from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "tongdai.channels"
    label = "channels"
    verbose_name = "Channels"

    def ready(self):
        # Outbound senders for Zalo and Messenger (tongdai.channels.providers).
        from tongdai.channels.providers import register_all

        register_all()
        # The e-mail channel: inbound processor, outbox sender, periodic mailbox poll.
        from tongdai.channels import email

        email.register()
