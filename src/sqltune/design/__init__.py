"""The star-schema designer: dimensional models proposed from a schema and how its workload queries it."""
