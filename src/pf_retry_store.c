//  pf_retry_store - the retry node's failed messages and dead letters.

#include "pf_classes.h"

struct _pf_retry_store_t {
    sqlite3 *db;                    //  writer connection
    char *path;                     //  database file
    zactor_t *checkpointer;         //  WAL checkpoints on a connection of its own
    bool group_failed;              //  a statement of the group failed: roll back
    bool failing;                   //  in a storage-error episode (log once)
    char name [PF_PROTO_ID_MAX + 16];   //  dead-letter name being chosen
    //  Prepared statements
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
    sqlite3_stmt *rollback;
    sqlite3_stmt *put;
    sqlite3_stmt *delete;
    sqlite3_stmt *fetch;
    sqlite3_stmt *scan;
    sqlite3_stmt *dead_add;
    sqlite3_stmt *dead_find;
    sqlite3_stmt *dead_fetch;
    sqlite3_stmt *dead_scan;
    sqlite3_stmt *dead_replay;
    sqlite3_stmt *dead_delete;
    sqlite3_stmt *count_retries;
    sqlite3_stmt *count_dead;
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS retries ("
    "  proc TEXT NOT NULL, seq INTEGER NOT NULL, partition INTEGER NOT NULL,"
    "  attempt INTEGER NOT NULL, state INTEGER NOT NULL, due INTEGER NOT NULL,"
    "  reason BLOB NOT NULL, id BLOB NOT NULL, topic BLOB NOT NULL, key BLOB NOT NULL,"
    "  payload BLOB NOT NULL, PRIMARY KEY (proc, seq));"
    //  AUTOINCREMENT: a number is never reused, so a replay queued by number
    //  cannot pick up a later dead letter after a purge, and its ticket
    //  (made of the number) names one replay only (see s_seed_numbers)
    "CREATE TABLE IF NOT EXISTS dead ("
    "  number INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,"
    "  partition INTEGER NOT NULL, attempts INTEGER NOT NULL, reason BLOB NOT NULL,"
    "  id BLOB NOT NULL, topic BLOB NOT NULL, key BLOB NOT NULL, payload BLOB NOT NULL,"
    "  dead_at INTEGER NOT NULL, replay INTEGER NOT NULL DEFAULT 0);";

//  Columns of the dead-letter reads, payload last
#define S_DEAD_COLUMNS \
    "number, name, partition, attempts, reason, id, topic, key, dead_at, replay, " \
    "length(payload)"

static int
s_prepare_all (pf_retry_store_t *self, char **error)
{
    struct {
        sqlite3_stmt **stmt;
        const char *sql;
    } statements [] = {
        { &self->begin, "BEGIN" },
        { &self->commit, "COMMIT" },
        { &self->rollback, "ROLLBACK" },
        { &self->put,
          "INSERT OR REPLACE INTO retries (proc, seq, partition, attempt, state, due,"
          " reason, id, topic, key, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" },
        { &self->delete, "DELETE FROM retries WHERE proc = ? AND seq = ?" },
        { &self->fetch,
          "SELECT partition, attempt, reason, id, topic, key, payload FROM retries"
          " WHERE proc = ? AND seq = ? AND state = 0" },
        { &self->scan, "SELECT proc, seq, partition, attempt, state, due FROM retries" },
        { &self->dead_add,
          "INSERT INTO dead (name, partition, attempts, reason, id, topic, key, payload,"
          " dead_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)" },
        { &self->dead_find, "SELECT number FROM dead WHERE name = ?" },
        { &self->dead_fetch, "SELECT " S_DEAD_COLUMNS ", payload FROM dead WHERE number = ?" },
        { &self->dead_scan,
          "SELECT " S_DEAD_COLUMNS " FROM dead WHERE replay >= ? ORDER BY number" },
        { &self->dead_replay, "UPDATE dead SET replay = 1 WHERE ?1 = 0 OR number = ?1" },
        { &self->dead_delete, "DELETE FROM dead WHERE ?1 = 0 OR number = ?1" },
        { &self->count_retries, "SELECT count(*) FROM retries" },
        { &self->count_dead, "SELECT count(*) FROM dead" },
    };
    for (size_t index = 0; index < sizeof statements / sizeof statements [0]; index++)
        if (pf_db_prepare (self->db, statements [index].stmt, statements [index].sql, error))
            return -1;
    return 0;
}

//  A new database numbers its dead letters from a random point below 2^62.
//  A replay's ticket is made of the number, and the procs remember tickets:
//  a database made afresh must not hand out the numbers of an earlier one.
static int
s_seed_numbers (pf_retry_store_t *self, char **error)
{
    uint64_t start;
    randombytes_buf (&start, sizeof start);
    start &= (1ull << 62) - 1;
    sqlite3_stmt *stmt = NULL;
    if (pf_db_prepare (self->db, &stmt,
                       "INSERT INTO sqlite_sequence (name, seq) SELECT 'dead', ?"
                       " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'dead')",
                       error))
        return -1;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) start);
    bool ok = pf_db_step (stmt);
    sqlite3_finalize (stmt);
    if (!ok) {
        *error = zsys_sprintf ("database '%s': %s", self->path, sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

pf_retry_store_t *
pf_retry_store_new (const char *path, char **error)
{
    pf_retry_store_t *self = (pf_retry_store_t *) zmalloc (sizeof (pf_retry_store_t));
    self->path = strdup (path);
    self->db = pf_db_open (path, false, s_schema, error);
    if (!self->db || s_seed_numbers (self, error) || s_prepare_all (self, error)) {
        pf_retry_store_destroy (&self);
        return NULL;
    }
    self->checkpointer = zactor_new (pf_db_checkpointer, self->path);
    return self;
}

void
pf_retry_store_destroy (pf_retry_store_t **self_p)
{
    pf_retry_store_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->checkpointer);
    sqlite3_stmt *statements [] = {
        self->begin, self->commit, self->rollback, self->put, self->delete, self->fetch,
        self->scan, self->dead_add, self->dead_find, self->dead_fetch, self->dead_scan,
        self->dead_replay, self->dead_delete, self->count_retries, self->count_dead
    };
    for (size_t index = 0; index < sizeof statements / sizeof statements [0]; index++)
        sqlite3_finalize (statements [index]);
    pf_db_close (&self->db);
    free (self->path);
    free (self);
    *self_p = NULL;
}

//  ---- Groups ----------------------------------------------------------------------

void
pf_retry_store_begin (pf_retry_store_t *self)
{
    self->group_failed = !pf_db_step (self->begin);
}

//  Step a write of the group; a failure dooms the group.
static void
s_write (pf_retry_store_t *self, sqlite3_stmt *stmt)
{
    if (self->group_failed)
        sqlite3_reset (stmt);
    else
    if (!pf_db_step (stmt))
        self->group_failed = true;
    sqlite3_clear_bindings (stmt);
}

int
pf_retry_store_commit (pf_retry_store_t *self)
{
    if (!self->group_failed && pf_db_step (self->commit)) {
        if (self->failing)
            pf_notice ("database '%s' writable again", self->path);
        self->failing = false;
        return 0;
    }
    if (!self->failing)
        pf_error ("database '%s' cannot be written, hand-offs wait: %s", self->path,
                  sqlite3_errmsg (self->db));
    self->failing = true;
    pf_db_step (self->rollback);
    return -1;
}

//  ---- Failed messages -----------------------------------------------------------

void
pf_retry_store_put (pf_retry_store_t *self, const char *proc, const pf_link_entry_t *entry,
                    int state, int64_t due)
{
    sqlite3_stmt *stmt = self->put;
    bool keep = state == PF_RETRY_WAITING;
    sqlite3_bind_text (stmt, 1, proc, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) entry->seq);
    sqlite3_bind_int64 (stmt, 3, entry->partition);
    sqlite3_bind_int64 (stmt, 4, entry->attempt);
    sqlite3_bind_int (stmt, 5, state);
    sqlite3_bind_int64 (stmt, 6, due);
    pf_db_bind_blob (stmt, 7, entry->reason, keep ? entry->reason_size : 0);
    pf_db_bind_blob (stmt, 8, entry->record.id, entry->record.id_size);
    pf_db_bind_blob (stmt, 9, entry->record.topic, keep ? entry->record.topic_size : 0);
    pf_db_bind_blob (stmt, 10, entry->record.key, keep ? entry->record.key_size : 0);
    pf_db_bind_blob (stmt, 11, entry->record.payload, keep ? entry->record.payload_size : 0);
    s_write (self, stmt);
}

void
pf_retry_store_delete (pf_retry_store_t *self, const char *proc, uint64_t seq)
{
    sqlite3_bind_text (self->delete, 1, proc, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->delete, 2, (sqlite3_int64) seq);
    s_write (self, self->delete);
}

static void
s_column (sqlite3_stmt *stmt, int column, const byte **data, size_t *size)
{
    *data = (const byte *) sqlite3_column_blob (stmt, column);
    *size = (size_t) sqlite3_column_bytes (stmt, column);
}

int
pf_retry_store_fetch (pf_retry_store_t *self, const char *proc, uint64_t seq,
                      pf_link_entry_t *entry)
{
    //  The previous fetch's views stay valid until this reset
    sqlite3_stmt *stmt = self->fetch;
    sqlite3_reset (stmt);
    sqlite3_bind_text (stmt, 1, proc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) seq);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return -1;
    }
    memset (entry, 0, sizeof *entry);
    entry->seq = seq;
    entry->partition = (uint32_t) sqlite3_column_int64 (stmt, 0);
    entry->attempt = (uint32_t) sqlite3_column_int64 (stmt, 1);
    s_column (stmt, 2, &entry->reason, &entry->reason_size);
    s_column (stmt, 3, &entry->record.id, &entry->record.id_size);
    s_column (stmt, 4, &entry->record.topic, &entry->record.topic_size);
    s_column (stmt, 5, &entry->record.key, &entry->record.key_size);
    s_column (stmt, 6, &entry->record.payload, &entry->record.payload_size);
    return 0;
}

