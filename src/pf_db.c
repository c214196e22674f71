//  pf_db - shared SQLite plumbing: open in WAL mode, statements, checkpointer.

#include "pf_classes.h"

//  Milliseconds between passive WAL checkpoints
#define S_CHECKPOINT_IVL    200

static char *
s_error (sqlite3 *db, const char *what)
{
    const char *path = db ? sqlite3_db_filename (db, "main") : NULL;
    return zsys_sprintf ("database '%s': %s", path ? path : "?", what);
}

sqlite3 *
pf_db_open (const char *path, bool sync_full, const char *schema, char **error)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                         NULL) != SQLITE_OK) {
        *error = zsys_sprintf ("cannot open database '%s': %s", path,
                               db ? sqlite3_errmsg (db) : "out of memory");
        sqlite3_close (db);
        return NULL;
    }
    sqlite3_busy_timeout (db, 5000);
    char *pragmas = zsys_sprintf (
        "PRAGMA journal_mode = WAL;"
        "PRAGMA synchronous = %s;"
        "PRAGMA wal_autocheckpoint = 0;"     //  the checkpointer thread does it
        "PRAGMA journal_size_limit = 67108864;"
        //  16 MiB: the tables are append-only and read in seq order, so
        //  few pages are hot; 64 MiB measured no faster in bench
        "PRAGMA cache_size = -16384;"
        "PRAGMA temp_store = MEMORY;",
        sync_full ? "FULL" : "NORMAL");
    int rc = pf_db_exec (db, pragmas, error);
    free (pragmas);
    if (rc == 0 && schema)
        rc = pf_db_exec (db, schema, error);
    if (rc) {
        sqlite3_close (db);
        return NULL;
    }
    return db;
}

void
pf_db_close (sqlite3 **db_p)
{
    if (!*db_p)
        return;
    sqlite3_wal_checkpoint_v2 (*db_p, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_close (*db_p);
    *db_p = NULL;
}

int
pf_db_exec (sqlite3 *db, const char *sql, char **error)
{
    char *message = NULL;
    if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK) {
        *error = s_error (db, message ? message : sqlite3_errmsg (db));
        sqlite3_free (message);
        return -1;
    }
    return 0;
}

int
pf_db_prepare (sqlite3 *db, sqlite3_stmt **stmt, const char *sql, char **error)
{
    if (sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL)
        != SQLITE_OK) {
        *error = s_error (db, sqlite3_errmsg (db));
        return -1;
    }
    return 0;
}

bool
pf_db_step (sqlite3_stmt *stmt)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

void
pf_db_bind_blob (sqlite3_stmt *stmt, int column, const void *data, size_t size)
{
    //  A zero-length blob bound from a NULL pointer would be SQL NULL
    sqlite3_bind_blob (stmt, column, size ? data : "", (int) size, SQLITE_STATIC);
}

void
pf_db_checkpointer (zsock_t *pipe, void *args)
{
    const char *path = (const char *) args;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
        != SQLITE_OK) {
        pf_error ("checkpointer cannot open '%s'", path);
        sqlite3_close (db);
        zsock_signal (pipe, 0);
        free (zstr_recv (pipe));    //  wait for $TERM
        return;
    }
    sqlite3_busy_timeout (db, 100);
    //  A connection checkpoints only once it has read the database and
    //  so knows it is in WAL mode
    sqlite3_exec (db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    zpoller_set_nonstop (poller, true);
    while (true) {
        if (zpoller_wait (poller, S_CHECKPOINT_IVL) == pipe)
            break;          //  $TERM
        if (zpoller_terminated (poller))
            break;
        int logged = 0, done = 0;
        sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &logged, &done);
    }
    zpoller_destroy (&poller);
    sqlite3_close (db);
}
