"""Every speaker backend against a real server speaking its protocol, and every way a speaker fails."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr, TypeAdapter, ValidationError

from alerts.speakers import Shout, SpeakerError, make_speaker
from alerts.speakers.audio import g711_to_pcm, speak_to_wav, wav_to_g711
from alerts.speakers.hikvision import HikvisionSpeaker
from config import DEFAULT_MESSAGES, HikvisionSpeakerConfig, SpeakerConfig
from tests.alerts.camera_server import CameraServer, WebhookServer

SPEAKER = TypeAdapter(SpeakerConfig)


@pytest.fixture(scope="module")
def wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak_to_wav(DEFAULT_MESSAGES["littering"], "sit/cmn-latn-pinyin", tmp_path_factory.mktemp("tts"))


@pytest.fixture
def camera() -> Iterator[CameraServer]:
    server = CameraServer()
    yield server
    server.close()


def _shout(wav: Path) -> Shout:
    return Shout("cam1-littering-000012000-3", "cam1", "littering", DEFAULT_MESSAGES["littering"], wav)


def _speaker(**cfg: Any) -> Any:
    return make_speaker(SPEAKER.validate_python(cfg))


def test_tts_renders_mandarin_offline_and_converts_to_g711(wav: Path) -> None:
    mu, a = wav_to_g711(wav, "mulaw"), wav_to_g711(wav, "alaw")
    assert len(mu) == len(a) > 8000, "at least a second of 8 kHz audio"
    assert mu != a
    pcm = g711_to_pcm(mu, "mulaw")
    assert np.abs(pcm.astype(np.int32)).max() > 3000, "speech, not silence"


def test_hikvision_audio_alarm_plays_the_stored_clip(camera: CameraServer, wav: Path) -> None:
    s = _speaker(type="hikvision_isapi", url=camera.url, username="admin", password="12345abc", audio_id=3)
    assert s.shout(_shout(wav)) == "audio alarm clip 3 played"
    (req,) = camera.received
    assert (req.method, req.path, req.query) == ("PUT", "/ISAPI/Event/triggers/notifications/AudioAlarm/3/test",
                                                  {"format": "json"})  # fmt: skip
    assert camera.unauthorized >= 1, "digest auth: the first request is challenged"


def test_hikvision_audio_alarm_plays_each_message_its_own_stored_clip(camera: CameraServer, wav: Path) -> None:
    """The on-the-spot warning and the confirmed event say different things: each its own clip (audio_ids),
    other messages the default clip (audio_id)."""
    s = _speaker(type="hikvision_isapi", url=camera.url, password="12345abc", audio_id=3,
                 audio_ids={"littering_warning": 5, "overflow": 7})  # fmt: skip
    warning = Shout("cam1-littering-000012000-3", "cam1", "littering", DEFAULT_MESSAGES["littering_warning"], wav,
                    warning=True)  # fmt: skip
    assert s.shout(warning) == "audio alarm clip 5 played"
    assert s.shout(_shout(wav)) == "audio alarm clip 3 played"
    assert [r.path.split("/")[-2] for r in camera.received] == ["5", "3"]


@pytest.mark.parametrize(
    ("audio_ids", "message"),
    [({"littering_warn": 2}, "unknown message littering_warn: expected one of"),
     ({"littering": 0}, r"audio_ids\.littering\n  Input should be greater than 0")],
)  # fmt: skip
def test_hikvision_clips_of_unknown_messages_are_refused(audio_ids: dict[str, int], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SPEAKER.validate_python({"type": "hikvision_isapi", "url": "http://10.0.3.12", "audio_ids": audio_ids})


def test_hikvision_stored_clips_in_two_way_mode_are_refused() -> None:
    """Two-way audio speaks each message: stored clips given with it would be silently ignored."""
    with pytest.raises(ValidationError, match=r"stored clips \(audio_id, audio_ids\) are for mode audio_alarm"):
        SPEAKER.validate_python({"type": "hikvision_isapi", "url": "http://10.0.3.12", "mode": "two_way",
                                 "audio_id": 2, "audio_ids": {"littering": 3}})  # fmt: skip
    SPEAKER.validate_python({"type": "hikvision_isapi", "url": "http://10.0.3.12", "mode": "two_way"})


def test_hikvision_two_way_streams_mulaw_in_a_session(camera: CameraServer, wav: Path) -> None:
    cfg = HikvisionSpeakerConfig(type="hikvision_isapi", url=camera.url, password=SecretStr("12345abc"), mode="two_way")
    result = HikvisionSpeaker(cfg, pace=False).shout(_shout(wav))
    paths = [(r.method, r.path.rsplit("/", 1)[-1], r.query.get("sessionId")) for r in camera.received]
    assert paths == [("PUT", "open", None), ("PUT", "audioData", "s42"), ("PUT", "close", "s42")]
    sent = camera.received[1].body
    assert sent == wav_to_g711(wav, "mulaw"), "the device received the message as 8 kHz G.711 µ-law"
    assert "G.711 µ-law" in result


def test_dahua_posts_alaw_audio(camera: CameraServer, wav: Path) -> None:
    s = _speaker(type="dahua_cgi", url=camera.url, password="12345abc", channel=2)
    s.shout(_shout(wav))
    (req,) = camera.received
    assert (req.method, req.path) == ("POST", "/cgi-bin/audio.cgi")
    assert req.query == {"action": "postAudio", "httptype": "singlepart", "channel": "2"}
    assert req.content_type == "Audio/G.711A"
    assert req.body == wav_to_g711(wav, "alaw")


def test_dahua_siren_switches_on_then_off(camera: CameraServer, wav: Path) -> None:
    s = _speaker(type="dahua_cgi", url=camera.url, password="12345abc", mode="siren", siren_s=0.1)
    s.shout(_shout(wav))
    assert [(r.path, r.query["info[0].Type"], r.query["info[0].IO"]) for r in camera.received] == [
        ("/cgi-bin/coaxialControlIO.cgi", "2", "1"), ("/cgi-bin/coaxialControlIO.cgi", "2", "2"),
    ]  # fmt: skip


def test_webhook_posts_the_event_as_json(wav: Path) -> None:
    hook = WebhookServer()
    try:
        _speaker(type="http_webhook", url=hook.url, headers={"X-Token": "t0k"}).shout(_shout(wav))
        (got,) = hook.received
        assert got["json"]["event_id"] == "cam1-littering-000012000-3" and got["json"]["text"].startswith("您好")
        assert got["headers"]["X-Token"] == "t0k"
        hook.status = 503
        with pytest.raises(SpeakerError, match="HTTP 503"):
            _speaker(type="http_webhook", url=hook.url).shout(_shout(wav))
    finally:
        hook.close()


class _MqttDevice:
    """A speaker on the real Mosquitto broker: acknowledges each shout command on the ack topic."""

    def __init__(self, topic: str, ack: str, answer: bool = True) -> None:
        self.commands: list[dict[str, Any]] = []
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)

        def on_message(c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
            cmd = json.loads(msg.payload)
            self.commands.append(cmd)
            if answer:
                c.publish(ack, json.dumps({"request_id": cmd["request_id"], "ok": True}), qos=1)

        self.client.on_message = on_message
        self.client.on_subscribe = lambda *_a: ready.set()
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        assert ready.wait(5), "Mosquitto on 127.0.0.1:1883 did not confirm the subscription"

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_mqtt_publishes_and_waits_for_the_acknowledgement(wav: Path) -> None:
    topic, ack = f"binwatch-test/{uuid.uuid4().hex}/shout", f"binwatch-test/{uuid.uuid4().hex}/ack"
    device = _MqttDevice(topic, ack)
    try:
        result = _speaker(type="mqtt", topic=topic, ack_topic=ack, timeout_s=5).shout(_shout(wav))
        assert result == f"acknowledged on {ack}"
        (cmd,) = device.commands
        assert cmd["action"] == "shout" and cmd["kind"] == "littering"
    finally:
        device.close()


def test_mqtt_without_acknowledgement_times_out(wav: Path) -> None:
    topic, ack = f"binwatch-test/{uuid.uuid4().hex}/shout", f"binwatch-test/{uuid.uuid4().hex}/ack"
    device = _MqttDevice(topic, ack, answer=False)
    try:
        with pytest.raises(SpeakerError, match="no acknowledgement"):
            _speaker(type="mqtt", topic=topic, ack_topic=ack, timeout_s=0.5).shout(_shout(wav))
        assert len(device.commands) == 1
    finally:
        device.close()


def test_local_speaker_plays_through_its_command(tmp_path: Path, wav: Path) -> None:
    played = tmp_path / "played.wav"
    _speaker(type="local", command=["cp", "{wav}", str(played)]).shout(_shout(wav))
    assert played.read_bytes() == wav.read_bytes()
    with pytest.raises(SpeakerError, match="exited 1"):
        _speaker(type="local", command=["false"]).shout(_shout(wav))
    with pytest.raises(SpeakerError, match="not found"):
        _speaker(type="local", command=["no-such-player-binwatch", "{wav}"]).shout(_shout(wav))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("setup", "cfg", "message"),
    [
        ("ok", {"password": "wrong"}, "HTTP 401: wrong user name or password"),
        ("missing", {"password": "12345abc"}, "HTTP 404: the device does not have this endpoint"),
        ("slow", {"password": "12345abc", "timeout_s": 0.5}, "ReadTimeout"),
        ("down", {"password": "12345abc"}, "ConnectError"),
    ],
)
def test_failing_speakers_raise_clear_errors(
    camera: CameraServer, wav: Path, setup: str, cfg: dict[str, Any], message: str
) -> None:
    camera.behaviour, camera.delay_s = setup, 6.0  # slower than any timeout, audio length included
    url = f"http://127.0.0.1:{_free_port()}" if setup == "down" else camera.url
    for vendor in ("hikvision_isapi", "dahua_cgi"):
        with pytest.raises(SpeakerError, match=message):
            _speaker(type=vendor, url=url, **cfg).shout(_shout(wav))
    if setup != "slow":  # a slow device does act, too late
        assert camera.received == []
