"""The keyboard-wedge decoder fed ``evdev.InputEvent`` sequences, no device involved."""

from __future__ import annotations

from evdev import InputEvent, ecodes

from hardware import keymap
from hardware.events import Reason, Rejection
from hardware.wedge import WedgeDecoder


def feed_all(decoder: WedgeDecoder, events: list[InputEvent], now: float = 0.0) -> list[object]:
    out: list[object] = []
    for event in events:
        out += decoder.feed(event, now)
    return out


def key(code: int, value: int) -> InputEvent:
    return InputEvent(0, 0, ecodes.EV_KEY, code, value)


def test_an_isbn_typed_on_the_digit_row_is_one_code(key_events):
    assert feed_all(WedgeDecoder(), key_events("9787020002207")) == ["9787020002207"]


def test_shift_gives_capitals_and_symbols_and_releases_it(key_events):
    decoder = WedgeDecoder()
    assert feed_all(decoder, key_events("LIB-00042")) == ["LIB-00042"]
    assert feed_all(decoder, key_events("abc")) == ["abc"]  # Shift was released


def test_keypad_digits_and_keypad_enter_make_a_card_number(key_events):
    assert feed_all(WedgeDecoder(), key_events("0012345678", keypad=True)) == ["0012345678"]


def test_the_keymap_agrees_with_the_kernel_key_codes():
    for code, (plain, _) in keymap.MAIN_KEYS.items():
        name = ecodes.KEY[code]
        names = name if isinstance(name, list) else [name]
        if plain.isalnum():
            assert f"KEY_{plain.upper()}" in names
    for code, ch in keymap.KEYPAD_DIGITS.items():
        assert ecodes.KEY[code] == f"KEY_KP{ch}"
    assert keymap.KEY_ENTER == ecodes.KEY_ENTER
    assert keymap.KEY_KPENTER == ecodes.KEY_KPENTER
    assert keymap.KEY_TAB == ecodes.KEY_TAB
    assert {ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT} == keymap.SHIFTS
    assert {ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT} == keymap.ALTS
    assert {ecodes.KEY_LEFTCTRL, ecodes.KEY_RIGHTCTRL} == keymap.CTRLS
    assert keymap.KEY_CAPSLOCK == ecodes.KEY_CAPSLOCK
    assert keymap.SYN_DROPPED == ecodes.SYN_DROPPED


def test_autorepeat_of_a_late_release_does_not_double_a_digit():
    events = [
        key(ecodes.KEY_1, 1),
        key(ecodes.KEY_1, 2),
        key(ecodes.KEY_1, 2),
        key(ecodes.KEY_1, 0),
    ]
    events += [key(ecodes.KEY_ENTER, 1), key(ecodes.KEY_ENTER, 0)]
    assert feed_all(WedgeDecoder(), events) == ["1"]


def test_tab_ends_a_code_only_when_asked(key_events):
    events = [*key_events("ab", enter=False), key(ecodes.KEY_TAB, 1), key(ecodes.KEY_TAB, 0)]
    assert feed_all(WedgeDecoder(), events) == []
    assert feed_all(WedgeDecoder(tab_ends_code=True), events) == ["ab"]


def test_a_pause_drops_the_half_code_so_it_cannot_glue_onto_the_next(key_events):
    decoder = WedgeDecoder(timeout=0.5)
    assert feed_all(decoder, key_events("97870", enter=False, t=10.0), now=10.0) == []
    assert decoder.deadline() == 10.5
    out = feed_all(decoder, key_events("9787020002207", t=12.0), now=12.0)
    assert isinstance(out[0], Rejection) and out[0].reason is Reason.INCOMPLETE
    assert "'97870'" in out[0].message
    assert out[1:] == ["9787020002207"]


def test_the_pause_is_measured_with_the_event_timestamps_not_the_reading_time(key_events):
    # The scanner thread was descheduled for a second between two reads of one scan: the
    # scanner typed it in one go, so it is one code, not a dropped "978" and a card number.
    decoder = WedgeDecoder(timeout=0.5)
    out = feed_all(decoder, key_events("978", enter=False, t=5.0), now=100.0)
    out += feed_all(decoder, key_events("0306406157", t=5.03), now=101.0)
    assert out == ["9780306406157"]


