from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=100)
    # The benchmark makes the schemas itself, a thousand at once.
    auto_create_schema = False


class Domain(DomainMixin):
    pass
