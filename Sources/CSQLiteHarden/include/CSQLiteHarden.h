#ifndef SOURCEVAULT_CSQLITEHARDEN_H
#define SOURCEVAULT_CSQLITEHARDEN_H

/*
 * SECURITY.md §3: hardens one SQLite connection against a database file someone else wrote.
 * Triggers and views in the schema are never run (a trigger planted while a process has the vault
 * open could otherwise undo its writes), "defensive" mode forbids writing the schema directly, and
 * SQL functions in the schema are untrusted. `db` is a `sqlite3 *`. Returns 0, or the first SQLite
 * error code. (sqlite3_db_config is variadic, so Swift cannot call it: hence this file.)
 */
int sourcevault_sqlite_harden(void *db);

#endif
