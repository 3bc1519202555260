"""The engine's timing rules, fed synthetic landmark sequences with explicit times (seconds)."""

from __future__ import annotations

import pytest

from poses import frontal_pose
from postureguard.engine.calibration import calibrate
from postureguard.engine.core import PostureEngine, poor_reading
from postureguard.engine.events import (
    BreakTaken,
    PersonLeft,
    PersonReturned,
    PostureAlert,
    PostureRecovered,
    SittingAlert,
    StandUpNudge,
)
from postureguard.engine.geometry import measure
from postureguard.engine.settings import EngineSettings

GOOD = frontal_pose()
POOR = frontal_pose(forward_deg=12)
EDGE = frontal_pose(forward_deg=4.6)  # inside the medium threshold's hysteresis band, (4, 5] degrees
AWAY = None
CAL = calibrate([measure(GOOD)] * 5)


def make(**kw) -> PostureEngine:
    kw.setdefault("sitting_limit_s", None)
    return PostureEngine(EngineSettings(**kw), CAL)


def feed(engine, start, stop, pose, step=1.0):
    """Feed ``pose`` every ``step`` seconds for t in [start, stop); return (t, event) pairs."""
    out = []
    t = start
    while t < stop - 1e-9:
        for e in engine.update(pose, t).events:
            out.append((t, e))
        t += step
    return out


def kinds(events, cls):
    """The events of exactly ``cls`` (a StandUpNudge is a SittingAlert but is counted on its own)."""
    return [(t, e) for t, e in events if type(e) is cls]


def test_sustained_poor_posture_alerts_once_after_the_window():
    eng = make()
    ev = feed(eng, 0, 10, GOOD) + feed(eng, 10, 200, POOR)
    alerts = kinds(ev, PostureAlert)
    assert len(alerts) == 1
    t, alert = alerts[0]
    assert t == pytest.approx(70.0)  # poor from t=10, window 60 s
    assert alert.trigger == "neck_strain"
    assert alert.angle_deg == pytest.approx(12.0, abs=0.1)
    assert alert.duration_s == pytest.approx(60.0)


def test_sample_and_state_fields():
    eng = make()
    s = eng.update(POOR, 0.0).sample
    assert s.person and s.posture == "poor" and s.state == "good"  # one sample is not an episode
    assert s.head_forward_deg == pytest.approx(12.0, abs=0.1)
    feed(eng, 1, 61, POOR)
    assert eng.update(POOR, 61.0).sample.state == "poor"


@pytest.mark.parametrize("glance_s", [3, 8, 14])
def test_brief_glances_down_never_alert(glance_s):
    eng = make()
    events = []
    t = 0.0
    for _ in range(20):  # twenty glances, each followed by 30 s of good posture
        events += feed(eng, t, t + glance_s, POOR)
        events += feed(eng, t + glance_s, t + glance_s + 30, GOOD)
        t += glance_s + 30
    assert kinds(events, PostureAlert) == []


def test_share_rule_tolerates_short_good_moments_inside_the_window():
    eng = make()
    ev = []
    t = 0.0
    # 10 s poor, 2 s good, repeating: about 83 % poor, above the 75 % rule.
    while t < 120:
        ev += feed(eng, t, t + 10, POOR) + feed(eng, t + 10, t + 12, GOOD)
        t += 12
    assert len(kinds(ev, PostureAlert)) == 1


def test_below_the_share_rule_does_not_alert():
    eng = make()
    ev = []
    t = 0.0
    while t < 600:  # 6 s poor, 4 s good: 60 % poor, but every recovery window is broken too
        ev += feed(eng, t, t + 6, POOR) + feed(eng, t + 6, t + 10, GOOD)
        t += 10
    assert kinds(ev, PostureAlert) == []


