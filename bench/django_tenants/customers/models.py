import uuid

from django.db import models

from catalog.models import Product
from tenants.models import Tenant


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    phone_e164 = models.CharField(max_length=20)
    nickname = models.TextField(null=True)
    referred_by = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)
    favourite_products = models.ManyToManyField(Product)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "phone_e164"], name="customer_tenant_phone_idx")]