void
pf_retry_store_release (pf_retry_store_t *self)
{
    sqlite3_reset (self->fetch);
    sqlite3_reset (self->dead_fetch);
}

int
pf_retry_store_scan (pf_retry_store_t *self, pf_retry_row_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = self->scan;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        pf_retry_row_t row = {
            .proc = (const char *) sqlite3_column_text (stmt, 0),
            .seq = (uint64_t) sqlite3_column_int64 (stmt, 1),
            .partition = (uint32_t) sqlite3_column_int64 (stmt, 2),
            .attempt = (uint32_t) sqlite3_column_int64 (stmt, 3),
            .state = sqlite3_column_int (stmt, 4),
            .due = sqlite3_column_int64 (stmt, 5)
        };
        fn (&row, arg);
    }
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

//  ---- Dead letters --------------------------------------------------------------

int64_t
pf_retry_store_dead_find (pf_retry_store_t *self, const char *name)
{
    sqlite3_stmt *stmt = self->dead_find;
    sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
    int64_t number = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW)
        number = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    return number;
}

int64_t
pf_retry_store_dead_add (pf_retry_store_t *self, const pf_link_entry_t *entry,
                         int64_t dead_at)
{
    if (self->group_failed)
        return 0;
    //  The name is the message id; a second dead letter of the same id
    //  (possible once the id has left the dedupe window) gets a suffix
    size_t id_size = entry->record.id_size < PF_PROTO_ID_MAX ? entry->record.id_size
                                                             : PF_PROTO_ID_MAX;
    memcpy (self->name, entry->record.id, id_size);
    self->name [id_size] = 0;
    for (int suffix = 2; pf_retry_store_dead_find (self, self->name); suffix++)
        snprintf (self->name + id_size, sizeof self->name - id_size, "#%d", suffix);
    sqlite3_stmt *stmt = self->dead_add;
    sqlite3_bind_text (stmt, 1, self->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, entry->partition);
    sqlite3_bind_int64 (stmt, 3, entry->attempt);
    pf_db_bind_blob (stmt, 4, entry->reason, entry->reason_size);
    pf_db_bind_blob (stmt, 5, entry->record.id, entry->record.id_size);
    pf_db_bind_blob (stmt, 6, entry->record.topic, entry->record.topic_size);
    pf_db_bind_blob (stmt, 7, entry->record.key, entry->record.key_size);
    pf_db_bind_blob (stmt, 8, entry->record.payload, entry->record.payload_size);
    sqlite3_bind_int64 (stmt, 9, dead_at);
    s_write (self, stmt);
    return self->group_failed ? 0 : (int64_t) sqlite3_last_insert_rowid (self->db);
}

