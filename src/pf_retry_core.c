//  pf_retry_core - the retry node's core actor: store, schedule, replays.

#include "pf_classes.h"

//  Pipe messages taken into one turn at most
#define S_TURN_MAX          1000
//  A REINJECT body is sent once it holds this many bytes
#define S_BODY_MAX          (1024 * 1024)
//  The longest sleep between two looks at the schedule
#define S_TICK_MAX          1000
//  Warnings about one misbehaving peer at most this often
#define S_WARN_IVL          10000

//  A proc, as the retry node talks to it.
typedef struct {
    char *name;                 //  proc name (routing id)
    bool known;                 //  in the config (else only found in the database)
    bool reachable;             //  no send has failed since it last answered
    int64_t down_until;         //  send nothing before (Unix ms)
    pf_buf_t taken;             //  TAKEN seqs of this turn
    pf_buf_t reinject;          //  REINJECT entries being built
    pf_buf_t dead;              //  DEAD seqs being built
} s_proc_t;

typedef struct {
    zsock_t *pipe;
    pf_retry_core_args_t *args;
    pf_retry_store_t *store;
    pf_retry_sched_t *sched;
    s_proc_t *procs;            //  config procs first, in file order
    size_t proc_count;
    zhashx_t *proc_index;       //  name -> index + 1
    uint32_t *owner;            //  partition -> index of its proc now
    uint32_t partitions;
    int64_t now;                //  Unix ms of this turn
    zlistx_t *controls;         //  zmsg_t * control requests of this turn
    bool flush_requested;
    bool terminated;
    int64_t warned_at;          //  last warning about a peer
    size_t replays;             //  replays queued since the last s_load
    pf_stats_t *stats;          //  this thread's counters
} s_core_t;

//  ---- Backoff ----------------------------------------------------------------------

int64_t
pf_retry_backoff (int64_t base_delay, int64_t max_delay, uint32_t attempt)
{
    int64_t delay = base_delay;
    for (uint32_t n = 1; n < attempt && delay < max_delay; n++)
        delay *= 2;
    return delay < max_delay ? delay : max_delay;
}

int64_t
pf_retry_jittered (int64_t base_delay, int64_t max_delay, uint32_t attempt)
{
    int64_t delay = pf_retry_backoff (base_delay, max_delay, attempt);
    return delay - (int64_t) randombytes_uniform ((uint32_t) (delay / 5) + 1);
}

//  ---- Procs --------------------------------------------------------------------------

static void
s_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  The index of proc name, added (as not in the config) when create is set;
//  -1 if unknown.
static int
s_proc_find (s_core_t *self, const char *name, bool create)
{
    uintptr_t slot = (uintptr_t) zhashx_lookup (self->proc_index, name);
    if (slot)
        return (int) (slot - 1);
    if (!create)
        return -1;
    self->procs = (s_proc_t *) realloc (self->procs, (self->proc_count + 1) * sizeof (s_proc_t));
    assert (self->procs);
    s_proc_t *proc = &self->procs [self->proc_count];
    *proc = (s_proc_t) { .name = strdup (name), .reachable = true };
    zhashx_insert (self->proc_index, name, (void *) (uintptr_t) (self->proc_count + 1));
    return (int) self->proc_count++;
}

static void
s_procs_init (s_core_t *self)
{
    pf_config_t *config = self->args->config;
    self->proc_index = zhashx_new ();
    zlistx_t *names = pf_config_nodes (config, "proc");
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names)) {
        //  s_proc_find may move procs: index first
        int index = s_proc_find (self, name, true);
        self->procs [index].known = true;
    }
    self->partitions = (uint32_t) pf_config_int (config, "fabric/partitions");
    self->owner = (uint32_t *) calloc (self->partitions, sizeof (uint32_t));
    assert (self->owner);
    const char **owners = pf_config_partition_owners (config);
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        self->owner [partition] = (uint32_t) s_proc_find (self, owners [partition], false);
}

static void
s_procs_destroy (s_core_t *self)
{
    for (size_t index = 0; index < self->proc_count; index++) {
        s_proc_t *proc = &self->procs [index];
        free (proc->name);
        pf_buf_free (&proc->taken);
        pf_buf_free (&proc->reinject);
        pf_buf_free (&proc->dead);
    }
    free (self->procs);
    free (self->owner);
    zhashx_destroy (&self->proc_index);
}

