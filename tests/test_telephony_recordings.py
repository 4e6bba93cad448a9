"""Call recordings (issue 4): attached to the call and its contact, played back only by
RECORDING_PLAY holders within reach, streamed by tongdai from the PBX (a local share or
the PBX's HTTP server, a real local server here), each playback audited, deleted after
the retention period."""

from __future__ import annotations

import base64
import datetime
import http.server
import threading

import pytest
from django.utils import timezone

from tongdai.audit.models import AuditEvent
from tongdai.telephony import tasks
from tongdai.telephony.adapters import CallUpdate
from tongdai.telephony.models import Recording
from tongdai.telephony.services import call_apply

pytestmark = pytest.mark.django_db

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
AUDIO = b"RIFF" + b"\x24\x00\x00\x00WAVEfmt " + bytes(range(256)) * 300


@pytest.fixture
def rec_dir(tmp_path, settings):
    directory = tmp_path / "recordings"
    directory.mkdir()
    settings.TONGDAI_RECORDINGS_DIR = str(directory)
    settings.TONGDAI_RECORDINGS_BASE_URL = ""
    settings.TONGDAI_RECORDING_RETENTION_DAYS = 365
    return directory


def recorded_call(people, reference, call_id="r-1", province=""):
    people.hn.extension = "101"
    people.hn.save(update_fields=["extension"])
    at = timezone.now() - datetime.timedelta(minutes=5)
    call_apply("generic", CallUpdate(call_id, "ringing", at, caller="0912345678",
                                     dialled="111", province=province))
    call = call_apply("generic", CallUpdate(call_id, "answered", at + datetime.timedelta(seconds=10),
                                            agent="101"))
    call_apply("generic", CallUpdate(call_id, "ended", at + datetime.timedelta(seconds=70)))
    call_apply("generic", CallUpdate(call_id, "recording", at + datetime.timedelta(seconds=71),
                                     recording_url=reference, recording_duration=60))
    call.refresh_from_db()
    return call


def play(client, user, call):
    client.force_login(user)
    response = client.get(f"/calls/{call.pk}/recording")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_supervisor_plays_local_recording_and_it_is_audited(client, people, rec_dir):
    (rec_dir / "2026" ).mkdir()
    (rec_dir / "2026" / "r-1.wav").write_bytes(AUDIO)
    call = recorded_call(people, "2026/r-1.wav")
    response, body = play(client, people.hn_super, call)
    assert response.status_code == 200 and body == AUDIO
    assert response["Content-Type"] == "audio/x-wav" or response["Content-Type"].startswith("audio/")
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="view", object_type="contact", object_id=call.contact_id)
    assert event.actor == people.hn_super and event.detail["purpose"] == "recording_play"
    play(client, people.admin, call)
    assert AuditEvent.objects.filter(action="view", detail__purpose="recording_play").count() == 2


@pytest.mark.parametrize("who", ["hn", "hn_casemgr", "ag_super", "analyst", "police"])
def test_others_get_404_and_the_refusal_is_audited(client, people, rec_dir, who):
    (rec_dir / "r-1.wav").write_bytes(AUDIO)
    call = recorded_call(people, str(rec_dir / "r-1.wav"))
    response, body = play(client, getattr(people, who), call)
    assert response.status_code == 404 and AUDIO not in body
    assert AuditEvent.objects.filter(action="denied", object_type="call", object_id=call.pk).exists()
    assert not AuditEvent.objects.filter(action="view", detail__purpose="recording_play").exists()


def test_ag_supervisor_plays_ag_calls(client, people, rec_dir):
    (rec_dir / "s.wav").write_bytes(AUDIO)
    call = recorded_call(people, "s.wav", province="79")
    assert call.centre_id == "AG"
    assert play(client, people.ag_super, call)[0].status_code == 200
    assert play(client, people.hn_super, call)[0].status_code == 404


def test_anonymous_is_sent_to_login(client, people, rec_dir):
    call = recorded_call(people, "x.wav")
    response = client.get(f"/calls/{call.pk}/recording")
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("reference", ["../secret.wav", "/etc/passwd", "file:///etc/passwd",
                                       "https://evil.example/r.wav"])
def test_references_outside_the_allowed_places_are_not_served(client, people, rec_dir, reference):
    (rec_dir.parent / "secret.wav").write_bytes(AUDIO)
    call = recorded_call(people, reference)
    response, body = play(client, people.hn_super, call)
    assert response.status_code == 502 and AUDIO not in body


