//  pf_proc_store - the durable messages of one proc (SQLite, WAL).

#include "pf_classes.h"

//  Rows of ids deleted per commit at most, so pruning never stalls a commit
#define S_PRUNE_STEP        2000

//  One mark per second of accepted traffic: rows from seq on were accepted
//  at or after at. Maps the dedupe window's time cutoff to a seq floor.
typedef struct {
    uint64_t seq;
    int64_t at;
} s_mark_t;

struct _pf_proc_store_t {
    sqlite3 *db;                    //  writer connection
    char *path;                     //  database file
    zactor_t *checkpointer;         //  runs WAL checkpoints on its own connection
    pf_dedupe_t *index;             //  id hash -> seq
    byte hash_key [crypto_shorthash_KEYBYTES];  //  per-database siphash key
    int64_t window_ms;              //  dedupe window
    int64_t max_pending;            //  BUSY beyond this many open messages
    int64_t pending;                //  rows in msgs
    uint64_t next_seq;              //  seq of the next accepted message
    uint64_t pruned;                //  ids rows below this are deleted
    s_mark_t *marks;                //  ring of time marks, oldest first
    size_t marks_head;              //  index of the oldest mark
    size_t marks_count;
    size_t marks_capacity;
    //  Group state
    uint64_t group_first_seq;       //  seq of the group's first new row
    int64_t group_pending;          //  pending before the group
    int64_t group_now;              //  wall clock of the group, ms
    bool group_failed;              //  a statement failed: roll back
    int group_changes;              //  sqlite3_total_changes at the group's start
    uint64_t *group_hashes;         //  hash of each row staged, by seq - first seq
    size_t group_capacity;
    bool failing;                   //  in a storage-error episode (log once)
    bool full;                      //  at max-pending (log once)
    //  Prepared statements
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
    sqlite3_stmt *rollback;
    sqlite3_stmt *insert_id;
    sqlite3_stmt *insert_msg;
    sqlite3_stmt *select_id;
    sqlite3_stmt *prune;
    sqlite3_stmt *delete_msg;
    sqlite3_stmt *update_msg;
    sqlite3_stmt *fetch_msg;
    sqlite3_stmt *scan_msgs;
    pf_log_limit_t scan_log;        //  a failed read-back: a line a second at most
    sqlite3_stmt *find_replay;
    sqlite3_stmt *insert_replay;
    sqlite3_stmt *prune_replays;
};

static const char *s_schema =
    "CREATE TABLE IF NOT EXISTS meta ("
    "  name TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ids ("
    "  seq INTEGER PRIMARY KEY, hash INTEGER NOT NULL, at INTEGER NOT NULL,"
    "  id BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS msgs ("
    "  seq INTEGER PRIMARY KEY, partition INTEGER NOT NULL, topic BLOB NOT NULL,"
    "  key BLOB NOT NULL, payload BLOB NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
    "  attempts INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '',"
    "  id BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS replays ("
    "  ticket INTEGER PRIMARY KEY, seq INTEGER NOT NULL, at INTEGER NOT NULL);";

static int64_t
s_now_ms (void)
{
    return zclock_time ();
}

//  ---- Time marks -------------------------------------------------------------

static void
s_mark_add (pf_proc_store_t *self, uint64_t seq, int64_t at)
{
    if (self->marks_count > 0) {
        s_mark_t *last = &self->marks [(self->marks_head + self->marks_count - 1)
                                       % self->marks_capacity];
        if (at - last->at < 1000)
            return;
    }
    if (self->marks_count == self->marks_capacity) {
        size_t capacity = self->marks_capacity ? self->marks_capacity * 2 : 64;
        s_mark_t *marks = (s_mark_t *) malloc (capacity * sizeof (s_mark_t));
        assert (marks);
        for (size_t index = 0; index < self->marks_count; index++)
            marks [index] = self->marks [(self->marks_head + index) % self->marks_capacity];
        free (self->marks);
        self->marks = marks;
        self->marks_capacity = capacity;
        self->marks_head = 0;
    }
    self->marks [(self->marks_head + self->marks_count) % self->marks_capacity]
        = (s_mark_t) { seq, at };
    self->marks_count++;
}

