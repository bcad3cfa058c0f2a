"""The config tree: loading, every error named by YAML path and line, secrets never printed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config import DEFAULT_MESSAGES, ConfigError, Schedule, load_camera_config, load_city_config
from tests.conftest import binwatch

REPO = Path(__file__).resolve().parent.parent

BAD = """\
city: test
communities:
  - id: c01
    schedule:
      windows: [{start: "09:00", end: "07:00"}]
    points:
      - id: p1
        cameras:
          - id: Cam_1
            source: rtsp://admin:secret123@10.1.2.3/stream
            analysis_fps: 100
            colour: red
"""


def test_example_city_has_61_communities() -> None:
    city = load_city_config(REPO / "config" / "example-city.yaml")
    assert len(city.communities) == 61
    assert all(city.schedule_for(c, cam) is not None for c, _, cam in city.cameras())


def test_every_error_is_reported_with_path_and_line_and_no_secret(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(BAD)
    run = binwatch("check-config", str(f))
    assert run.returncode == 1
    err = run.stderr
    assert "4 errors" in err
    assert "communities[0].schedule.windows[0] (line 5)" in err
    assert "communities[0].points[0].cameras[0].id (line 9)" in err
    assert "communities[0].points[0].cameras[0].analysis_fps (line 11)" in err
    assert "communities[0].points[0].cameras[0].colour (line 12)" in err
    assert "secret123" not in err + run.stdout


def test_duplicate_camera_ids_are_rejected(tmp_path: Path) -> None:
    cam = "{id: cam1, source: a.mp4}"
    f = tmp_path / "dupe.yaml"
    f.write_text(f"communities:\n  - id: c1\n    points:\n      - id: p1\n        cameras: [{cam}, {cam}]\n")
    with pytest.raises(ConfigError, match="camera ids must be unique; repeated: cam1"):
        load_city_config(f)


@pytest.mark.parametrize(
    ("text", "message"),
    [("communities: [", "not valid YAML"), ("- a\n- b\n", "expected a mapping")],
)
def test_unreadable_config_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_city_config(f)
    with pytest.raises(ConfigError, match="cannot read"):
        load_city_config(tmp_path / "missing.yaml")


def test_run_with_a_broken_config_says_so_before_serving(tmp_path: Path) -> None:
    """The monitoring center reads its config (and opens its records) before it starts serving."""
    f = tmp_path / "city.yaml"
    f.write_text("communities: [")
    run = binwatch("run", "--config", str(f), "--data", str(tmp_path / "data"), "--port", "0")
    assert run.returncode == 2, run.stderr[-2000:]
    assert "not valid YAML" in run.stderr and "Traceback" not in run.stderr and "open http" not in run.stdout


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('source: "rtsp://admin:hunter2-pw@10.0.0.1/ch1', "while scanning a quoted scalar (line 2, column 9); "
         "found unexpected end of stream at line 3, column 1"),
        ("speaker: {type: dahua_cgi, url: 'http://h', password: *hunter2-pw}", "found undefined alias"),
        ("source: !hunter2-pw x.mp4", "could not determine a constructor for the tag '***' at line 2, column 9"),
    ],
)  # fmt: skip
def test_a_yaml_error_gives_its_position_not_the_line(tmp_path: Path, line: str, problem: str) -> None:
    """The offending line may hold a password, and a file that does not parse cannot say which values are secret."""
    f = tmp_path / "cam.yaml"
    f.write_text(f"id: c1\n{line}\n")
    with pytest.raises(ConfigError, match="not valid YAML") as err:
        load_camera_config(f)
    assert problem in str(err.value) and "hunter2" not in str(err.value)


def test_a_source_that_is_not_a_url_is_refused_without_quoting_it(tmp_path: Path) -> None:
    f = tmp_path / "cam.yaml"
    f.write_text(
        'id: c1\nsource: rtsp://admin:hunter2-pw@10.0.0.1/ch1\nsub_source: "rtsp://admin:hunter2-pw@[fe80::1/ch2"\n'
    )
    with pytest.raises(ConfigError, match=r"sub_source \(line 3\): Value error, not a valid URL") as err:
        load_camera_config(f)
    assert "hunter2" not in str(err.value)


@pytest.mark.parametrize(
    ("field", "url", "error"),
    [
        ("source", "rtsp://admin:pw-canary@10.0.0.5:99999/ch1", "the port in rtsp://10.0.0.5:99999 must be a number"),
        ("source", "rtsp://10.0.0.5:0/ch1", "the port in rtsp://10.0.0.5:0 must be a number within 1..65535"),
        ("source", "rtsp://10.0.0.5:65536/ch1", "the port in rtsp://10.0.0.5:65536 must be"),
        ("sub_source", "rtsp://10.0.0.5:5x4/ch2", "the port in rtsp://10.0.0.5:5x4 must be a number"),
        ("source", "rtsp:///Streaming/Channels/101", "rtsp:// names no host"),
        ("speaker", "{type: http_webhook, url: 'http://gw.example:700000/hook'}", "port in http://gw.example:700000"),
        ("speaker", "{type: hikvision_isapi, url: 'http://user:pw-canary@:80'}", "http:// names no host"),
        ("source", "rtsp://10.0.0.5:554/ch1", None),
        ("source", "rtsp://admin:pw@10.0.0.5:65535/ch1", None),
        ("source", "rtsp://10.0.0.5/ch1", None),
        ("source", "file:///srv/clips/a.mp4", None),
        ("source", "clips/a:b.mp4", None),
        ("source", "/dev/video0", None),
        ("speaker", "{type: dahua_cgi, url: 'http://10.0.3.12:8080'}", None),
    ],
)
def test_network_addresses_need_a_host_and_a_port_within_range(
    tmp_path: Path, field: str, url: str, error: str | None
) -> None:
    """A camera or speaker address with a port out of 1..65535, a port that is not a number, or no host is
    refused, named by field and line, credentials left out; anything else still loads."""
    f = tmp_path / "cam.yaml"
    source = "" if field == "source" else "source: rtsp://10.0.0.9/ch1\n"
    f.write_text(f"id: cam1\n{source}{field}: {url}\n")
    if error is None:
        load_camera_config(f)
        return
    with pytest.raises(ConfigError) as caught:
        load_camera_config(f)
    assert error in str(caught.value) and "(line " in str(caught.value), caught.value
    assert "pw-canary" not in str(caught.value)


def test_a_large_city_config_is_read_once_and_its_errors_still_have_lines(tmp_path: Path) -> None:
    """A 1 MB city config (15x the example city) validates whole, and an error at its end is named with its
    line: the file is parsed once, and its node tree (for line numbers) built only for an error. Its time is
    measured by `bench/check_config.py`."""
    from bench.check_config import large_city_yaml

    text = large_city_yaml(1_000_000)
    f = tmp_path / "city.yaml"
    f.write_text(text)
    run = binwatch("check-config", str(f), check=True)
    communities = text.count("\n- id: ")
    assert f"OK: {communities} communities" in run.stdout and communities > 800
    cameras = sum(1 for line in text.splitlines() if line.strip().startswith("source: "))
    assert f"{cameras} cameras" in run.stdout
    bad = "- id: zz\n  points:\n  - id: zz-p\n    cameras:\n    - {id: zz-cam, source: 'rtsp://10.0.0.5:99999/'}\n"
    f.write_text(text + bad)
    run = binwatch("check-config", str(f))
    line = (text + bad).count("\n")
    assert run.returncode == 1 and f"(line {line}): Value error, the port in" in run.stderr, run.stderr[-500:]


def test_schedule_windows_and_exception_dates() -> None:
    s = Schedule.model_validate(
        {
            "windows": [{"start": "07:00", "end": "09:00"}, {"start": "18:00", "end": "20:00"}],
            "exceptions": [{"date": "2026-10-01", "windows": [], "note": "National Day: no collection"}],
        }
    )
    cst = dt.timezone(dt.timedelta(hours=8))
    assert s.is_open(dt.datetime(2026, 9, 30, 7, 30, tzinfo=cst))
    assert not s.is_open(dt.datetime(2026, 9, 30, 9, 0, tzinfo=cst))
    assert not s.is_open(dt.datetime(2026, 10, 1, 7, 30, tzinfo=cst))
    assert s.is_open(dt.datetime(2026, 9, 30, 10, 30, tzinfo=dt.UTC))  # 18:30 local
    with pytest.raises(ValueError, match="aware"):
        s.is_open(dt.datetime(2026, 9, 30, 7, 30))


def test_decoder_threads_reach_the_camera_source(tmp_path: Path) -> None:
    """A camera's `decoder_threads` is what its source decodes with; out of range it is a config error."""
    from runtime.center import camera_source

    f = tmp_path / "city.yaml"
    cams = "[{id: big, source: rtsp://10.0.0.9/main, decoder_threads: 4}, {id: small, source: a.mp4}]"
    f.write_text(f"communities:\n  - id: c1\n    points:\n      - id: p1\n        cameras: {cams}\n")
    sources = {cam.id: camera_source(cam, demo=False) for _, _, cam in load_city_config(f).cameras()}
    assert (sources["big"].decoder_threads, sources["small"].decoder_threads) == (4, 1)
    assert (sources["big"].loop, sources["small"].loop) == (False, True)
    for wrong in ["-1", "true", "17"]:
        f.write_text(f"communities:\n  - id: c1\n    points:\n      - id: p1\n        cameras: {cams}\n")
        f.write_text(f.read_text().replace("decoder_threads: 4", f"decoder_threads: {wrong}"))
        with pytest.raises(ConfigError, match=r"cameras\[0\]\.decoder_threads"):
            load_city_config(f)


