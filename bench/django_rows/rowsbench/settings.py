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
elif _backend == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["ROWS_DATABASE"],
            "USER": os.environ.get("ROWS_USER", "postgres"),
            "PASSWORD": os.environ.get("ROWS_PASSWORD", ""),
            "HOST": os.environ.get("ROWS_HOST", "127.0.0.1"),
            "PORT": os.environ.get("ROWS_PORT", "5432"),
        }
    }
else:
    import pymysql

    pymysql.install_as_MySQLdb()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ["ROWS_DATABASE"],
            "USER": os.environ.get("ROWS_USER", "root"),
            "PASSWORD": os.environ.get("ROWS_PASSWORD", ""),
            "HOST": os.environ.get("ROWS_HOST", "127.0.0.1"),
            "PORT": os.environ.get("ROWS_PORT", "3306"),
        }
    }
