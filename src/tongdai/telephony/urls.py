from django.urls import path

from tongdai.telephony import views

urlpatterns = [
    path("hooks/calls", views.calls_hook, name="hook_calls"),
    path("hooks/twilio/voice", views.twilio_hook, name="hook_twilio_voice"),
    path("hooks/stringee/event", views.stringee_hook, name="hook_stringee_event"),
    path("calls/<int:pk>/recording", views.recording_play, name="call_recording"),
]