//  A copy of bytes from the network fit for one log line: at most 80 of
//  them, control characters and non-ASCII as '?'.
static char *
s_loggable (char *text, size_t size, const byte *data, size_t data_size)
{
    size_t length = data_size < size - 1 ? data_size : size - 1;
    for (size_t index = 0; index < length; index++)
        text [index] = data [index] >= 0x20 && data [index] < 0x7F ? (char) data [index] : '?';
    text [length] = 0;
    return text;
}

//  A warning about a peer, at most one per S_WARN_IVL.
static bool
s_may_warn (s_core_t *self)
{
    if (self->now - self->warned_at < S_WARN_IVL)
        return false;
    self->warned_at = self->now;
    return true;
}

//  Send a link message to a proc through the socket loop; empties body.
static void
s_to_proc (s_core_t *self, s_proc_t *proc, const char *command, pf_buf_t *body)
{
    if (body->size == 0)
        return;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "LINK");
    zmsg_addstr (msg, proc->name);
    zmsg_addstr (msg, command);
    zmsg_addmem (msg, body->data, body->size);
    pf_buf_reset (body);
    zmsg_send (&msg, self->pipe);
}

//  ---- Replays of dead letters ----------------------------------------------------
//
//  A replay is an item of the schedule like a re-injection, keyed by (proc,
//  ticket): the ticket is PF_LINK_REPLAY | the dead letter's number, which
//  the store never reuses, so a replay has the same ticket after a restart
//  and no other replay ever has it. The proc opens the message once per
//  ticket and answers every send of it REINJECTED ticket new-seq.

static uint64_t
s_ticket (int64_t number)
{
    return PF_LINK_REPLAY | (uint64_t) number;
}

static int64_t
s_ticket_number (uint64_t ticket)
{
    return (int64_t) (ticket & ~PF_LINK_REPLAY);
}

static uint32_t
s_partition_of (s_core_t *self, const pf_record_t *record)
{
    return pf_partition_of (record->key, record->key_size, record->id, record->id_size,
                            self->partitions);
}

//  Queue a dead letter for replay to the proc that owns its partition now
//  (nothing if it is queued already).
static void
s_replay_queue (s_core_t *self, int64_t number, const pf_record_t *record)
{
    uint32_t partition = s_partition_of (self, record);
    uint32_t index = self->owner [partition];
    uint64_t ticket = s_ticket (number);
    if (!pf_retry_sched_find (self->sched, index, ticket)) {
        pf_retry_sched_add (self->sched, index, ticket, partition, 0, PF_RETRY_ITEM_WAITING,
                            self->now);
        self->replays++;
    }
}

static void
s_replay_load (const pf_retry_dead_t *dead, void *arg)
{
    s_replay_queue ((s_core_t *) arg, dead->number, &dead->record);
}

//  Append the replay of item (a new message, attempt 1); false if its dead
//  letter is gone (purged).
static bool
s_replay_put (s_core_t *self, s_proc_t *proc, pf_retry_item_t *item)
{
    pf_retry_dead_t dead;
    if (pf_retry_store_dead_fetch (self->store, s_ticket_number (item->seq), &dead) == -1)
        return false;
    pf_link_entry_t entry = {
        .seq = item->seq, .attempt = 1, .record = dead.record,
        .partition = s_partition_of (self, &dead.record)
    };
    pf_link_put_entry (&proc->reinject, &entry);
    pf_retry_store_release (self->store);
    return true;
}

//  REINJECTED ticket new-seq: the proc has opened the replay (as new-seq).
//  Any send of it may be answered, and more than once: only the first
//  answer finds the item; the others are repeats. The ticket names the
//  replay whichever proc answers (one that owned the partition before a
//  restart may answer a send made then).
static void
s_replay_answered (s_core_t *self, uint32_t index, uint64_t ticket, uint64_t new_seq)
{
    s_proc_t *proc = &self->procs [index];
    int64_t number = s_ticket_number (ticket);
    pf_retry_item_t *item = pf_retry_sched_find (self->sched, index, ticket);
    for (uint32_t other = 0; !item && other < self->proc_count; other++)
        item = pf_retry_sched_find (self->sched, other, ticket);
    if (!item) {
        pf_debug ("repeated or unknown replay answer from proc '%s' number=%" PRId64
                  ", ignored", proc->name, number);
        return;
    }
    if (new_seq == 0)
        return;                 //  the proc could not store it: sent again on time
    pf_retry_store_dead_delete (self->store, number);
    pf_retry_sched_remove (self->sched, item);
    pf_stats_count (self->stats, PF_STATS_REPLAYED, 1);
    pf_info ("dead letter replayed number=%" PRId64 " proc=%s seq=%" PRIu64, number,
             proc->name, new_seq);
}

