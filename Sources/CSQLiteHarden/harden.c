#include <sqlite3.h>
#include "CSQLiteHarden.h"

int sourcevault_sqlite_harden(void *handle) {
    sqlite3 *db = (sqlite3 *)handle;
    int now = -1;
    int rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, &now);
    if (rc != SQLITE_OK) return rc;
    if (now != 0) return SQLITE_ERROR;
    rc = sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, &now);
    if (rc != SQLITE_OK) return rc;
    if (now != 0) return SQLITE_ERROR;
    rc = sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &now);
    if (rc != SQLITE_OK) return rc;
    if (now != 1) return SQLITE_ERROR;
    rc = sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &now);
    if (rc != SQLITE_OK) return rc;
    return now == 0 ? SQLITE_OK : SQLITE_ERROR;
}
