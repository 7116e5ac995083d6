"""The kill -9 probe of ``bench/crash_safety.py`` and ``tests/test_crash_safety.py``."""