//  ---- Loading ----------------------------------------------------------------------

static void
s_load_row (const pf_retry_row_t *row, void *arg)
{
    s_core_t *self = (s_core_t *) arg;
    int index = s_proc_find (self, row->proc, true);
    //  A REINJECT in flight when we stopped is sent again at once: the
    //  proc answers a repeat as a no-op
    pf_retry_sched_add (self->sched, (uint32_t) index, row->seq, row->partition, row->attempt,
                        row->state == PF_RETRY_DEAD ? PF_RETRY_ITEM_DEAD
                                                    : PF_RETRY_ITEM_WAITING,
                        row->state == PF_RETRY_DEAD ? 0 : row->due);
}

//  (Re)build the schedule, replays included, from the database. A replay
//  in flight is sent again at once, with the same ticket.
static int
s_load (s_core_t *self)
{
    pf_retry_sched_clear (self->sched);
    self->replays = 0;
    for (size_t index = 0; index < self->proc_count; index++) {
        s_proc_t *proc = &self->procs [index];
        pf_buf_reset (&proc->taken);
        pf_buf_reset (&proc->reinject);
        pf_buf_reset (&proc->dead);
    }
    if (pf_retry_store_scan (self->store, s_load_row, self)
    ||  pf_retry_store_dead_scan (self->store, true, s_replay_load, self))
        return -1;
    for (size_t index = 0; index < self->proc_count; index++) {
        s_proc_t *proc = &self->procs [index];
        size_t held = pf_retry_sched_count (self->sched, (uint32_t) index,
                                            PF_RETRY_ITEM_WAITING)
                    + pf_retry_sched_count (self->sched, (uint32_t) index, PF_RETRY_ITEM_DEAD);
        if (!proc->known && held)
            pf_warning ("proc '%s' is not in the config: its messages wait here, count=%zu",
                        proc->name, held);
    }
    return 0;
}

//  ---- From the procs ---------------------------------------------------------------

//  FAILED: store the message (a repeat is answered again, nothing more),
//  then schedule it or move it to the dead letters.
static void
s_failed (s_core_t *self, uint32_t index, pf_link_entry_t *entry)
{
    s_proc_t *proc = &self->procs [index];
    if (entry->seq == 0 || (entry->seq & PF_LINK_REPLAY)) {
        if (s_may_warn (self))
            pf_warning ("FAILED without a valid seq from proc '%s', dropped", proc->name);
        return;
    }
    if (entry->attempt == 0)
        entry->attempt = 1;
    pf_retry_item_t *item = pf_retry_sched_find (self->sched, index, entry->seq);
    if (item && entry->attempt <= item->attempt) {
        pf_buf_put_u64 (&proc->taken, entry->seq);
        return;
    }
    //  A later attempt of a message we hold: it was re-injected and failed again
    if (item)
        pf_retry_sched_remove (self->sched, item);
    if (entry->attempt >= self->args->max_attempts) {
        pf_retry_store_dead_add (self->store, entry, self->now / 1000);
        pf_retry_store_put (self->store, proc->name, entry, PF_RETRY_DEAD, 0);
        pf_retry_sched_add (self->sched, index, entry->seq, entry->partition, entry->attempt,
                            PF_RETRY_ITEM_DEAD, 0);
        pf_stats_count (self->stats, PF_STATS_DEAD_LETTERED, 1);
        char id [81], reason [81];
        pf_info ("dead letter id=%s proc=%s attempts=%u reason=%s",
                 s_loggable (id, sizeof id, entry->record.id, entry->record.id_size),
                 proc->name, entry->attempt,
                 s_loggable (reason, sizeof reason, entry->reason, entry->reason_size));
    }
    else {
        int64_t due = self->now + pf_retry_jittered (self->args->base_delay,
                                                     self->args->max_delay, entry->attempt);
        pf_retry_store_put (self->store, proc->name, entry, PF_RETRY_WAITING, due);
        pf_retry_sched_add (self->sched, index, entry->seq, entry->partition, entry->attempt,
                            PF_RETRY_ITEM_WAITING, due);
        pf_stats_count (self->stats, PF_STATS_RETRIED, 1);
        char id [81];
        pf_debug ("retry id=%s proc=%s attempt=%u in_ms=%" PRId64,
                  s_loggable (id, sizeof id, entry->record.id, entry->record.id_size),
                  proc->name, entry->attempt, due - self->now);
    }
    pf_buf_put_u64 (&proc->taken, entry->seq);
}

