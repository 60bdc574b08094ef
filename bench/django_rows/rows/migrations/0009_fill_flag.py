from django.db import migrations


def fill_flag(apps, schema_editor):
    """Every row, in ranges of 10,000 rows by key, one UPDATE each, committed as it goes."""
    Item = apps.get_model("rows", "Item")
    table = schema_editor.quote_name(Item._meta.db_table)
    after = None
    with schema_editor.connection.cursor() as cursor:
        while True:
            keys = Item.objects.order_by("pk").values_list("pk", flat=True)
            if after is not None:
                keys = keys.filter(pk__gt=after)
            nth = list(keys[9999:10000])
            through = nth[0] if nth else keys.last()
            if through is None:
                return
            if after is None:
                cursor.execute(
                    f"UPDATE {table} SET flag = (quantity %% 2 = 0) WHERE id <= %s", [through]
                )
            else:
                cursor.execute(
                    f"UPDATE {table} SET flag = (quantity %% 2 = 0) WHERE id > %s AND id <= %s",
                    [after, through],
                )
            after = through


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("rows", "0008_remove_note")]
    operations = [migrations.RunPython(fill_flag, migrations.RunPython.noop)]
