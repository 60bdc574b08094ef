from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100, db_index=True)),
                ("qty", models.IntegerField()),
                ("created", models.DateTimeField()),
            ],
            options={"db_table": "dj_item"},
        ),
    ]
