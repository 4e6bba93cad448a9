from django.urls import path

from tongdai.workspace import views

urlpatterns = [
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/queue.json", views.queue_json, name="workspace_queue_json"),
    path("workspace/presence", views.presence_post, name="workspace_presence"),
    path("workspace/conversations/<int:pk>/pick-up", views.pick_up, name="workspace_pick_up"),
    path("workspace/conversations/<int:pk>/transfer", views.transfer, name="workspace_transfer"),
    path("workspace/conversations/<int:pk>/close", views.close, name="workspace_close"),
    path("workspace/conversations/<int:pk>/contact", views.to_contact,
         name="workspace_to_contact"),
    path("workspace/conversations/<int:pk>/reply", views.reply, name="workspace_reply"),
    path("workspace/conversations/<int:pk>/messages.json", views.messages_json,
         name="workspace_messages_json"),
    path("workspace/messages/<int:message_pk>/retry", views.retry, name="workspace_retry"),
    path("workspace/wallboard", views.wallboard_page, name="wallboard"),
    path("workspace/wallboard.json", views.wallboard_data, name="wallboard_json"),
]
