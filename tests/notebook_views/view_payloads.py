"""Script injections through an identifier and through SQL text; each sets ``window.__pwned`` if it runs."""

TABLE = "<script>window.__pwned = 1</script>"
TEXT = '</style><img src=x onerror="window.__pwned = 2">'
HOSTILE_SQL = f"SELECT * FROM \"{TABLE}\" WHERE note = '{TEXT}' AND id NOT IN (SELECT oid FROM x)"
