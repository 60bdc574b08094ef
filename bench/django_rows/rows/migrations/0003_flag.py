from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rows", "0002_note")]
    operations = [
        migrations.AddField("item", "flag", models.BooleanField(default=False)),
    ]
