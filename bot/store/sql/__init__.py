"""The store's SQL, one module per table family, portable between databases.

Statements use `?` placeholders and SQL that SQLite and PostgreSQL both accept (ON CONFLICT,
RETURNING, plain types). Each family is a class over an `Executor` (rows.py): a unit of work
(transaction.py) holds one of each (unit.py) on its connection, the store one of each for single
statements outside a transaction, and the read side (views.py) reads across them.
"""