def test_recovery_then_new_episode_waits_for_cooldown():
    eng = make(cooldown_s=300)
    ev = feed(eng, 0, 70, POOR)  # alert at 60
    ev += feed(eng, 70, 100, GOOD)  # recovery
    ev += feed(eng, 100, 250, POOR)  # sustained again, but inside the cooldown
    ev += feed(eng, 250, 400, POOR)  # the cooldown ends at 360
    alerts = [t for t, _ in kinds(ev, PostureAlert)]
    assert alerts == [60.0, 360.0]
    recovered = [t for t, _ in kinds(ev, PostureRecovered)]
    assert len(recovered) == 1 and 70 < recovered[0] <= 86


def test_persisting_poor_posture_is_reminded_after_each_cooldown():
    eng = make(cooldown_s=120)
    alerts = [t for t, _ in kinds(feed(eng, 0, 400, POOR), PostureAlert)]
    assert alerts == [60.0, 180.0, 300.0]


def test_snooze_suppresses_until_its_end():
    eng = make(cooldown_s=0)
    eng.snooze(until_t=500)
    alerts = [t for t, _ in kinds(feed(eng, 0, 600, POOR), PostureAlert)]
    assert alerts and alerts[0] == 500.0


def test_sparse_sampling_uses_time_not_frame_counts():
    # One sample every 10 s: six poor samples span the window as well as sixty would.
    eng = make()
    alerts = kinds(feed(eng, 0, 200, POOR, step=10), PostureAlert)
    assert [t for t, _ in alerts] == [60.0]


def test_a_still_picture_dates_the_verdict_back_to_when_it_appeared():
    """``still_since``: the caller saw the same picture since then, so the slouch analysed at 20 s began
    at 12 s (and not before the previous analysis at 8 s): the episode, and the alert, count from 12."""
    eng = make()
    feed(eng, 0, 10, GOOD, step=8.0)  # analyses at 0 and 8
    first = eng.update(POOR, 20.0, still_since=12.0)
    assert first.sample.posture == "poor" and first.sample.poor_for_s == pytest.approx(8.0)
    ev = [(t, e) for t in range(26, 80, 6) for e in eng.update(POOR, float(t), still_since=float(t)).events]
    alerts = kinds(ev, PostureAlert)
    assert [t for t, _ in alerts] == [74] and alerts[0][1].duration_s == pytest.approx(62.0)
    # Without the word of a still picture the same readings count from 20 s: no alert by 74 s.
    plain = make()
    feed(plain, 0, 10, GOOD, step=8.0)
    late = [e for t in (20, *range(26, 80, 6)) for e in plain.update(POOR, float(t)).events]
    assert not [e for e in late if isinstance(e, PostureAlert)]
    # Never earlier than the sample before: a still picture since 2 s still dates from 8 s.
    early = make()
    feed(early, 0, 10, GOOD, step=8.0)
    assert early.update(POOR, 20.0, still_since=2.0).sample.poor_for_s == pytest.approx(12.0)


def test_sitting_limit_and_repeats():
    eng = make(sitting_limit_s=50 * 60, cooldown_s=15 * 60)
    ev = feed(eng, 0, 80 * 60, GOOD, step=5)
    sits = kinds(ev, SittingAlert)
    assert [t for t, _ in sits] == [3000.0, 3900.0]
    assert sits[0][1].minutes == pytest.approx(50.0)


def test_short_absence_does_not_reset_sitting_but_a_break_does():
    eng = make(sitting_limit_s=600)
    ev = feed(eng, 0, 300, GOOD, step=5)
    ev += feed(eng, 300, 360, AWAY, step=5)  # 1 min away: not a break (default 2 min)
    ev += feed(eng, 360, 620, GOOD, step=5)
    assert [round(t) for t, _ in kinds(ev, SittingAlert)] == [600]
    assert kinds(ev, BreakTaken) == []

    eng = make(sitting_limit_s=600)
    ev = feed(eng, 0, 300, GOOD, step=5)
    ev += feed(eng, 300, 450, AWAY, step=5)  # 2.5 min away: a break
    ev += feed(eng, 450, 800, GOOD, step=5)
    breaks = kinds(ev, BreakTaken)
    assert len(breaks) == 1
    t, b = breaks[0]
    assert t == pytest.approx(415.0) and b.away_s == pytest.approx(120.0) and b.sat_s == pytest.approx(295.0)
    # The stretch restarts at 450, so the limit is reached at 1050, after this run.
    assert kinds(ev, SittingAlert) == []
    assert eng.update(GOOD, 800.0).sample.sitting_s == pytest.approx(350.0)


