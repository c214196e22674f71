//  pf_proc_sched - a proc's delivery bookkeeping, in memory.
//
//  Each key has a line: its open messages in accepted order. Only a line's
//  head is ever delivered, so at most one message of a key is in flight. A
//  line whose head is READY sits in the ready list; workers take heads
//  from it in turn, by topic. An empty key means no ordering: each such
//  message is a line of its own.

#include "pf_classes.h"

typedef struct _s_line_t s_line_t;
typedef struct _s_entry_t s_entry_t;

struct _s_entry_t {
    pf_sched_msg_t msg;         //  what callers see; first, so the pointers match
    s_line_t *line;             //  the line it is in, or NULL
    s_entry_t *next;            //  next in that line
    void *handoff_handle;       //  in the handoff list, or NULL
};

struct _s_line_t {
    s_entry_t *head;
    s_entry_t *tail;
    size_t length;              //  messages in the line
    size_t blocked;             //  of them held back by a failed head (strict)
    void *ready_handle;         //  in the ready list, or NULL
    uint8_t key_size;           //  0: no key, a line of one message, not mapped
    byte key [];
};

struct _pf_sched_worker_t {
    zframe_t *routing_id;
    char *name;                 //  routing id as hex, the map key
    char *prefixes;             //  topics it handles, comma-separated; "" all
    uint32_t credit;
    uint32_t batch_size;
    uint32_t inflight;
    int64_t seen_at;
    void *rotation_handle;      //  in the rotation list
};

struct _pf_proc_sched_t {
    bool strict;
    pf_map_t *by_seq;           //  seq -> s_entry_t
    pf_map_t *lines;            //  key -> s_line_t, for keys with open messages
    pf_map_t *inflight;         //  id -> s_entry_t in flight
    zlistx_t *ready;            //  s_line_t * whose head is READY, oldest first
    zlistx_t *handoffs;         //  s_entry_t * in HANDOFF
    zhashx_t *workers;          //  hex routing id -> pf_sched_worker_t
    zlistx_t *rotation;         //  pf_sched_worker_t *, next to serve first
    size_t failed;              //  messages in HANDOFF or RETRYING
    size_t blocked;             //  messages behind a failed head, all lines
};

//  ---- Keys of the maps ---------------------------------------------------------

//  A message key, as the lines map is asked for it
typedef struct {
    const byte *data;
    size_t size;
} s_key_t;

static bool
s_entry_has_id (const void *item, const void *key)
{
    return streq (((const s_entry_t *) item)->msg.id, (const char *) key);
}

static uint64_t
s_id_hash (const char *id)
{
    return pf_map_hash_bytes (id, strlen (id));
}

static bool
s_line_has_key (const void *item, const void *key)
{
    const s_line_t *line = (const s_line_t *) item;
    const s_key_t *wanted = (const s_key_t *) key;
    return line->key_size == wanted->size && memcmp (line->key, wanted->data, wanted->size) == 0;
}

static void
s_worker_destroy (void **item)
{
    pf_sched_worker_t *worker = (pf_sched_worker_t *) *item;
    zframe_destroy (&worker->routing_id);
    free (worker->name);
    free (worker->prefixes);
    free (worker);
    *item = NULL;
}

pf_proc_sched_t *
pf_proc_sched_new (bool strict)
{
    pf_proc_sched_t *self = (pf_proc_sched_t *) zmalloc (sizeof (pf_proc_sched_t));
    self->strict = strict;
    self->by_seq = pf_map_new (NULL);
    self->lines = pf_map_new (s_line_has_key);
    self->inflight = pf_map_new (s_entry_has_id);
    self->ready = zlistx_new ();
    self->handoffs = zlistx_new ();
    self->workers = zhashx_new ();
    zhashx_set_destructor (self->workers, s_worker_destroy);
    self->rotation = zlistx_new ();
    return self;
}

//  Free every message and line.
static void
s_free_messages (pf_proc_sched_t *self)
{
    for (s_entry_t *entry = (s_entry_t *) pf_map_first (self->by_seq); entry;
         entry = (s_entry_t *) pf_map_next (self->by_seq)) {
        //  A line without a key holds just this one message
        if (entry->line && !entry->line->key_size)
            free (entry->line);
        free (entry);
    }
    for (s_line_t *line = (s_line_t *) pf_map_first (self->lines); line;
         line = (s_line_t *) pf_map_next (self->lines))
        free (line);
}

void
pf_proc_sched_forget_messages (pf_proc_sched_t *self)
{
    s_free_messages (self);
    pf_map_purge (self->by_seq);
    pf_map_purge (self->lines);
    pf_map_purge (self->inflight);
    zlistx_purge (self->ready);
    zlistx_purge (self->handoffs);
    self->failed = 0;
    self->blocked = 0;
    for (pf_sched_worker_t *worker = (pf_sched_worker_t *) zhashx_first (self->workers);
         worker; worker = (pf_sched_worker_t *) zhashx_next (self->workers))
        worker->inflight = 0;
}