//  The lowest seq that may still be inside the window. Rows below a mark
//  were all accepted before that mark's time, so once a mark's time has
//  left the window every row below it has too; the marks before it go.
static uint64_t
s_window_floor (pf_proc_store_t *self, int64_t now)
{
    int64_t cutoff = now - self->window_ms;
    while (self->marks_count >= 2) {
        s_mark_t *second = &self->marks [(self->marks_head + 1) % self->marks_capacity];
        if (second->at > cutoff)
            break;
        self->marks_head = (self->marks_head + 1) % self->marks_capacity;
        self->marks_count--;
    }
    return self->marks_count ? self->marks [self->marks_head].seq : self->next_seq;
}

//  ---- Open ----------------------------------------------------------------------

static int
s_load_hash_key (pf_proc_store_t *self, char **error)
{
    sqlite3_stmt *stmt = NULL;
    if (pf_db_prepare (self->db, &stmt, "SELECT value FROM meta WHERE name = 'hash-key'", error))
        return -1;
    bool found = false;
    if (sqlite3_step (stmt) == SQLITE_ROW
    &&  sqlite3_column_bytes (stmt, 0) == (int) sizeof self->hash_key) {
        memcpy (self->hash_key, sqlite3_column_blob (stmt, 0), sizeof self->hash_key);
        found = true;
    }
    sqlite3_finalize (stmt);
    if (found)
        return 0;
    //  A random key per database makes hash flooding by chosen ids useless
    randombytes_buf (self->hash_key, sizeof self->hash_key);
    if (pf_db_prepare (self->db, &stmt, "INSERT INTO meta (name, value) VALUES ('hash-key', ?)", error))
        return -1;
    sqlite3_bind_blob (stmt, 1, self->hash_key, sizeof self->hash_key, SQLITE_STATIC);
    bool ok = pf_db_step (stmt);
    sqlite3_finalize (stmt);
    if (!ok) {
        *error = zsys_sprintf ("database '%s': %s", self->path, sqlite3_errmsg (self->db));
        return -1;
    }
    return 0;
}

//  Rebuild the dedupe index, time marks and counters from the tables.
static int
s_load_state (pf_proc_store_t *self, char **error)
{
    sqlite3_stmt *stmt = NULL;
    if (pf_db_prepare (self->db, &stmt, "SELECT seq, hash, at FROM ids ORDER BY seq", error))
        return -1;
    int64_t cutoff = s_now_ms () - self->window_ms;
    self->next_seq = 1;
    self->pruned = 0;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        uint64_t seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
        int64_t at = sqlite3_column_int64 (stmt, 2);
        if (self->pruned == 0)
            self->pruned = seq;
        if (at > cutoff)
            pf_dedupe_insert (self->index, (uint64_t) sqlite3_column_int64 (stmt, 1), seq);
        s_mark_add (self, seq, at);
        self->next_seq = seq + 1;
    }
    sqlite3_finalize (stmt);
    if (self->pruned == 0)
        self->pruned = self->next_seq;
    pf_dedupe_expire (self->index, s_window_floor (self, s_now_ms ()));

    if (pf_db_prepare (self->db, &stmt, "SELECT count(*), max(seq) FROM msgs", error))
        return -1;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        self->pending = sqlite3_column_int64 (stmt, 0);
        uint64_t max_seq = (uint64_t) sqlite3_column_int64 (stmt, 1);
        if (max_seq >= self->next_seq)
            self->next_seq = max_seq + 1;
    }
    sqlite3_finalize (stmt);
    //  A replayed dead letter has a seq but no id row: once done, only its
    //  ticket remembers the seq, which must not be given out again
    if (pf_db_prepare (self->db, &stmt, "SELECT max(seq) FROM replays", error))
        return -1;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        uint64_t max_seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
        if (max_seq >= self->next_seq)
            self->next_seq = max_seq + 1;
    }
    sqlite3_finalize (stmt);
    return 0;
}