def test_person_left_and_returned_with_debounce():
    eng = make()
    ev = feed(eng, 0, 10, GOOD)
    ev += feed(eng, 10, 13, AWAY)  # 3 s flicker: below the 5 s debounce
    ev += feed(eng, 13, 20, GOOD)
    ev += feed(eng, 20, 40, AWAY)
    ev += feed(eng, 40, 45, GOOD)
    left = kinds(ev, PersonLeft)
    back = kinds(ev, PersonReturned)
    assert len(left) == 1 and left[0][1].t == 19.0 and left[0][0] == 24.0
    assert len(back) == 1 and back[0][1].away_s == pytest.approx(21.0)
    assert eng.update(AWAY, 46).sample.state == "good"
    assert eng.update(AWAY, 60).sample.state == "away"


def test_uncalibrated_engine_reports_unknown_and_never_alerts():
    eng = PostureEngine(EngineSettings(sitting_limit_s=None), calibration=None)
    ev = feed(eng, 0, 300, POOR)
    s = eng.update(POOR, 300).sample
    assert s.posture == "unknown" and s.state == "uncalibrated" and s.head_forward_deg is None
    assert kinds(ev, PostureAlert) == []


def test_a_long_silence_restarts_sitting_quietly():
    eng = make(sitting_limit_s=600)
    feed(eng, 0, 500, GOOD, step=5)
    ev = feed(eng, 5000, 5400, GOOD, step=5)  # nothing known about the 75 minutes in between
    assert kinds(ev, SittingAlert) == [] and kinds(ev, BreakTaken) == []


def test_time_must_not_go_backwards():
    eng = make()
    eng.update(GOOD, 10)
    with pytest.raises(ValueError, match="backwards"):
        eng.update(GOOD, 9)


@pytest.mark.parametrize(
    "kw",
    [
        {"sensitivity": "extreme"},
        {"sustain_s": 0},
        {"sustain_share": 1.5},
        {"cooldown_s": -1},
        {"sitting_limit_s": 0},
        {"stand_up_nudge_s": 0},
        {"stand_up_nudge_s": -30},
        {"release_margin_deg": -1},
        {"release_margin_deg": 3.5},  # as wide as the high threshold: nothing would ever recover
    ],
)
def test_settings_are_validated(kw):
    with pytest.raises(ValueError):
        EngineSettings(**kw)


def test_sensitivity_levels_change_the_threshold():
    mild = frontal_pose(forward_deg=4.2)
    for level, poor in (("low", False), ("medium", False), ("high", True)):
        eng = make(sensitivity=level)
        assert (eng.update(mild, 0).sample.posture == "poor") is poor


def test_nobody_seen_since_the_start_is_away_without_a_left_event():
    eng = make()
    ev = feed(eng, 0, 10, AWAY)
    assert eng.update(AWAY, 10).sample.state == "away"
    assert kinds(ev, PersonLeft) == []
    arrived = feed(eng, 11, 12, GOOD)
    assert kinds(arrived, PersonReturned) == []  # a first arrival is not a return
    assert eng.update(GOOD, 12).sample.state == "good"