//  REINJECTED seq new-seq: the proc holds the message again.
static void
s_reinjected (s_core_t *self, uint32_t index, uint64_t seq, uint64_t new_seq)
{
    s_proc_t *proc = &self->procs [index];
    if (seq & PF_LINK_REPLAY) {
        s_replay_answered (self, index, seq, new_seq);
        return;
    }
    //  Only an answer to a REINJECT in flight counts: a late repeat must not
    //  remove a newer failure of the same message
    pf_retry_item_t *item = pf_retry_sched_find (self->sched, index, seq);
    if (item && item->state == PF_RETRY_ITEM_SENT) {
        pf_retry_store_delete (self->store, proc->name, seq);
        pf_retry_sched_remove (self->sched, item);
    }
}

//  GONE seq: the proc has dropped a message we dead-lettered.
static void
s_gone (s_core_t *self, uint32_t index, uint64_t seq)
{
    pf_retry_item_t *item = pf_retry_sched_find (self->sched, index, seq);
    if (item && item->state == PF_RETRY_ITEM_DEAD) {
        pf_retry_store_delete (self->store, self->procs [index].name, seq);
        pf_retry_sched_remove (self->sched, item);
    }
}

//  Any message from a proc shows that it is connected.
static void
s_proc_seen (s_core_t *self, s_proc_t *proc)
{
    if (!proc->reachable)
        pf_notice ("proc '%s' reachable again", proc->name);
    proc->reachable = true;
    proc->down_until = 0;
}

//  "LINK" proc command body, within the turn's group.
static void
s_link (s_core_t *self, zmsg_t *msg)
{
    char *name = zmsg_popstr (msg);
    char *command = zmsg_popstr (msg);
    zframe_t *body = zmsg_first (msg);
    int index = name ? s_proc_find (self, name, false) : -1;
    if (index < 0 || !self->procs [index].known || !command || !body) {
        char who [81];
        if (s_may_warn (self))
            pf_warning ("hand-off from '%s', which is not a proc of the config, dropped",
                        s_loggable (who, sizeof who, (const byte *) (name ? name : ""),
                                    name ? strlen (name) : 0));
        free (name);
        free (command);
        return;
    }
    s_proc_t *proc = &self->procs [index];
    s_proc_seen (self, proc);
    pf_reader_t reader;
    pf_reader_init (&reader, zframe_data (body), zframe_size (body));
    size_t count;
    if (streq (command, "FAILED")) {
        if (pf_link_entries_check (zframe_data (body), zframe_size (body), &count) == 0) {
            pf_link_entry_t entry;
            while (pf_link_entry_next (&reader, &entry) == 1)
                s_failed (self, (uint32_t) index, &entry);
        }
        else
        if (s_may_warn (self))
            pf_warning ("malformed FAILED from proc '%s', dropped", name);
    }
    else
    if (streq (command, "REINJECTED")) {
        uint64_t seq, new_seq;
        while (!pf_reader_done (&reader) && pf_reader_u64 (&reader, &seq)
           &&  pf_reader_u64 (&reader, &new_seq))
            s_reinjected (self, (uint32_t) index, seq, new_seq);
    }
    else
    if (streq (command, "GONE")) {
        uint64_t seq;
        while (!pf_reader_done (&reader) && pf_reader_u64 (&reader, &seq))
            s_gone (self, (uint32_t) index, seq);
    }
    else
        reader.failed = true;
    char what [81];
    if (reader.failed && s_may_warn (self))
        pf_warning ("malformed or unknown %s from proc '%s', ignored from there",
                    s_loggable (what, sizeof what, (const byte *) command, strlen (command)),
                    name);
    free (name);
    free (command);
}

//  "UNREACHABLE" proc: a send to it failed.
static void
s_unreachable (s_core_t *self, zmsg_t *msg)
{
    char *name = zmsg_popstr (msg);
    int index = name ? s_proc_find (self, name, false) : -1;
    if (index >= 0) {
        s_proc_t *proc = &self->procs [index];
        if (proc->reachable)
            pf_warning ("proc '%s' unreachable, re-injections wait for it", name);
        proc->reachable = false;
        proc->down_until = self->now + PF_RETRY_PROBE_IVL;
    }
    free (name);
}

//  ---- Sending what is due ------------------------------------------------------------