def test_expire_reports_a_half_code_when_the_scanner_goes_quiet(key_events):
    decoder = WedgeDecoder(timeout=0.5)
    feed_all(decoder, key_events("123", enter=False), now=1.0)
    assert decoder.expire(1.4) == []
    (dropped,) = decoder.expire(1.5)
    assert isinstance(dropped, Rejection) and dropped.reason is Reason.INCOMPLETE
    assert decoder.deadline() is None


def test_a_key_storm_longer_than_the_limit_is_one_problem_then_reading_resumes(key_events):
    decoder = WedgeDecoder(max_length=20)
    out = feed_all(decoder, key_events("7" * 500))
    assert len(out) == 1
    assert isinstance(out[0], Rejection) and out[0].reason is Reason.TOO_LONG
    assert feed_all(decoder, key_events("9787020002207")) == ["9787020002207"]


def test_enter_alone_and_releases_alone_produce_nothing():
    events = [key(ecodes.KEY_ENTER, 1), key(ecodes.KEY_ENTER, 0), key(ecodes.KEY_A, 0)]
    assert feed_all(WedgeDecoder(), events) == []


def test_caps_lock_inverts_letters_only(key_events):
    decoder = WedgeDecoder()
    feed_all(decoder, [key(ecodes.KEY_CAPSLOCK, 1), key(ecodes.KEY_CAPSLOCK, 0)])
    assert feed_all(decoder, key_events("ab1")) == ["AB1"]
    assert feed_all(decoder, key_events("A")) == ["a"]


def test_ctrl_chords_type_nothing(key_events):
    events = [key(ecodes.KEY_LEFTCTRL, 1), key(ecodes.KEY_J, 1), key(ecodes.KEY_J, 0)]
    events += [key(ecodes.KEY_LEFTCTRL, 0), *key_events("42")]
    assert feed_all(WedgeDecoder(), events) == ["42"]


def test_alt_keypad_codes_type_ascii_whatever_the_layout(key_events):
    events = []
    for number in ("57", "55"):  # "9", "7" typed as Alt+057, Alt+055
        events.append(key(ecodes.KEY_LEFTALT, 1))
        for digit in number:
            events += [
                key(ecodes.ecodes[f"KEY_KP{digit}"], 1),
                key(ecodes.ecodes[f"KEY_KP{digit}"], 0),
            ]
        events.append(key(ecodes.KEY_LEFTALT, 0))
    events += [key(ecodes.KEY_ENTER, 1)]
    assert feed_all(WedgeDecoder(), events) == ["97"]


def test_alt_code_outside_ascii_is_reported():
    events = [key(ecodes.KEY_LEFTALT, 1), key(ecodes.KEY_KP2, 1), key(ecodes.KEY_KP2, 0)]
    events += [key(ecodes.KEY_LEFTALT, 0)]
    (rejection,) = feed_all(WedgeDecoder(), events)
    assert isinstance(rejection, Rejection) and rejection.reason is Reason.GARBLED


def syn(code: int, t: float = 0.0) -> InputEvent:
    return InputEvent(int(t), round(t % 1 * 1e6), ecodes.EV_SYN, code, 0)


def test_after_dropped_events_the_tail_of_the_code_is_not_read_as_a_code(key_events):
    # An ISBN whose middle the kernel dropped: its tail is ten digits, a valid card number.
    decoder = WedgeDecoder()
    out = feed_all(decoder, key_events("978", enter=False))
    out += decoder.feed(syn(ecodes.SYN_DROPPED), 0.0)
    out += feed_all(decoder, key_events("0306406157"))
    assert len(out) == 1
    assert isinstance(out[0], Rejection) and out[0].reason is Reason.EVENTS_DROPPED
    assert feed_all(decoder, key_events("9787020002207")) == ["9787020002207"]


def test_a_drop_before_any_key_still_discards_the_rest_of_that_code(key_events):
    decoder = WedgeDecoder()
    (dropped,) = decoder.feed(syn(ecodes.SYN_DROPPED), 0.0)
    assert isinstance(dropped, Rejection) and dropped.reason is Reason.EVENTS_DROPPED
    assert feed_all(decoder, key_events("0306406157")) == []
    assert feed_all(decoder, key_events("0012345678")) == ["0012345678"]


