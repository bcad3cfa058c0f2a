"""An MQTT-driven speaker: publish a shout command (QoS 1) and wait for its acknowledgement."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from alerts.speakers.base import Shout, SpeakerError
from config import MqttSpeakerConfig


class MqttSpeaker:
    backend = "mqtt"

    def __init__(self, cfg: MqttSpeakerConfig) -> None:
        self.cfg = cfg

    def shout(self, shout: Shout) -> str:
        cfg = self.cfg
        request_id = uuid.uuid4().hex
        subscribed, acked = threading.Event(), threading.Event()
        answer: dict[str, Any] = {}

        def on_message(_c: Any, _u: Any, msg: mqtt.MQTTMessage) -> None:
            try:
                body = json.loads(msg.payload)
            except ValueError:
                return
            if isinstance(body, dict) and body.get("request_id") == request_id:
                answer.update(body)
                acked.set()

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"binwatch-{request_id[:8]}")
        if cfg.username:
            client.username_pw_set(cfg.username, cfg.password.get_secret_value() if cfg.password else None)
        client.on_message = on_message
        client.on_subscribe = lambda *_a: subscribed.set()
        where = f"mqtt://{cfg.host}:{cfg.port}"
        try:
            client.connect(cfg.host, cfg.port, keepalive=max(5, int(cfg.timeout_s * 2)))
        except OSError as e:
            raise SpeakerError(f"{self.backend} {where}: cannot connect to the broker: {e}") from e
        client.loop_start()
        try:
            client.subscribe(cfg.ack_topic, qos=1)
            if not subscribed.wait(cfg.timeout_s):
                raise SpeakerError(
                    f"{self.backend} {where}: the broker did not confirm the subscription to {cfg.ack_topic}"
                )
            command = {**shout.payload(), "request_id": request_id, "action": "shout"}
            client.publish(cfg.topic, json.dumps(command, ensure_ascii=False), qos=1).wait_for_publish(cfg.timeout_s)
            if not acked.wait(cfg.timeout_s):
                raise SpeakerError(
                    f"{self.backend} {where}: no acknowledgement on {cfg.ack_topic} within {cfg.timeout_s:g} s "
                    f"(request {request_id})"
                )
        finally:
            client.loop_stop()
            client.disconnect()
        if answer.get("ok") is False:
            raise SpeakerError(f"{self.backend} {where}: the speaker refused: {answer.get('error', answer)}")
        return f"acknowledged on {cfg.ack_topic}"
