"""DynamoDB semantics over the engine: tables, items, indexes, queries, transactions. Never opens a file."""
