from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rows", "0006_name_longer")]
    operations = [
        migrations.RenameField("item", "qty", "quantity"),
    ]
