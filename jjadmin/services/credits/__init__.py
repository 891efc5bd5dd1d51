"""学时 (SPEC §6 Credits): declarations (`declare` → `review` → the ledger), their `queries`
and their sheet (`declaration_import`)."""