//  Append the REINJECT of item (its next attempt, or the replay it is);
//  false if its row or dead letter is gone.
static bool
s_reinject_put (s_core_t *self, s_proc_t *proc, pf_retry_item_t *item)
{
    if (item->seq & PF_LINK_REPLAY) {
        if (!s_replay_put (self, proc, item))
            return false;
    }
    else {
        pf_link_entry_t entry;
        if (pf_retry_store_fetch (self->store, proc->name, item->seq, &entry) == -1)
            return false;
        entry.attempt = item->attempt + 1;
        entry.reason_size = 0;
        pf_link_put_entry (&proc->reinject, &entry);
        pf_retry_store_release (self->store);
    }
    if (proc->reinject.size >= S_BODY_MAX)
        s_to_proc (self, proc, "REINJECT", &proc->reinject);
    return true;
}

//  Send one proc what is due. An unreachable proc gets one message, as a probe.
static void
s_send_proc (s_core_t *self, uint32_t index)
{
    s_proc_t *proc = &self->procs [index];
    if (!proc->known || self->now < proc->down_until)
        return;
    size_t budget = proc->reachable ? SIZE_MAX : 1;
    pf_retry_item_t *item;
    //  Unanswered REINJECT and DEAD, and new DEAD
    while (budget && (item = pf_retry_sched_first_sent (self->sched, index))
       &&  item->at <= self->now) {
        if (item->state == PF_RETRY_ITEM_DEAD)
            pf_buf_put_u64 (&proc->dead, item->seq);
        else
        if (!s_reinject_put (self, proc, item)) {
            pf_retry_sched_remove (self->sched, item);
            continue;
        }
        pf_retry_sched_set (self->sched, item, item->state,
                            self->now + PF_RETRY_ANSWER_TIMEOUT);
        budget--;
    }
    //  Messages whose backoff has run out and replays, within the window
    while (budget && (item = pf_retry_sched_first_waiting (self->sched, index))
       &&  item->at <= self->now
       &&  pf_retry_sched_count (self->sched, index, PF_RETRY_ITEM_SENT) < PF_RETRY_WINDOW) {
        if (!s_reinject_put (self, proc, item)) {
            pf_retry_sched_remove (self->sched, item);
            continue;
        }
        pf_retry_sched_set (self->sched, item, PF_RETRY_ITEM_SENT,
                            self->now + PF_RETRY_ANSWER_TIMEOUT);
        budget--;
    }
    s_to_proc (self, proc, "REINJECT", &proc->reinject);
    s_to_proc (self, proc, "DEAD", &proc->dead);
    if (!proc->reachable && budget == 0)
        proc->down_until = self->now + PF_RETRY_PROBE_IVL;
}

//  Milliseconds until something is due (at most S_TICK_MAX).
static int
s_wake_in (s_core_t *self)
{
    int64_t now = zclock_time ();
    int64_t next = now + S_TICK_MAX;
    for (uint32_t index = 0; index < self->proc_count; index++) {
        s_proc_t *proc = &self->procs [index];
        if (!proc->known)
            continue;
        int64_t at = INT64_MAX;
        pf_retry_item_t *item = pf_retry_sched_first_sent (self->sched, index);
        if (item && item->at < at)
            at = item->at;
        item = pf_retry_sched_first_waiting (self->sched, index);
        if (item && item->at < at
        &&  pf_retry_sched_count (self->sched, index, PF_RETRY_ITEM_SENT) < PF_RETRY_WINDOW)
            at = item->at;
        if (at != INT64_MAX && proc->down_until > at)
            at = proc->down_until;
        if (at < next)
            next = at;
    }
    return next <= now ? 0 : (int) (next - now);
}

//  ---- Control ----------------------------------------------------------------------

typedef struct {
    pf_buf_t text;
    bool json;
    size_t count;
} s_listing_t;

