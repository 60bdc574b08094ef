from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("rows", "0005_name_uniq")]
    operations = [
        migrations.AlterField("item", "name", models.CharField(max_length=200, db_index=True)),
    ]
