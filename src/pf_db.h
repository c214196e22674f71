//  pf_db - what every SQLite store of pushfabric shares: opening a database
//  in WAL mode with our pragmas, prepared statements, and a checkpointer
//  thread, so that WAL checkpoints never run on the commit path. Each
//  function runs on the thread that owns the connection.

#ifndef PF_DB_H_INCLUDED
#define PF_DB_H_INCLUDED

//  Open or create the database at path: WAL, synchronous NORMAL (or FULL),
//  automatic checkpoints off (run pf_db_checkpointer beside it), then run
//  schema (may be NULL). Returns NULL and sets *error (caller frees), one
//  line naming the path.
sqlite3 *
    pf_db_open (const char *path, bool sync_full, const char *schema, char **error);

//  A last full checkpoint (it keeps the next start quick), then close.
//  Finalize the statements first. Sets *db_p to NULL; NULL does nothing.
void
    pf_db_close (sqlite3 **db_p);

//  Run SQL text; returns 0, or -1 with *error set.
int
    pf_db_exec (sqlite3 *db, const char *sql, char **error);

//  Prepare a statement kept for the connection's lifetime; returns 0, or -1
//  with *error set.
int
    pf_db_prepare (sqlite3 *db, sqlite3_stmt **stmt, const char *sql, char **error);

//  Run a prepared statement to completion and reset it; true on success.
bool
    pf_db_step (sqlite3_stmt *stmt);

//  Bind a blob that must not be NULL when empty; the data must stay valid
//  until the statement is stepped.
void
    pf_db_bind_blob (sqlite3_stmt *stmt, int column, const void *data, size_t size);

//  Actor: zactor_new (pf_db_checkpointer, (void *) path) runs a passive WAL
//  checkpoint on a connection of its own every 200 ms until destroyed.
//  Passive checkpoints never block the writer. path must outlive the actor.
void
    pf_db_checkpointer (zsock_t *pipe, void *args);

#endif