static void
s_list_row (const pf_retry_dead_t *dead, void *arg)
{
    s_listing_t *listing = (s_listing_t *) arg;
    pf_buf_t *text = &listing->text;
    if (listing->json) {
        pf_json_append (text, "%s{\"id\":", listing->count ? "," : "");
        pf_json_put_string (text, dead->name, strlen (dead->name));
        pf_json_append (text, ",\"topic\":");
        pf_json_put_string (text, dead->record.topic, dead->record.topic_size);
        pf_json_append (text, ",\"key\":");
        pf_json_put_hex (text, dead->record.key, dead->record.key_size);
        pf_json_append (text, ",\"attempts\":%u,\"reason\":", dead->attempts);
        pf_json_put_string (text, dead->reason, dead->reason_size);
        pf_json_append (text, ",\"dead_at\":%" PRId64 ",\"size\":%zu,\"replaying\":%s}",
                        dead->dead_at, dead->payload_size, dead->replaying ? "true" : "false");
    }
    else {
        //  One line per dead letter, fields separated by tabs; the reason
        //  last, with its control characters made spaces
        pf_json_append (text, "%s\t%.*s\t", dead->name, (int) dead->record.topic_size,
                        (const char *) dead->record.topic);
        for (size_t index = 0; index < dead->record.key_size; index++)
            pf_json_append (text, "%02x", dead->record.key [index]);
        pf_json_append (text, "\t%u\t%" PRId64 "\t%zu\t%d\t", dead->attempts, dead->dead_at,
                        dead->payload_size, dead->replaying ? 1 : 0);
        for (size_t index = 0; index < dead->reason_size; index++) {
            byte c = dead->reason [index];
            pf_buf_put_u8 (text, c < 0x20 || c == 0x7F ? ' ' : c);
        }
        pf_buf_put_u8 (text, '\n');
    }
    listing->count++;
}

static zmsg_t *
s_dlq_list (s_core_t *self, pf_control_request_t **request_p)
{
    const char *format = pf_control_request_arg (*request_p, 0);
    if (pf_control_request_args (*request_p) > 1
    ||  (format && !streq (format, "json") && !streq (format, "tsv")))
        return pf_control_reply_error (request_p, "usage: DLQ-LIST [json|tsv]");
    s_listing_t listing = { .json = !format || streq (format, "json") };
    if (listing.json)
        pf_json_append (&listing.text, "[");
    int rc = pf_retry_store_dead_scan (self->store, false, s_list_row, &listing);
    if (listing.json)
        pf_json_append (&listing.text, "]");
    zmsg_t *reply;
    if (rc == 0) {
        zmsg_t *frames = zmsg_new ();
        zmsg_addmem (frames, listing.text.data, listing.text.size);
        reply = pf_control_reply_ok (request_p, &frames);
    }
    else
        reply = pf_control_reply_error (request_p, "cannot read the dead letters");
    pf_buf_free (&listing.text);
    return reply;
}

//  The dead letter the request's one argument names (or 0 for --all when
//  all is allowed); -1 with *reply set when there is none.
static int64_t
s_dlq_target (s_core_t *self, pf_control_request_t **request_p, bool all, zmsg_t **reply)
{
    const char *command = pf_control_request_command (*request_p);
    const char *name = pf_control_request_arg (*request_p, 0);
    if (pf_control_request_args (*request_p) != 1) {
        *reply = pf_control_reply_error (request_p, "usage: %s ID%s", command,
                                         all ? "|--all" : "");
        return -1;
    }
    if (all && streq (name, "--all"))
        return 0;
    int64_t number = pf_retry_store_dead_find (self->store, name);
    if (!number) {
        *reply = pf_control_reply_error (request_p, "no dead letter '%s'", name);
        return -1;
    }
    return number;
}

static zmsg_t *
s_dlq_show (s_core_t *self, pf_control_request_t **request_p)
{
    zmsg_t *reply = NULL;
    int64_t number = s_dlq_target (self, request_p, false, &reply);
    if (number < 0)
        return reply;
    pf_retry_dead_t dead;
    if (pf_retry_store_dead_fetch (self->store, number, &dead) == -1)
        return pf_control_reply_error (request_p, "no dead letter '%s'",
                                       pf_control_request_arg (*request_p, 0));
    zmsg_t *frames = zmsg_new ();
    zmsg_addmem (frames, dead.record.payload, dead.record.payload_size);
    pf_retry_store_release (self->store);
    return pf_control_reply_ok (request_p, &frames);
}

//  Dead letters to queue for replay once the commit is done.
typedef struct {
    int64_t number;
    pf_record_t record;         //  id and key (copied), for the owner
    byte data [PF_PROTO_ID_MAX + PF_PROTO_KEY_MAX];
} s_replay_t;

