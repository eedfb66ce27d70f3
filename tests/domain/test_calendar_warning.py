"""From 1 October the admin and the dashboard are told that next year's schedule is not loaded."""

from datetime import date

from core.calendar import YearSchedule, next_year_warning


def test_warning_from_first_october_until_next_year_is_loaded():
    assert next_year_warning(date(2026, 9, 30)) is None
    warning = next_year_warning(date(2026, 10, 1))
    assert warning is not None and "2027年节假日安排尚未载入" in warning and "暂定" in warning
    assert next_year_warning(date(2026, 12, 31)) == warning
    loaded = {2027: YearSchedule(2027, frozenset({date(2027, 1, 1)}), frozenset())}
    assert next_year_warning(date(2026, 12, 2), loaded) is None
    # 2025 in October: 2026 is in the package, nothing to warn about
    assert next_year_warning(date(2025, 10, 15)) is None
