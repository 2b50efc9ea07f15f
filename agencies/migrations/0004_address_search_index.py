from django.db import migrations

# Admin searches requests by part of the address, which Django runs as
# UPPER(incident_address) LIKE UPPER('%term%'). A trigram index on that expression
# keeps the search quick on millions of rows. PostgreSQL only; SQLite scans.
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS sr_address_trgm ON agencies_servicerequest "
    "USING gin (upper(incident_address) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS sr_address_trgm"]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("agencies", "0003_seed_agencies")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