void
pf_proc_sched_destroy (pf_proc_sched_t **self_p)
{
    pf_proc_sched_t *self = *self_p;
    if (!self)
        return;
    s_free_messages (self);
    pf_map_destroy (&self->by_seq);
    pf_map_destroy (&self->lines);
    pf_map_destroy (&self->inflight);
    zlistx_destroy (&self->ready);
    zlistx_destroy (&self->handoffs);
    zlistx_destroy (&self->rotation);
    zhashx_destroy (&self->workers);
    free (self);
    *self_p = NULL;
}

//  ---- Lines -----------------------------------------------------------------------

static bool
s_has_failed (pf_sched_state_t state)
{
    return state == PF_SCHED_HANDOFF || state == PF_SCHED_RETRYING;
}

//  Keep the line in the ready list exactly while its head is READY, and
//  its count of messages held back by a failed head.
static void
s_line_refresh (pf_proc_sched_t *self, s_line_t *line)
{
    size_t blocked = line->head && s_has_failed (line->head->msg.state) ? line->length - 1 : 0;
    self->blocked = self->blocked - line->blocked + blocked;
    line->blocked = blocked;
    bool ready = line->head && line->head->msg.state == PF_SCHED_READY;
    if (ready && !line->ready_handle)
        line->ready_handle = zlistx_add_end (self->ready, line);
    else
    if (!ready && line->ready_handle) {
        zlistx_delete (self->ready, line->ready_handle);
        line->ready_handle = NULL;
    }
}

static s_line_t *
s_line_for (pf_proc_sched_t *self, const byte *key, size_t key_size)
{
    assert (key_size <= UINT8_MAX);
    if (key_size == 0)
        return (s_line_t *) zmalloc (sizeof (s_line_t));
    s_key_t wanted = { key, key_size };
    uint64_t hash = pf_map_hash_bytes (key, key_size);
    s_line_t *line = (s_line_t *) pf_map_lookup (self->lines, hash, &wanted);
    if (!line) {
        line = (s_line_t *) zmalloc (sizeof (s_line_t) + key_size);
        line->key_size = (uint8_t) key_size;
        memcpy (line->key, key, key_size);
        pf_map_insert (self->lines, hash, &wanted, line);
    }
    return line;
}

static void
s_line_append (pf_proc_sched_t *self, s_line_t *line, s_entry_t *entry)
{
    entry->line = line;
    entry->next = NULL;
    if (line->tail)
        line->tail->next = entry;
    else
        line->head = entry;
    line->tail = entry;
    line->length++;
    s_line_refresh (self, line);
}

//  Take the head off its line; free the line once it is empty.
static void
s_line_pop (pf_proc_sched_t *self, s_entry_t *entry)
{
    s_line_t *line = entry->line;
    if (!line)
        return;
    assert (line->head == entry);
    line->head = entry->next;
    line->length--;
    if (!line->head)
        line->tail = NULL;
    entry->line = NULL;
    entry->next = NULL;
    s_line_refresh (self, line);
    if (!line->head) {
        s_key_t key = { line->key, line->key_size };
        if (line->key_size)
            pf_map_delete (self->lines, pf_map_hash_bytes (line->key, line->key_size), &key);
        free (line);
    }
}

//  ---- Messages --------------------------------------------------------------------

pf_sched_msg_t *
pf_proc_sched_add (pf_proc_sched_t *self, uint64_t seq, uint32_t partition, uint32_t attempts,
                   pf_sched_state_t state, const char *id, const char *topic,
                   const byte *key, size_t key_size)
{
    size_t id_size = strlen (id), topic_size = strlen (topic);
    s_entry_t *entry = (s_entry_t *) zmalloc (sizeof (s_entry_t) + id_size + topic_size
                                              + key_size + 2);
    char *strings = (char *) (entry + 1);
    memcpy (strings, id, id_size + 1);
    memcpy (strings + id_size + 1, topic, topic_size + 1);
    if (key_size)
        memcpy (strings + id_size + topic_size + 2, key, key_size);
    entry->msg = (pf_sched_msg_t) {
        .seq = seq, .partition = partition, .attempts = attempts, .state = state,
        .id = strings, .topic = strings + id_size + 1,
        .key = (const byte *) strings + id_size + topic_size + 2, .key_size = key_size
    };
    //  A seq is added once until removed, or after forget_messages
    int rc = pf_map_insert (self->by_seq, pf_map_hash_seq (seq), NULL, entry);
    assert (rc == 0);
    bool in_line = state == PF_SCHED_READY || self->strict;
    if (in_line)
        s_line_append (self, s_line_for (self, key, key_size), entry);
    if (state == PF_SCHED_HANDOFF)
        entry->handoff_handle = zlistx_add_end (self->handoffs, entry);
    if (s_has_failed (state))
        self->failed++;
    return &entry->msg;
}

