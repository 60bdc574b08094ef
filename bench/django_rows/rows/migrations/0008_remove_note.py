from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rows", "0007_rename_qty")]
    operations = [
        migrations.RemoveField("item", "note"),
    ]
