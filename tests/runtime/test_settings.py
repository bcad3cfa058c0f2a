"""Runtime settings from the environment: each BINWATCH_* variable reaches its setting, a bad one is named."""

from __future__ import annotations

import datetime as dt

import pytest

from runtime.center import Settings


def test_the_environment_sets_the_api_and_session_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (("BINWATCH_API_THREADS", "6"), ("BINWATCH_DB_WAIT_S", "1.5"), ("BINWATCH_QUEUE_WAIT_S", "20"),
                       ("BINWATCH_SESSION_IDLE_MIN", "15"), ("BINWATCH_EVIDENCE_MIN_FREE_MB", "512")):  # fmt: skip
        monkeypatch.setenv(key, value)
    s = Settings.from_env()
    assert (s.api_threads, s.db_wait_s, s.queue_wait_s, s.session_idle) == (6, 1.5, 20.0, dt.timedelta(minutes=15))
    assert s.evidence_min_free_mb == 512.0
    assert Settings.from_env(api_threads=2).api_threads == 2  # the command line wins


@pytest.mark.parametrize(
    ("key", "value", "error"),
    [
        ("BINWATCH_API_THREADS", "four", "BINWATCH_API_THREADS must be a whole number; got 'four'"),
        ("BINWATCH_API_THREADS", "2.5", "BINWATCH_API_THREADS must be a whole number; got '2.5'"),
        ("BINWATCH_API_THREADS", "0", "api_threads must be 1 to 256; got 0"),
        ("BINWATCH_DB_WAIT_S", "soon", "BINWATCH_DB_WAIT_S must be a number; got 'soon'"),
        ("BINWATCH_QUEUE_WAIT_S", "600", "queue_wait_s must be more than 0 and at most 60 seconds; got 600.0"),
        ("BINWATCH_SESSION_IDLE_MIN", "0.5", "session_idle_min must be 1 to 1440 minutes; got 0.5"),
        ("BINWATCH_EVIDENCE_MIN_FREE_MB", "-1", "evidence_min_free_mb must be 0 to 2**30 MiB; got -1.0"),
        ("BINWATCH_EVIDENCE_MIN_FREE_MB", "lots", "BINWATCH_EVIDENCE_MIN_FREE_MB must be a number; got 'lots'"),
    ],
)
def test_a_bad_variable_is_named_with_what_was_expected(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, error: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValueError) as caught:
        Settings.from_env()
    assert str(caught.value) == error