static void
s_replay_collect (const pf_retry_dead_t *dead, void *arg)
{
    if (dead->replaying)
        return;
    s_replay_t *replay = (s_replay_t *) zmalloc (sizeof (s_replay_t));
    replay->number = dead->number;
    size_t id_size = dead->record.id_size > PF_PROTO_ID_MAX ? PF_PROTO_ID_MAX
                                                            : dead->record.id_size;
    size_t key_size = dead->record.key_size > PF_PROTO_KEY_MAX ? PF_PROTO_KEY_MAX
                                                               : dead->record.key_size;
    memcpy (replay->data, dead->record.id, id_size);
    memcpy (replay->data + id_size, dead->record.key, key_size);
    replay->record.id = replay->data;
    replay->record.id_size = id_size;
    replay->record.key = replay->data + id_size;
    replay->record.key_size = key_size;
    zlistx_add_end ((zlistx_t *) arg, replay);
}

static zmsg_t *
s_dlq_replay (s_core_t *self, pf_control_request_t **request_p)
{
    zmsg_t *reply = NULL;
    int64_t number = s_dlq_target (self, request_p, true, &reply);
    if (number < 0)
        return reply;
    zlistx_t *replays = zlistx_new ();
    zlistx_set_destructor (replays, s_free);
    pf_retry_dead_t dead;
    int rc = 0;
    if (number == 0)
        rc = pf_retry_store_dead_scan (self->store, false, s_replay_collect, replays);
    else
    if (pf_retry_store_dead_fetch (self->store, number, &dead) == 0) {
        s_replay_collect (&dead, replays);
        pf_retry_store_release (self->store);
    }
    if (rc == 0 && zlistx_size (replays)) {
        pf_retry_store_begin (self->store);
        pf_retry_store_dead_replay (self->store, number);
        rc = pf_retry_store_commit (self->store);
    }
    if (rc == 0) {
        for (s_replay_t *replay = (s_replay_t *) zlistx_first (replays); replay;
             replay = (s_replay_t *) zlistx_next (replays))
            s_replay_queue (self, replay->number, &replay->record);
        char count [24];
        snprintf (count, sizeof count, "%zu", zlistx_size (replays));
        zmsg_t *frames = zmsg_new ();
        zmsg_addstr (frames, count);
        reply = pf_control_reply_ok (request_p, &frames);
        pf_notice ("replay of dead letters requested count=%s", count);
    }
    else
        reply = pf_control_reply_error (request_p, "the retry node cannot write its database");
    zlistx_destroy (&replays);
    return reply;
}

static zmsg_t *
s_dlq_purge (s_core_t *self, pf_control_request_t **request_p)
{
    zmsg_t *reply = NULL;
    int64_t number = s_dlq_target (self, request_p, true, &reply);
    if (number < 0)
        return reply;
    int64_t count = number ? 1 : pf_retry_store_dead_count (self->store);
    pf_retry_store_begin (self->store);
    pf_retry_store_dead_delete (self->store, number);
    if (pf_retry_store_commit (self->store))
        return pf_control_reply_error (request_p, "the retry node cannot write its database");
    //  Replays queued for them are skipped when their turn comes
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, count);
    zmsg_t *frames = zmsg_new ();
    zmsg_addstr (frames, text);
    pf_notice ("dead letters purged count=%s", text);
    return pf_control_reply_ok (request_p, &frames);
}

static void
s_control (s_core_t *self, zmsg_t *msg)
{
    pf_control_request_t *request = pf_control_request_new (&msg);
    if (!request)
        return;
    const char *command = pf_control_request_command (request);
    zmsg_t *reply;
    if (!command)
        reply = pf_control_reply_error (&request, "malformed request: expected "
                                        PF_CONTROL_VERSION " COMMAND [ARG...]");
    else
    if (streq (command, "PING")) {
        zmsg_t *frames = zmsg_new ();
        zmsg_addstr (frames, "PONG");
        reply = pf_control_reply_ok (&request, &frames);
    }
    else
    if (streq (command, "STATS")) {
        size_t retrying = pf_retry_sched_count (self->sched, UINT32_MAX, PF_RETRY_ITEM_WAITING)
                        + pf_retry_sched_count (self->sched, UINT32_MAX, PF_RETRY_ITEM_SENT);
        pf_stats_gauge (self->stats, PF_STATS_RETRYING, (int64_t) retrying);
        pf_stats_gauge (self->stats, PF_STATS_DEAD_LETTERS,
                        pf_retry_store_dead_count (self->store));
        pf_stats_gauge (self->stats, PF_STATS_DB_BYTES, pf_stats_db_bytes (self->args->db_path));
        reply = pf_stats_reply (&request, self->stats);
    }
    else
    if (streq (command, "DLQ-LIST"))
        reply = s_dlq_list (self, &request);
    else
    if (streq (command, "DLQ-SHOW"))
        reply = s_dlq_show (self, &request);
    else
    if (streq (command, "DLQ-REPLAY"))
        reply = s_dlq_replay (self, &request);
    else
    if (streq (command, "DLQ-PURGE"))
        reply = s_dlq_purge (self, &request);
    else
        reply = pf_control_reply_error (&request, "unknown command '%s'", command);
    zmsg_pushstr (reply, "CONTROL");
    zmsg_send (&reply, self->pipe);
}

