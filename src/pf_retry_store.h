//  pf_retry_store - the durable state of the retry node (SQLite, WAL): the
//  failed messages it holds for re-injection, and the dead-letter store.
//  Owned by the retry node's core thread; the socket loop never calls it.
//
//    retries (proc, seq, partition, attempt, state, due, reason, id, topic,
//             key, payload)     a failed message, keyed by its proc and its
//                               seq there; state WAITING until due (Unix
//                               ms), or DEAD once it went to the dead
//                               letters and its proc has not yet dropped it
//    dead    (number, name, partition, attempts, reason, id, topic, key,
//             payload, dead_at, replay)
//                               the dead letters; number is never reused,
//                               and a new database starts it at a random
//                               point (replay tickets are made of it); name
//                               is the message id (with "#2", "#3"... if a
//                               dead letter of that id is already there);
//                               replay is set while a replay waits for its
//                               proc
//
//  Writes happen inside a group (begin ... commit); reads at any time.

#ifndef PF_RETRY_STORE_H_INCLUDED
#define PF_RETRY_STORE_H_INCLUDED

typedef struct _pf_retry_store_t pf_retry_store_t;

//  States of a row of retries
#define PF_RETRY_WAITING    0   //  to be re-injected at due
#define PF_RETRY_DEAD       1   //  dead-lettered; DEAD sent until the proc answers GONE

//  A row of retries as pf_retry_store_scan reports it (no message fields);
//  proc is valid during the callback only.
typedef struct {
    const char *proc;
    uint64_t seq;
    uint32_t partition;
    uint32_t attempt;           //  the attempt that failed
    int state;                  //  PF_RETRY_*
    int64_t due;                //  Unix ms
} pf_retry_row_t;

typedef void (pf_retry_row_fn) (const pf_retry_row_t *row, void *arg);

//  A dead letter; views valid until the next call on the store.
typedef struct {
    int64_t number;             //  row number, never reused, below 2^63
    const char *name;           //  what 'dlq' calls it
    uint32_t partition;
    uint32_t attempts;
    const byte *reason;
    size_t reason_size;
    pf_record_t record;         //  id, topic, key; payload only from dead_fetch
    size_t payload_size;
    int64_t dead_at;            //  Unix seconds
    bool replaying;
} pf_retry_dead_t;

typedef void (pf_retry_dead_fn) (const pf_retry_dead_t *dead, void *arg);

//  Open or create the store. Returns NULL and sets *error (caller frees).
pf_retry_store_t *
    pf_retry_store_new (const char *path, char **error);

//  Close the store (stops its checkpointer) and set *self_p to NULL.
void
    pf_retry_store_destroy (pf_retry_store_t **self_p);

//  Start a group of writes.
void
    pf_retry_store_begin (pf_retry_store_t *self);

//  Commit the group. Returns 0, or -1 when nothing of it was stored
//  (rolled back; logged once per episode of storage errors).
int
    pf_retry_store_commit (pf_retry_store_t *self);

//  Within a group: store a failed message under (proc, entry->seq),
//  replacing any row there. A DEAD row keeps no message fields.
void
    pf_retry_store_put (pf_retry_store_t *self, const char *proc,
                        const pf_link_entry_t *entry, int state, int64_t due);

//  Within a group: forget (proc, seq).
void
    pf_retry_store_delete (pf_retry_store_t *self, const char *proc, uint64_t seq);

//  Read the message of (proc, seq) into *entry (seq, partition, attempt,
//  reason, record), views valid until the next call. Returns 0, or -1 if
//  there is no such WAITING row.
int
    pf_retry_store_fetch (pf_retry_store_t *self, const char *proc, uint64_t seq,
                          pf_link_entry_t *entry);

//  End the views of the last fetch or dead_fetch: an open read statement
//  would pin the WAL, so call this once the fields have been copied out.
void
    pf_retry_store_release (pf_retry_store_t *self);

//  Call fn for every row of retries. Returns 0 or -1.
int
    pf_retry_store_scan (pf_retry_store_t *self, pf_retry_row_fn *fn, void *arg);

//  ---- Dead letters ------------------------------------------------------------

//  Within a group: add a dead letter of entry (its attempt and reason).
//  Returns its number, or 0 when the group has failed.
int64_t
    pf_retry_store_dead_add (pf_retry_store_t *self, const pf_link_entry_t *entry,
                             int64_t dead_at);

//  The number of the dead letter called name, or 0 if there is none.
int64_t
    pf_retry_store_dead_find (pf_retry_store_t *self, const char *name);

//  Read one dead letter, payload included. Returns 0, or -1 if it is gone.
int
    pf_retry_store_dead_fetch (pf_retry_store_t *self, int64_t number, pf_retry_dead_t *dead);

//  Call fn for every dead letter (or only those being replayed) in the
//  order they died, without payloads. Returns 0 or -1.
int
    pf_retry_store_dead_scan (pf_retry_store_t *self, bool replaying_only,
                              pf_retry_dead_fn *fn, void *arg);

//  Within a group: mark a dead letter (number > 0) or all (number 0) as
//  being replayed.
void
    pf_retry_store_dead_replay (pf_retry_store_t *self, int64_t number);

//  Within a group: remove a dead letter (number > 0) or all (number 0).
void
    pf_retry_store_dead_delete (pf_retry_store_t *self, int64_t number);

//  Rows of each table.
int64_t
    pf_retry_store_retries (pf_retry_store_t *self);
int64_t
    pf_retry_store_dead_count (pf_retry_store_t *self);

#endif