static int
s_open (pf_proc_store_t *self, bool sync_full, char **error)
{
    self->db = pf_db_open (self->path, sync_full, s_schema, error);
    if (!self->db
    ||  s_load_hash_key (self, error)
    ||  s_load_state (self, error))
        return -1;
    if (pf_db_prepare (self->db, &self->begin, "BEGIN", error)
    ||  pf_db_prepare (self->db, &self->commit, "COMMIT", error)
    ||  pf_db_prepare (self->db, &self->rollback, "ROLLBACK", error)
    ||  pf_db_prepare (self->db, &self->insert_id,
                   "INSERT INTO ids (seq, hash, at, id) VALUES (?, ?, ?, ?)", error)
    ||  pf_db_prepare (self->db, &self->insert_msg,
                   "INSERT INTO msgs (seq, partition, topic, key, payload, attempts, id)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)", error)
    ||  pf_db_prepare (self->db, &self->select_id, "SELECT id FROM ids WHERE seq = ?", error)
    ||  pf_db_prepare (self->db, &self->prune, "DELETE FROM ids WHERE seq >= ? AND seq < ?", error)
    ||  pf_db_prepare (self->db, &self->delete_msg, "DELETE FROM msgs WHERE seq = ?", error)
    ||  pf_db_prepare (self->db, &self->update_msg,
                   "UPDATE msgs SET state = ?, attempts = ?, reason = ? WHERE seq = ?", error)
    ||  pf_db_prepare (self->db, &self->find_replay, "SELECT seq FROM replays WHERE ticket = ?", error)
    ||  pf_db_prepare (self->db, &self->insert_replay,
                   "INSERT INTO replays (ticket, seq, at) VALUES (?, ?, ?)", error)
    ||  pf_db_prepare (self->db, &self->prune_replays,
                   "DELETE FROM replays WHERE at < ?", error)
    ||  pf_db_prepare (self->db, &self->fetch_msg,
                   "SELECT id, topic, key, payload, attempts, reason FROM msgs WHERE seq = ?",
                   error)
    ||  pf_db_prepare (self->db, &self->scan_msgs,
                   "SELECT seq, partition, attempts, state, id, topic, key FROM msgs"
                   " WHERE seq >= ? ORDER BY seq LIMIT ?", error))
        return -1;
    return 0;
}

//  ---- API -------------------------------------------------------------------------

pf_proc_store_t *
pf_proc_store_new (const char *path, bool sync_full, int64_t dedupe_window_s,
                   int64_t max_pending, char **error)
{
    pf_proc_store_t *self = (pf_proc_store_t *) zmalloc (sizeof (pf_proc_store_t));
    self->path = strdup (path);
    self->index = pf_dedupe_new ();
    self->window_ms = dedupe_window_s * 1000;
    self->max_pending = max_pending;
    if (s_open (self, sync_full, error)) {
        pf_proc_store_destroy (&self);
        return NULL;
    }
    self->checkpointer = zactor_new (pf_db_checkpointer, self->path);
    return self;
}

void
pf_proc_store_destroy (pf_proc_store_t **self_p)
{
    pf_proc_store_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->checkpointer);
    sqlite3_stmt *statements [] = {
        self->begin, self->commit, self->rollback, self->insert_id,
        self->insert_msg, self->select_id, self->prune, self->delete_msg,
        self->update_msg, self->fetch_msg, self->scan_msgs, self->find_replay,
        self->insert_replay, self->prune_replays
    };
    for (size_t index = 0; index < sizeof statements / sizeof statements [0]; index++)
        sqlite3_finalize (statements [index]);
    pf_db_close (&self->db);
    pf_dedupe_destroy (&self->index);
    free (self->marks);
    free (self->group_hashes);
    free (self->path);
    free (self);
    *self_p = NULL;
}

