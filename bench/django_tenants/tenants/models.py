import uuid

from django.db import models
from django.db.models import Q


class SubscriptionTier(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=50, unique=True)
    monthly_price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    max_users = models.IntegerField(default=5)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(monthly_price__gte=0), name="tier_price_non_negative")
        ]


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=100)
    slug = models.CharField(max_length=50, unique=True)
    tier = models.ForeignKey(SubscriptionTier, null=True, on_delete=models.SET_NULL)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)


class TenantSettings(models.Model):
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE)
    timezone = models.CharField(max_length=64, default="UTC")
    locale = models.CharField(max_length=10, default="en")
    twilio_sid = models.CharField(max_length=64, null=True)
    twilio_token = models.CharField(max_length=64, null=True)