def test_stand_up_nudge_every_30_minutes_beside_the_break_reminder():
    # Defaults: a nudge every 30 min of sitting, the break reminder at 50 min (then every 15 min).
    eng = make(sitting_limit_s=50 * 60, cooldown_s=15 * 60)
    assert eng.settings.stand_up_nudge_s == 30 * 60
    ev = feed(eng, 0, 95 * 60, GOOD, step=5)
    nudges = kinds(ev, StandUpNudge)
    assert [t for t, _ in nudges] == [1800.0, 3600.0, 5400.0]
    assert nudges[0][1].minutes == pytest.approx(30.0) and nudges[0][1].trigger == "prolonged_sitting"
    assert nudges[0][1].to_record()["event"] == "stand_up_nudge"
    assert [t for t, _ in kinds(ev, SittingAlert)] == [3000.0, 3900.0, 4800.0]

    # A 60-minute reminder falls on the second nudge: the reminder alone speaks, the next nudge is at 90.
    eng = make(sitting_limit_s=60 * 60, cooldown_s=60 * 60)
    ev = feed(eng, 0, 95 * 60, GOOD, step=5)
    assert [t for t, _ in kinds(ev, StandUpNudge)] == [1800.0, 5400.0]
    assert [t for t, _ in kinds(ev, SittingAlert)] == [3600.0]
    times = [t for t, e in ev if isinstance(e, SittingAlert)]
    assert len(times) == len(set(times))  # never two sitting messages in one update


def test_stand_up_nudge_restarts_after_a_break_and_can_be_switched_off():
    eng = make()
    ev = feed(eng, 0, 25 * 60, GOOD, step=5)
    ev += feed(eng, 25 * 60, 28 * 60, AWAY, step=5)  # a 3-minute walk: a break
    ev += feed(eng, 28 * 60, 59 * 60, GOOD, step=5)
    assert kinds(ev, BreakTaken) and [t for t, _ in kinds(ev, StandUpNudge)] == [58 * 60.0]

    eng = make(stand_up_nudge_s=None)
    assert kinds(feed(eng, 0, 70 * 60, GOOD, step=5), StandUpNudge) == []


def test_stand_up_nudge_late_frames_and_snooze_drop_missed_nudges():
    # Frames 100 s apart (below the 120-s break) with a nudge every 60 s: each frame passes one or two
    # marks but raises one nudge.
    eng = make(stand_up_nudge_s=60)
    ev = feed(eng, 0, 350, GOOD, step=100)
    assert [(t, round(e.minutes, 2)) for t, e in kinds(ev, StandUpNudge)] == [
        (100.0, 1.67), (200.0, 3.33), (300.0, 5.0)]

    eng = make(stand_up_nudge_s=600)
    assert [t for t, _ in kinds(feed(eng, 0, 700, GOOD, step=10), StandUpNudge)] == [600.0]
    eng.snooze(1300.0)
    ev = feed(eng, 700, 1300, GOOD, step=10)  # the 20-minute nudge falls in the snooze: dropped
    ev += feed(eng, 1300, 1900, GOOD, step=10)
    assert [t for t, _ in kinds(ev, StandUpNudge)] == [1800.0]


def test_a_reading_at_the_thresholds_edge_takes_the_episodes_side():
    # Medium (5 degrees), margin 1: the band (4, 5] is good before an episode and poor inside one.
    assert [poor_reading(a, 5.0) for a in (3.9, 4.6, 5.0, 5.2)] == [False, False, False, True]
    inside = [poor_reading(a, 5.0, in_episode=True, margin_deg=1.0) for a in (3.9, 4.0, 4.6, 5.2)]
    assert inside == [False, False, True, True]
    assert poor_reading(4.6, 5.0, in_episode=True, margin_deg=0.0) is False  # no margin: a plain threshold


def _edge_slouch(eng, start, stop):
    """A mild slouch read either side of the 5-degree threshold: 5.6 degrees for 2 s, 4.6 for 2 s."""
    out, t = [], start
    while t < stop:
        out += feed(eng, t, t + 2, frontal_pose(forward_deg=5.6)) + feed(eng, t + 2, t + 4, EDGE)
        t += 4
    return out


def test_a_slouch_read_either_side_of_the_threshold_alerts_after_the_window():
    eng = make()
    ev = feed(eng, 0, 10, GOOD) + _edge_slouch(eng, 10, 200)
    assert [t for t, _ in kinds(ev, PostureAlert)] == [70.0]  # poor from t=10, window 60 s
    assert eng.update(EDGE, 202).sample.posture == "poor"
    # Without the hysteresis half the time reads good: the share never reaches 75 %, no alert at all.
    plain = make(release_margin_deg=0.0)
    assert kinds(feed(plain, 0, 10, GOOD) + _edge_slouch(plain, 10, 200), PostureAlert) == []