void
pf_proc_store_begin (pf_proc_store_t *self)
{
    self->group_now = s_now_ms ();
    self->group_first_seq = self->next_seq;
    self->group_pending = self->pending;
    self->group_failed = !pf_db_step (self->begin);
    self->group_changes = sqlite3_total_changes (self->db);
}

//  True if the id stored at seq is this id.
static bool
s_same_id (pf_proc_store_t *self, uint64_t seq, const pf_record_t *record)
{
    sqlite3_bind_int64 (self->select_id, 1, (sqlite3_int64) seq);
    bool same = false;
    if (sqlite3_step (self->select_id) == SQLITE_ROW)
        same = (size_t) sqlite3_column_bytes (self->select_id, 0) == record->id_size
            && memcmp (sqlite3_column_blob (self->select_id, 0), record->id,
                       record->id_size) == 0;
    sqlite3_reset (self->select_id);
    return same;
}

static bool
s_insert_id (pf_proc_store_t *self, uint64_t seq, uint64_t hash, const pf_record_t *record)
{
    sqlite3_bind_int64 (self->insert_id, 1, (sqlite3_int64) seq);
    sqlite3_bind_int64 (self->insert_id, 2, (sqlite3_int64) hash);
    sqlite3_bind_int64 (self->insert_id, 3, self->group_now);
    sqlite3_bind_blob (self->insert_id, 4, record->id, (int) record->id_size, SQLITE_STATIC);
    return pf_db_step (self->insert_id);
}

static bool
s_insert_msg (pf_proc_store_t *self, uint64_t seq, uint32_t partition, uint32_t attempts,
              const pf_record_t *record)
{
    sqlite3_bind_int64 (self->insert_msg, 1, (sqlite3_int64) seq);
    sqlite3_bind_int (self->insert_msg, 2, (int) partition);
    pf_db_bind_blob (self->insert_msg, 3, record->topic, record->topic_size);
    pf_db_bind_blob (self->insert_msg, 4, record->key, record->key_size);
    pf_db_bind_blob (self->insert_msg, 5, record->payload, record->payload_size);
    sqlite3_bind_int64 (self->insert_msg, 6, attempts);
    pf_db_bind_blob (self->insert_msg, 7, record->id, record->id_size);
    return pf_db_step (self->insert_msg);
}

char
pf_proc_store_put (pf_proc_store_t *self, uint32_t partition, const pf_record_t *record,
                   uint64_t *seq_p)
{
    if (self->group_failed)
        return 'B';
    uint64_t hash;
    crypto_shorthash ((byte *) &hash, record->id, record->id_size, self->hash_key);
    size_t cursor = 0;
    uint64_t seq;
    while ((seq = pf_dedupe_find (self->index, hash, &cursor)))
        if (s_same_id (self, seq, record))
            return 'D';
    if (self->pending >= self->max_pending) {
        if (!self->full)
            pf_warning ("proc full, answering BUSY pending=%" PRId64 " max_pending=%" PRId64,
                        self->pending, self->max_pending);
        self->full = true;
        return 'B';
    }
    if (self->full)
        pf_notice ("proc below max-pending again pending=%" PRId64, self->pending);
    self->full = false;
    seq = self->next_seq;
    if (!s_insert_id (self, seq, hash, record)
    ||  !s_insert_msg (self, seq, partition, 0, record)) {
        self->group_failed = true;
        return 'B';
    }
    pf_dedupe_insert (self->index, hash, seq);
    size_t staged = seq - self->group_first_seq;
    if (staged == self->group_capacity) {
        self->group_capacity = self->group_capacity ? self->group_capacity * 2 : 1024;
        self->group_hashes = (uint64_t *) realloc (self->group_hashes,
                                                   self->group_capacity * sizeof (uint64_t));
        assert (self->group_hashes);
    }
    self->group_hashes [staged] = hash;
    self->next_seq++;
    self->pending++;
    *seq_p = seq;
    return 'A';
}

//  Tickets are kept as signed integers: the replay bit is the sign bit
static sqlite3_int64
s_ticket (uint64_t ticket)
{
    return (sqlite3_int64) (ticket & ~PF_LINK_REPLAY);
}

