"""Settings of the rows comparison: the backend and database come from the environment."""
import os

SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["rows"]

_backend = os.environ.get("ROWS_BACKEND", "sqlite")
if _backend == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["ROWS_DATABASE"],
        }
    }
else:
    if _backend == "mysql":
        import pymysql

        pymysql.install_as_MySQLdb()
    _engine, _user, _port = {
        "postgres": ("postgresql", "postgres", "5432"),
        "mysql": ("mysql", "root", "3306"),
    }[_backend]
    DATABASES = {
        "default": {
            "ENGINE": f"django.db.backends.{_engine}",
            "NAME": os.environ["ROWS_DATABASE"],
            "USER": os.environ.get("ROWS_USER", _user),
            "PASSWORD": os.environ.get("ROWS_PASSWORD", ""),
            "HOST": os.environ.get("ROWS_HOST", "127.0.0.1"),
            "PORT": os.environ.get("ROWS_PORT", _port),
        }
    }
