from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rows", "0003_flag")]
    operations = [
        migrations.AddIndex("item", models.Index(fields=["qty"], name="dj_item_qty_idx")),
    ]