def test_hovering_just_below_the_threshold_never_opens_an_episode():
    eng = make()
    ev = feed(eng, 0, 600, EDGE)
    s = eng.update(EDGE, 600).sample
    assert kinds(ev, PostureAlert) == [] and s.posture == "good" and s.poor_for_s == 0
    assert s.head_forward_deg == pytest.approx(4.6, abs=0.1)


def test_recovery_needs_a_reading_clearly_below_the_threshold():
    eng = make()
    ev = feed(eng, 0, 61, POOR)
    assert [t for t, _ in kinds(ev, PostureAlert)] == [60.0]
    ev = feed(eng, 61, 121, EDGE)  # sat up to 4.6 degrees: inside the band, still the slouch
    assert kinds(ev, PostureRecovered) == [] and eng.update(EDGE, 121).sample.state == "poor"
    ev = feed(eng, 122, 150, frontal_pose(forward_deg=3.5))  # clearly below: recovered
    assert len(kinds(ev, PostureRecovered)) == 1
    assert eng.update(EDGE, 150).sample.posture == "good"  # the episode is over: the band is good again


#: (t in s, head-forward angle in degrees) as the real pose model (mediapipe 0.10.33, VIDEO mode) read the
#: mild slouch of tests/test_evaluate.py's video, analysis by analysis, with the plain threshold's
#: sampling (2026-12-02); the slouch starts at 60 s, so its window ends at 120 s.
MILD_SLOUCH_READ = (
    (60, 6.79), (60.5, 5.2), (61, 4.96), (61.5, 5.18), (63.5, 4.47), (67.5, 6.24), (68, 6.19), (68.5, 7.44),
    (69, 7.36), (71, 8.02), (73, 9.84), (75, 9.44), (77, 10.68), (79, 10.29), (81, 10.28), (83, 10.38),
    (85, 7.98), (87, 9.18), (89, 7.31), (91, 6.47), (93, 4.77), (97, 4.98), (101, 6.6), (101.5, 6.21),
    (102, 6.09), (102.5, 6.66), (104.5, 6.78), (106.5, 7.01), (108.5, 8.45), (110.5, 7.49), (112.5, 5.88),
    (114.5, 6.67), (116.5, 3.67), (120, 4.95), (124, 6.77), (124.5, 7.53), (125, 7.99), (125.5, 7.64),
    (129.5, 9.39), (133.5, 10.95), (137.5, 9.62), (141.5, 8.46), (145.5, 8.11), (149.5, 6.17), (153.5, 4.02),
    (154, 5.56), (154.5, 5.33), (155, 5.82), (159, 5.55), (163, 6.66), (167, 7.64), (171, 5.43),
)  # fmt: skip


def test_real_readings_of_a_mild_slouch_alert_when_the_window_ends():
    def alerts(**kw):
        eng = make(**kw)
        feed(eng, 0, 60, GOOD, step=4)
        updates = [(t, eng.update(frontal_pose(forward_deg=deg), t)) for t, deg in MILD_SLOUCH_READ]
        return [t for t, u in updates if any(isinstance(e, PostureAlert) for e in u.events)]

    assert alerts() == [120]
    # A plain threshold: the readings at 4.5-5 degrees count as upright, poor time fills 73 % of the
    # window at 120 s, and the alert comes 34 s late.
    assert alerts(release_margin_deg=0.0) == [154]


def test_a_slouch_episode_ends_when_the_user_leaves():
    eng = make()
    assert [t for t, _ in kinds(feed(eng, 0, 61, POOR), PostureAlert)] == [60.0]
    ev = feed(eng, 61, 70, AWAY)  # left at 60 s: away from 65 s
    assert kinds(ev, PersonLeft) and kinds(ev, PostureRecovered) == []
    s = eng.update(EDGE, 70).sample  # back, at 4.6 degrees: a fresh start, not the old slouch
    assert s.posture == "good" and s.poor_for_s == 0 and s.state == "good"