uint64_t
pf_proc_store_replay (pf_proc_store_t *self, uint64_t ticket, uint32_t partition,
                      const pf_record_t *record, bool *opened)
{
    *opened = false;
    if (self->group_failed)
        return 0;
    sqlite3_bind_int64 (self->find_replay, 1, s_ticket (ticket));
    uint64_t seq = 0;
    if (sqlite3_step (self->find_replay) == SQLITE_ROW)
        seq = (uint64_t) sqlite3_column_int64 (self->find_replay, 0);
    sqlite3_reset (self->find_replay);
    if (seq)
        return seq;
    seq = self->next_seq;
    sqlite3_bind_int64 (self->insert_replay, 1, s_ticket (ticket));
    sqlite3_bind_int64 (self->insert_replay, 2, (sqlite3_int64) seq);
    sqlite3_bind_int64 (self->insert_replay, 3, self->group_now);
    if (!s_insert_msg (self, seq, partition, 0, record) || !pf_db_step (self->insert_replay)) {
        self->group_failed = true;
        return 0;
    }
    //  No id row, so nothing to forget on rollback: a zero hash stands in
    size_t staged = seq - self->group_first_seq;
    if (staged == self->group_capacity) {
        self->group_capacity = self->group_capacity ? self->group_capacity * 2 : 1024;
        self->group_hashes = (uint64_t *) realloc (self->group_hashes,
                                                   self->group_capacity * sizeof (uint64_t));
        assert (self->group_hashes);
    }
    self->group_hashes [staged] = 0;
    self->next_seq++;
    self->pending++;
    *opened = true;
    return seq;
}

void
pf_proc_store_delete (pf_proc_store_t *self, uint64_t seq)
{
    if (self->group_failed)
        return;
    sqlite3_bind_int64 (self->delete_msg, 1, (sqlite3_int64) seq);
    if (!pf_db_step (self->delete_msg))
        self->group_failed = true;
    else
    if (sqlite3_changes (self->db) > 0)
        self->pending--;
}

void
pf_proc_store_update (pf_proc_store_t *self, uint64_t seq, int state, uint32_t attempts,
                      const char *reason)
{
    if (self->group_failed)
        return;
    sqlite3_bind_int (self->update_msg, 1, state);
    sqlite3_bind_int64 (self->update_msg, 2, attempts);
    sqlite3_bind_text (self->update_msg, 3, reason ? reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64 (self->update_msg, 4, (sqlite3_int64) seq);
    if (!pf_db_step (self->update_msg))
        self->group_failed = true;
}

int
pf_proc_store_fetch (pf_proc_store_t *self, uint64_t seq, pf_record_t *record,
                     const char **reason)
{
    sqlite3_stmt *stmt = self->fetch_msg;
    sqlite3_reset (stmt);
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) seq);
    if (sqlite3_step (stmt) != SQLITE_ROW)
        return -1;
    memset (record, 0, sizeof *record);
    record->id = (const byte *) sqlite3_column_blob (stmt, 0);
    record->id_size = (size_t) sqlite3_column_bytes (stmt, 0);
    record->topic = (const byte *) sqlite3_column_blob (stmt, 1);
    record->topic_size = (size_t) sqlite3_column_bytes (stmt, 1);
    record->key = (const byte *) sqlite3_column_blob (stmt, 2);
    record->key_size = (size_t) sqlite3_column_bytes (stmt, 2);
    record->payload = (const byte *) sqlite3_column_blob (stmt, 3);
    record->payload_size = (size_t) sqlite3_column_bytes (stmt, 3);
    record->attempt = (uint32_t) sqlite3_column_int64 (stmt, 4);
    *reason = (const char *) sqlite3_column_text (stmt, 5);
    return 0;
}

void
pf_proc_store_release (pf_proc_store_t *self)
{
    sqlite3_reset (self->fetch_msg);
}

