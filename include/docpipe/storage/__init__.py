"""Writers for the application stores: Postgres (relational) and DynamoDB (read model)."""