def _city(tmp_path: Path, extra: str = "", rules: str = "") -> Path:
    f = tmp_path / "city.yaml"
    cam = f"{{id: cam1, source: a.mp4{', rules: ' + rules if rules else ''}}}"
    f.write_text(f"{extra}communities:\n  - id: c1\n    points:\n      - id: p1\n        cameras: [{cam}]\n")
    return f


def test_messages_given_replace_their_default_and_keep_the_others(tmp_path: Path) -> None:
    city = load_city_config(_city(tmp_path, 'alerts:\n  messages: {littering_warning: "请把垃圾捡起来"}\n'))
    assert city.alerts.messages["littering_warning"] == "请把垃圾捡起来"
    assert city.alerts.messages["littering"] == DEFAULT_MESSAGES["littering"]


@pytest.mark.parametrize(
    ("extra", "rules", "error"),
    [
        ("alerts:\n  messages: {litering: hi}\n", "", r"alerts\.messages.*unknown message litering: expected one of"),
        ("alerts:\n  messages: {overflow: ' '}\n", "", r"alerts\.messages.*empty message for overflow"),
        ("alerts:\n  recordings: {warning: a.wav}\n", "", r"alerts\.recordings.*unknown message warning"),
        ("", "{warn_after_s: 0.1}", r"cameras\[0\]\.rules\.warn_after_s.*greater than or equal to 0\.5"),
        ("", "{early_s: 0.1}", r"cameras\[0\]\.rules\.early_s.*greater than or equal to 0\.2"),
        ("", "{early_s: 5}", r"cameras\[0\]\.rules\.early_s.*less than or equal to 3"),
    ],
)
def test_wrong_messages_and_warning_delays_are_named(tmp_path: Path, extra: str, rules: str, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        load_city_config(_city(tmp_path, extra, rules))


def test_warnings_can_be_turned_off_per_camera(tmp_path: Path) -> None:
    (_, _, cam), *_ = load_city_config(_city(tmp_path, rules="{warn_after_s: null}")).cameras()
    assert cam.rules.warn_after_s is None
