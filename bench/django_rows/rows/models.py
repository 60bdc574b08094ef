from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=200, db_index=True)
    quantity = models.IntegerField()
    created = models.DateTimeField()
    flag = models.BooleanField(default=False)

    class Meta:
        db_table = "dj_item"
        indexes = [models.Index(fields=["quantity"], name="dj_item_qty_idx")]
        constraints = [models.UniqueConstraint(fields=["name"], name="dj_item_name_uniq")]