int64_t
pf_proc_store_scan (pf_proc_store_t *self, uint64_t first, size_t limit,
                    pf_store_row_fn *fn, void *arg)
{
    sqlite3_stmt *stmt = self->scan_msgs;
    sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) first);
    sqlite3_bind_int64 (stmt, 2, limit ? (sqlite3_int64) limit : -1);
    pf_store_row_t row;
    int64_t count = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        count++;
        memset (&row, 0, sizeof row);
        row.seq = (uint64_t) sqlite3_column_int64 (stmt, 0);
        row.partition = (uint32_t) sqlite3_column_int (stmt, 1);
        row.attempts = (uint32_t) sqlite3_column_int64 (stmt, 2);
        row.state = sqlite3_column_int (stmt, 3);
        row.record.id = (const byte *) sqlite3_column_blob (stmt, 4);
        row.record.id_size = (size_t) sqlite3_column_bytes (stmt, 4);
        row.record.topic = (const byte *) sqlite3_column_blob (stmt, 5);
        row.record.topic_size = (size_t) sqlite3_column_bytes (stmt, 5);
        row.record.key = (const byte *) sqlite3_column_blob (stmt, 6);
        row.record.key_size = (size_t) sqlite3_column_bytes (stmt, 6);
        fn (&row, arg);
    }
    if (rc != SQLITE_DONE) {
        //  The backlog's read-back tries again every turn
        size_t suppressed;
        if (pf_log_limit_pass (&self->scan_log, 1000, &suppressed))
            pf_error ("database '%s' cannot be read: %s suppressed=%zu", self->path,
                      sqlite3_errmsg (self->db), suppressed);
        count = -1;
    }
    sqlite3_reset (stmt);
    return count;
}

//  Undo the group's effect on memory after a rollback.
static void
s_forget_group (pf_proc_store_t *self)
{
    for (uint64_t seq = self->group_first_seq; seq < self->next_seq; seq++)
        if (self->group_hashes [seq - self->group_first_seq])
            pf_dedupe_remove (self->index, self->group_hashes [seq - self->group_first_seq],
                              seq);
    self->next_seq = self->group_first_seq;
    self->pending = self->group_pending;
}

int
pf_proc_store_commit (pf_proc_store_t *self)
{
    sqlite3_reset (self->fetch_msg);
    if (!self->group_failed) {
        if (self->next_seq > self->group_first_seq)
            s_mark_add (self, self->group_first_seq, self->group_now);
        uint64_t floor = s_window_floor (self, self->group_now);
        uint64_t upto = floor < self->pruned + S_PRUNE_STEP ? floor : self->pruned + S_PRUNE_STEP;
        if (upto > self->pruned) {
            sqlite3_bind_int64 (self->prune, 1, (sqlite3_int64) self->pruned);
            sqlite3_bind_int64 (self->prune, 2, (sqlite3_int64) upto);
            //  Replay tickets are kept as long as ids; a replay whose answer
            //  was lost and which is resent only after that (the link down
            //  for a whole window) opens a second copy: at least once
            sqlite3_bind_int64 (self->prune_replays, 1, self->group_now - self->window_ms);
            if (!pf_db_step (self->prune) || !pf_db_step (self->prune_replays))
                self->group_failed = true;
        }
        if (!self->group_failed && pf_db_step (self->commit)) {
            if (upto > self->pruned)
                self->pruned = upto;
            pf_dedupe_expire (self->index, floor);
            //  Only a commit that wrote something shows the disk took it
            if (self->failing && sqlite3_total_changes (self->db) > self->group_changes) {
                pf_notice ("database '%s' writable again", self->path);
                self->failing = false;
            }
            return 0;
        }
    }
    if (!self->failing)
        pf_error ("database '%s' cannot be written, answering BUSY: %s", self->path,
                  sqlite3_errmsg (self->db));
    self->failing = true;
    pf_db_step (self->rollback);
    s_forget_group (self);
    return -1;
}

size_t
pf_proc_store_remembered (pf_proc_store_t *self)
{
    return pf_dedupe_size (self->index);
}

int64_t
pf_proc_store_pending (pf_proc_store_t *self)
{
    return self->pending;
}