//  Fill *dead from a row of S_DEAD_COLUMNS (and the payload at column 11).
static void
s_dead_row (sqlite3_stmt *stmt, pf_retry_dead_t *dead, bool payload)
{
    memset (dead, 0, sizeof *dead);
    dead->number = sqlite3_column_int64 (stmt, 0);
    dead->name = (const char *) sqlite3_column_text (stmt, 1);
    dead->partition = (uint32_t) sqlite3_column_int64 (stmt, 2);
    dead->attempts = (uint32_t) sqlite3_column_int64 (stmt, 3);
    s_column (stmt, 4, &dead->reason, &dead->reason_size);
    s_column (stmt, 5, &dead->record.id, &dead->record.id_size);
    s_column (stmt, 6, &dead->record.topic, &dead->record.topic_size);
    s_column (stmt, 7, &dead->record.key, &dead->record.key_size);
    dead->dead_at = sqlite3_column_int64 (stmt, 8);
    dead->replaying = sqlite3_column_int (stmt, 9) != 0;
    dead->payload_size = (size_t) sqlite3_column_int64 (stmt, 10);
    if (payload)
        s_column (stmt, 11, &dead->record.payload, &dead->record.payload_size);
}

int
pf_retry_store_dead_fetch (pf_retry_store_t *self, int64_t number, pf_retry_dead_t *dead)
{
    sqlite3_stmt *stmt = self->dead_fetch;
    sqlite3_reset (stmt);
    sqlite3_bind_int64 (stmt, 1, number);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return -1;
    }
    s_dead_row (stmt, dead, true);
    return 0;
}

int
pf_retry_store_dead_scan (pf_retry_store_t *self, bool replaying_only,
                          pf_retry_dead_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = self->dead_scan;
    sqlite3_bind_int (stmt, 1, replaying_only ? 1 : 0);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        pf_retry_dead_t dead;
        s_dead_row (stmt, &dead, false);
        fn (&dead, arg);
    }
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

void
pf_retry_store_dead_replay (pf_retry_store_t *self, int64_t number)
{
    sqlite3_bind_int64 (self->dead_replay, 1, number);
    s_write (self, self->dead_replay);
}

void
pf_retry_store_dead_delete (pf_retry_store_t *self, int64_t number)
{
    sqlite3_bind_int64 (self->dead_delete, 1, number);
    s_write (self, self->dead_delete);
}

static int64_t
s_count (sqlite3_stmt *stmt)
{
    int64_t count = -1;
    if (sqlite3_step (stmt) == SQLITE_ROW)
        count = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    return count;
}

int64_t
pf_retry_store_retries (pf_retry_store_t *self)
{
    return s_count (self->count_retries);
}

int64_t
pf_retry_store_dead_count (pf_retry_store_t *self)
{
    return s_count (self->count_dead);
}
