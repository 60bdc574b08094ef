from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rows", "0004_qty_idx")]
    operations = [
        migrations.AddConstraint("item", models.UniqueConstraint(fields=["name"], name="dj_item_name_uniq")),
    ]