class _PBXHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 — http.server's naming
        twilio = "/recordings/2010-04-01/Accounts/" + TWILIO_SID + "/Recordings/RE0123456789abcdef0123456789abcdef"
        if self.path == twilio:
            expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:twilio-token".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.end_headers()
            self.wfile.write(AUDIO)
        elif self.path == "/recordings/moved.mp3":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
        elif self.path == "/recordings/2026/11/r-9.mp3":
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(AUDIO)))
            self.end_headers()
            self.wfile.write(AUDIO)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture
def pbx_http(settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PBXHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/recordings"
    settings.TONGDAI_RECORDINGS_BASE_URL = base
    settings.TONGDAI_RECORDINGS_DIR = ""
    yield base
    server.shutdown()
    thread.join(5)


def test_streams_from_the_pbx_http_server_without_redirect(client, people, pbx_http):
    call = recorded_call(people, pbx_http + "/2026/11/r-9.mp3")
    response, body = play(client, people.hn_super, call)
    assert response.status_code == 200 and body == AUDIO
    assert response["Content-Type"] == "audio/mpeg" and "Location" not in response


def test_pbx_not_delivering_is_502(client, people, pbx_http):
    call = recorded_call(people, pbx_http + "/2026/11/missing.mp3")
    response, _body = play(client, people.hn_super, call)
    assert response.status_code == 502


def test_twilio_recordings_are_fetched_with_the_account_credentials(client, people, pbx_http,
                                                                    settings):
    settings.TONGDAI_TWILIO_AUTH_TOKEN = "twilio-token"
    reference = (pbx_http + "/2010-04-01/Accounts/" + TWILIO_SID
                 + "/Recordings/RE0123456789abcdef0123456789abcdef")
    call = recorded_call(people, reference)
    response, body = play(client, people.hn_super, call)
    assert response.status_code == 200 and body == AUDIO
    settings.TONGDAI_TWILIO_AUTH_TOKEN = "wrong"
    assert play(client, people.hn_super, call)[0].status_code == 502


def test_pbx_redirects_are_not_followed(client, people, pbx_http):
    call = recorded_call(people, pbx_http + "/moved.mp3")
    assert play(client, people.hn_super, call)[0].status_code == 502


def test_prefix_must_end_at_a_path_segment(client, people, pbx_http):
    call = recorded_call(people, pbx_http + "-other/2026/11/r-9.mp3")
    assert play(client, people.hn_super, call)[0].status_code == 502


def test_retention_deletes_expired_recordings(client, people, rec_dir, settings, time_machine):
    settings.TONGDAI_RECORDING_RETENTION_DAYS = 30
    time_machine.move_to("2026-11-01 08:00:00+07:00", tick=False)
    path = rec_dir / "old.wav"
    path.write_bytes(AUDIO)
    call = recorded_call(people, "old.wav")
    recording = Recording.objects.get()
    assert recording.delete_after == timezone.now() + datetime.timedelta(days=30)
    time_machine.move_to("2026-11-30 08:00:00+07:00", tick=False)
    assert tasks.recordings_expire.call_local() == 0 and path.exists()
    time_machine.move_to("2026-12-01 08:00:01+07:00", tick=False)
    assert tasks.recordings_expire.call_local() == 1
    recording.refresh_from_db()
    assert recording.deleted_at is not None and not path.exists()
    assert tasks.recordings_expire.call_local() == 0
    assert play(client, people.hn_super, call)[0].status_code == 404
    assert AuditEvent.objects.filter(object_type="recording", object_id=recording.pk,
                                     fields=["deleted_at"]).exists()


def test_contact_page_shows_play_link_only_to_permitted_roles(client, people, rec_dir):
    (rec_dir / "r.wav").write_bytes(AUDIO)
    call = recorded_call(people, "r.wav")
    link = f'href="/calls/{call.pk}/recording"'
    client.force_login(people.hn_super)
    page = client.get(f"/contacts/{call.contact_id}/").content.decode()
    assert link in page and "Nghe bản ghi âm" in page
    client.force_login(people.hn)
    assert link not in client.get(f"/contacts/{call.contact_id}/").content.decode()
    # Viewing the page is not a playback.
    assert not AuditEvent.objects.filter(detail__purpose="recording_play").exists()