pf_sched_msg_t *
pf_proc_sched_find (pf_proc_sched_t *self, uint64_t seq)
{
    return (pf_sched_msg_t *) pf_map_lookup (self->by_seq, pf_map_hash_seq (seq), NULL);
}

static void
s_leave_flight (pf_proc_sched_t *self, s_entry_t *entry)
{
    if (entry->msg.state != PF_SCHED_INFLIGHT)
        return;
    pf_map_delete (self->inflight, s_id_hash (entry->msg.id), entry->msg.id);
    if (entry->msg.worker)
        entry->msg.worker->inflight--;
    entry->msg.worker = NULL;
}

static void
s_leave_handoff (pf_proc_sched_t *self, s_entry_t *entry)
{
    if (entry->handoff_handle)
        zlistx_delete (self->handoffs, entry->handoff_handle);
    entry->handoff_handle = NULL;
}

void
pf_proc_sched_remove (pf_proc_sched_t *self, pf_sched_msg_t *msg)
{
    s_entry_t *entry = (s_entry_t *) msg;
    s_leave_flight (self, entry);
    s_leave_handoff (self, entry);
    if (s_has_failed (entry->msg.state))
        self->failed--;
    if (entry->line)
        s_line_pop (self, entry);
    pf_map_delete (self->by_seq, pf_map_hash_seq (entry->msg.seq), NULL);
    free (entry);
}

void
pf_proc_sched_handoff (pf_proc_sched_t *self, pf_sched_msg_t *msg, int64_t resend_at)
{
    s_entry_t *entry = (s_entry_t *) msg;
    s_leave_flight (self, entry);
    if (!s_has_failed (entry->msg.state))
        self->failed++;
    entry->msg.state = PF_SCHED_HANDOFF;
    entry->msg.deadline = resend_at;
    if (!entry->handoff_handle)
        entry->handoff_handle = zlistx_add_end (self->handoffs, entry);
    if (entry->line) {
        if (self->strict)
            s_line_refresh (self, entry->line);
        else
            s_line_pop (self, entry);
    }
}

void
pf_proc_sched_retrying (pf_proc_sched_t *self, pf_sched_msg_t *msg)
{
    s_entry_t *entry = (s_entry_t *) msg;
    s_leave_handoff (self, entry);
    if (!s_has_failed (entry->msg.state))
        self->failed++;
    entry->msg.state = PF_SCHED_RETRYING;
    if (entry->line)
        s_line_refresh (self, entry->line);
}

void
pf_proc_sched_reinjected (pf_proc_sched_t *self, pf_sched_msg_t *msg, uint32_t attempts)
{
    s_entry_t *entry = (s_entry_t *) msg;
    s_leave_handoff (self, entry);
    if (s_has_failed (entry->msg.state))
        self->failed--;
    entry->msg.attempts = attempts;
    entry->msg.state = PF_SCHED_READY;
    if (entry->line)
        s_line_refresh (self, entry->line);
    else
        s_line_append (self, s_line_for (self, entry->msg.key, entry->msg.key_size), entry);
}

//  ---- Workers ---------------------------------------------------------------------

pf_sched_worker_t *
pf_proc_sched_worker (pf_proc_sched_t *self, zframe_t *routing_id)
{
    char *name = zframe_strhex (routing_id);
    pf_sched_worker_t *worker = (pf_sched_worker_t *) zhashx_lookup (self->workers, name);
    free (name);
    return worker;
}

pf_sched_worker_t *
pf_proc_sched_worker_ready (pf_proc_sched_t *self, zframe_t *routing_id, const char *prefixes,
                            uint32_t credit, uint32_t batch_size, int64_t now)
{
    pf_sched_worker_t *worker = pf_proc_sched_worker (self, routing_id);
    if (!worker) {
        worker = (pf_sched_worker_t *) zmalloc (sizeof (pf_sched_worker_t));
        worker->routing_id = zframe_dup (routing_id);
        worker->name = zframe_strhex (routing_id);
        zhashx_insert (self->workers, worker->name, worker);
        worker->rotation_handle = zlistx_add_end (self->rotation, worker);
    }
    free (worker->prefixes);
    worker->prefixes = strdup (prefixes);
    worker->credit = credit;
    worker->batch_size = batch_size;
    worker->seen_at = now;
    return worker;
}

void
pf_proc_sched_worker_seen (pf_sched_worker_t *worker, int64_t now)
{
    worker->seen_at = now;
}

zframe_t *
pf_proc_sched_worker_id (pf_sched_worker_t *worker)
{
    return worker->routing_id;
}

