"""Deadlines: what is watched is cut when the time passes, and only then."""

from __future__ import annotations

import threading

from monitor.net.deadline import Deadline, Watchdog, current, within


def test_a_deadline_cuts_what_it_watches_when_it_passes() -> None:
    cut = threading.Event()
    with within(0.05) as deadline:
        assert current() is deadline
        deadline.on_expiry(cut.set)
        assert cut.wait(5)
    assert deadline.expired
    assert current() is None


def test_an_exchange_over_in_time_is_never_cut() -> None:
    cut = threading.Event()
    with within(30) as deadline:
        deadline.on_expiry(cut.set)
    deadline.expire()  # as if the watchdog came late
    assert not cut.is_set() and not deadline.expired


def test_a_cut_asked_for_after_the_deadline_runs_at_once() -> None:
    cut = threading.Event()
    deadline = Deadline(30)
    deadline.expire()
    deadline.on_expiry(cut.set)
    assert cut.is_set()


def test_a_sooner_deadline_armed_later_is_not_kept_waiting() -> None:
    watchdog = Watchdog()
    late, soon = Deadline(60), Deadline(0.05)
    cut = threading.Event()
    soon.on_expiry(cut.set)
    watchdog.arm(late)
    watchdog.arm(soon)
    assert cut.wait(5)
    assert soon.expired and not late.expired
    late.end()


def test_a_failing_cut_does_not_stop_the_others() -> None:
    def broken() -> None:
        raise OSError("socket already gone")

    cut = threading.Event()
    deadline = Deadline(30)
    deadline.on_expiry(broken)
    deadline.on_expiry(cut.set)
    deadline.expire()
    assert cut.is_set()
