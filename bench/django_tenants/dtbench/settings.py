"""Settings of the django-tenants comparison: one PostgreSQL database, a schema per tenant."""
import os

SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": os.environ.get("DT_DATABASE", "migrate_bench_dt"),
        "USER": os.environ.get("DT_USER", "postgres"),
        "HOST": os.environ.get("DT_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DT_PORT", "5432"),
    }
}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

SHARED_APPS = ["django_tenants", "django.contrib.contenttypes", "public_app"]
TENANT_APPS = ["tenants", "catalog", "customers"]
INSTALLED_APPS = SHARED_APPS + TENANT_APPS
TENANT_MODEL = "public_app.Client"
TENANT_DOMAIN_MODEL = "public_app.Domain"
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(os.environ.get("DT_PROCESSES", "2"))