uint32_t
pf_proc_sched_worker_batch (pf_sched_worker_t *worker)
{
    return worker->batch_size;
}

void
pf_proc_sched_worker_remove (pf_proc_sched_t *self, pf_sched_worker_t *worker, zlistx_t *lost)
{
    for (s_entry_t *entry = (s_entry_t *) pf_map_first (self->inflight); entry;
         entry = (s_entry_t *) pf_map_next (self->inflight))
        if (entry->msg.worker == worker)
            zlistx_add_end (lost, entry);
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (lost); entry;
         entry = (s_entry_t *) zlistx_next (lost))
        entry->msg.worker = NULL;       //  no credit to return any more
    zlistx_delete (self->rotation, worker->rotation_handle);
    zhashx_delete (self->workers, worker->name);
}

void
pf_proc_sched_silent (pf_proc_sched_t *self, int64_t silent_before, zlistx_t *workers)
{
    for (pf_sched_worker_t *worker = (pf_sched_worker_t *) zhashx_first (self->workers);
         worker; worker = (pf_sched_worker_t *) zhashx_next (self->workers))
        if (worker->seen_at < silent_before)
            zlistx_add_end (workers, worker);
}

pf_sched_msg_t *
pf_proc_sched_held (pf_proc_sched_t *self, pf_sched_worker_t *worker, const char *id,
                    size_t id_size)
{
    char key [PF_PROTO_ID_MAX + 1];
    if (id_size == 0 || id_size > PF_PROTO_ID_MAX)
        return NULL;
    memcpy (key, id, id_size);
    key [id_size] = 0;
    s_entry_t *entry = (s_entry_t *) pf_map_lookup (self->inflight, s_id_hash (key), key);
    return entry && entry->msg.worker == worker ? &entry->msg : NULL;
}

void
pf_proc_sched_answered (pf_proc_sched_t *self, pf_sched_msg_t *msg)
{
    s_leave_flight (self, (s_entry_t *) msg);
}

//  ---- Scheduling ------------------------------------------------------------------

bool
pf_proc_sched_next (pf_proc_sched_t *self, int64_t deadline,
                    pf_sched_worker_t **worker_p, pf_sched_msg_t **msg_p)
{
    if (zlistx_size (self->ready) == 0)
        return false;
    for (pf_sched_worker_t *worker = (pf_sched_worker_t *) zlistx_first (self->rotation);
         worker; worker = (pf_sched_worker_t *) zlistx_next (self->rotation)) {
        if (worker->inflight >= worker->credit)
            continue;
        for (s_line_t *line = (s_line_t *) zlistx_first (self->ready); line;
             line = (s_line_t *) zlistx_next (self->ready)) {
            s_entry_t *entry = line->head;
            if (!pf_proto_topic_allowed ((const byte *) entry->msg.topic,
                                         strlen (entry->msg.topic), worker->prefixes))
                continue;
            entry->msg.state = PF_SCHED_INFLIGHT;
            entry->msg.worker = worker;
            entry->msg.deadline = deadline;
            entry->msg.attempts++;
            worker->inflight++;
            pf_map_insert (self->inflight, s_id_hash (entry->msg.id), entry->msg.id, entry);
            s_line_refresh (self, line);
            //  The next delivery starts with the next worker: fair spreading
            zlistx_move_end (self->rotation, worker->rotation_handle);
            *worker_p = worker;
            *msg_p = &entry->msg;
            return true;
        }
    }
    return false;
}

void
pf_proc_sched_expired (pf_proc_sched_t *self, int64_t now, zlistx_t *expired)
{
    if (pf_map_size (self->inflight) == 0)
        return;             //  the usual case without workers: no table to walk
    for (s_entry_t *entry = (s_entry_t *) pf_map_first (self->inflight); entry;
         entry = (s_entry_t *) pf_map_next (self->inflight))
        if (entry->msg.deadline <= now)
            zlistx_add_end (expired, entry);
}

void
pf_proc_sched_handoff_due (pf_proc_sched_t *self, int64_t now, zlistx_t *due)
{
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->handoffs); entry;
         entry = (s_entry_t *) zlistx_next (self->handoffs))
        if (entry->msg.deadline <= now)
            zlistx_add_end (due, entry);
}

size_t
pf_proc_sched_open (pf_proc_sched_t *self)
{
    return pf_map_size (self->by_seq);
}

size_t
pf_proc_sched_inflight (pf_proc_sched_t *self)
{
    return pf_map_size (self->inflight);
}

size_t
pf_proc_sched_failed (pf_proc_sched_t *self)
{
    return self->failed;
}

size_t
pf_proc_sched_blocked (pf_proc_sched_t *self)
{
    return self->blocked;
}

size_t
pf_proc_sched_workers (pf_proc_sched_t *self)
{
    return zhashx_size (self->workers);
}