//  ---- Turns ----------------------------------------------------------------------------

static void
s_turn (s_core_t *self, bool readable)
{
    self->now = zclock_time ();
    bool group = false;
    for (size_t taken = 0; readable && taken < S_TURN_MAX; taken++) {
        if (taken > 0 && !(zsock_events (self->pipe) & ZMQ_POLLIN))
            break;
        zmsg_t *msg = zmsg_recv (self->pipe);
        if (!msg) {
            self->terminated = true;
            break;
        }
        char *kind = zmsg_popstr (msg);
        if (kind && streq (kind, "LINK")) {
            if (!group)
                pf_retry_store_begin (self->store);
            group = true;
            s_link (self, msg);
        }
        else
        if (kind && streq (kind, "UNREACHABLE"))
            s_unreachable (self, msg);
        else
        if (kind && streq (kind, "CONTROL")) {
            zlistx_add_end (self->controls, msg);
            msg = NULL;
        }
        else
        if (kind && streq (kind, "FLUSH"))
            self->flush_requested = true;
        else
            self->terminated = true;        //  $TERM
        free (kind);
        zmsg_destroy (&msg);
        if (self->flush_requested || self->terminated)
            break;
    }
    if (group) {
        if (pf_retry_store_commit (self->store) == 0) {
            //  TAKEN only now, after the commit
            for (size_t index = 0; index < self->proc_count; index++)
                s_to_proc (self, &self->procs [index], "TAKEN", &self->procs [index].taken);
        }
        else {
            //  Nothing of the turn happened: the procs resend what they hold
            s_load (self);
        }
    }
    for (uint32_t index = 0; index < self->proc_count; index++)
        s_send_proc (self, index);
    zmsg_t *msg;
    while ((msg = (zmsg_t *) zlistx_detach (self->controls, NULL)))
        s_control (self, msg);
    if (self->flush_requested) {
        zstr_send (self->pipe, "FLUSHED");
        self->flush_requested = false;
    }
}

static void
s_msg_destroy (void **item)
{
    zmsg_destroy ((zmsg_t **) item);
}

void
pf_retry_core (zsock_t *pipe, void *args)
{
    s_core_t self = { .pipe = pipe, .args = (pf_retry_core_args_t *) args };
    zsock_signal (pipe, 0);
    if (sodium_init () < 0) {
        pf_node_report (pipe, "cannot initialise libsodium");
        free (zstr_recv (pipe));
        return;
    }
    char *error = NULL;
    self.store = pf_retry_store_new (self.args->db_path, &error);
    if (self.store) {
        self.now = zclock_time ();
        self.sched = pf_retry_sched_new (0);
        s_procs_init (&self);
        if (s_load (&self))
            error = zsys_sprintf ("database '%s': cannot read it", self.args->db_path);
        else
            pf_notice ("store open db=%s retrying=%zu replaying=%zu dead=%" PRId64,
                       self.args->db_path,
                       pf_retry_sched_count (self.sched, UINT32_MAX, PF_RETRY_ITEM_WAITING)
                       - self.replays, self.replays, pf_retry_store_dead_count (self.store));
    }
    pf_node_report (pipe, error);
    if (error) {
        free (error);
        if (self.sched)
            s_procs_destroy (&self);
        pf_retry_sched_destroy (&self.sched);
        pf_retry_store_destroy (&self.store);
        free (zstr_recv (pipe));    //  wait for $TERM
        return;
    }
    self.controls = zlistx_new ();
    self.stats = pf_stats_new ("retry");
    zlistx_set_destructor (self.controls, s_msg_destroy);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    zpoller_set_nonstop (poller, true);
    while (!self.terminated) {
        void *which = zpoller_wait (poller, s_wake_in (&self));
        s_turn (&self, which == pipe);
    }
    zpoller_destroy (&poller);
    zlistx_destroy (&self.controls);
    pf_stats_destroy (&self.stats);
    s_procs_destroy (&self);
    pf_retry_sched_destroy (&self.sched);
    pf_retry_store_destroy (&self.store);
}