def test_a_burst_of_drops_is_one_problem(key_events):
    decoder = WedgeDecoder()
    out = decoder.feed(syn(ecodes.SYN_DROPPED), 0.0) + decoder.feed(syn(ecodes.SYN_DROPPED), 0.0)
    assert [r.reason for r in out if isinstance(r, Rejection)] == [Reason.EVENTS_DROPPED]


def test_after_a_drop_a_pause_ends_the_discarding_without_an_enter(key_events):
    decoder = WedgeDecoder(timeout=0.5)
    decoder.feed(syn(ecodes.SYN_DROPPED, t=1.0), 1.0)
    assert feed_all(decoder, key_events("0306", enter=False, t=1.01), now=1.01) == []
    assert decoder.deadline() == 1.51  # the discarding ends on the scanner's own time-out too
    assert feed_all(decoder, key_events("0012345678", t=3.0), now=3.0) == ["0012345678"]


def test_an_enter_in_the_cut_packet_ends_the_damaged_code(key_events):
    decoder = WedgeDecoder()
    feed_all(decoder, key_events("978", enter=False))
    decoder.feed(syn(ecodes.SYN_DROPPED), 0.0)
    decoder.feed(key(ecodes.KEY_ENTER, 1), 0.0)  # the newest event, kept after SYN_DROPPED
    decoder.feed(syn(ecodes.SYN_REPORT), 0.0)
    assert feed_all(decoder, key_events("0012345678")) == ["0012345678"]


def test_caps_lock_starts_off_again_after_a_drop(key_events):
    def caps(t: float) -> list[InputEvent]:
        sec, usec = int(t), round(t % 1 * 1e6)
        return [InputEvent(sec, usec, ecodes.EV_KEY, ecodes.KEY_CAPSLOCK, v) for v in (1, 0)]

    # A scanner that turns Caps Lock on for each code and off again before Enter.
    decoder = WedgeDecoder(timeout=0.5)
    feed_all(decoder, caps(0.0) + key_events("abc", enter=False), now=0.0)
    decoder.feed(syn(ecodes.SYN_DROPPED), 0.0)  # the Caps Lock that turned it off was lost
    code = caps(2.0) + key_events("abc", enter=False, t=2.0) + caps(2.0)
    code += key_events("", t=2.0)
    assert feed_all(decoder, code, now=2.0) == ["ABC"]


def test_an_endless_alt_code_is_one_problem_and_reading_goes_on(key_events):
    events = [key(ecodes.KEY_LEFTALT, 1)]
    events += [key(ecodes.KEY_KP7, 1), key(ecodes.KEY_KP7, 0)] * 4400
    events.append(key(ecodes.KEY_LEFTALT, 0))
    decoder = WedgeDecoder()
    (rejection,) = feed_all(decoder, events)
    assert isinstance(rejection, Rejection) and rejection.reason is Reason.GARBLED
    assert feed_all(decoder, key_events("9787020002207")) == ["9787020002207"]


def test_a_four_digit_alt_code_with_a_leading_zero_types_its_character():
    events = [key(ecodes.KEY_LEFTALT, 1)]
    for digit in "0065":
        code = ecodes.ecodes[f"KEY_KP{digit}"]
        events += [key(code, 1), key(code, 0)]
    events += [key(ecodes.KEY_LEFTALT, 0), key(ecodes.KEY_ENTER, 1)]
    assert feed_all(WedgeDecoder(), events) == ["A"]


def test_leds_and_scan_codes_are_ignored():
    decoder = WedgeDecoder()
    assert decoder.feed(InputEvent(0, 0, ecodes.EV_LED, ecodes.LED_NUML, 1), 0.0) == []
    assert decoder.feed(InputEvent(0, 0, ecodes.EV_MSC, ecodes.MSC_SCAN, 458792), 0.0) == []


def test_reset_reports_a_code_cut_by_an_unplug(key_events):
    decoder = WedgeDecoder()
    feed_all(decoder, key_events("978", enter=False))
    (cut,) = decoder.reset()
    assert isinstance(cut, Rejection) and cut.reason is Reason.INCOMPLETE
    assert decoder.reset() == []
