# --- Appended to testsite/settings.py by bench/run (bench/apps/django/settings_bench.py) ---
# Production-like: DEBUG off, loopback hosts only; the one view needs no database.
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
