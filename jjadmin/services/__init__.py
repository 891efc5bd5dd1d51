"""Use cases: authorisation, validation against DB state, transactions, audit."""
