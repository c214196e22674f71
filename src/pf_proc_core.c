//  pf_proc_core - the proc's core actor: store, delivery, hand-offs.

#include "pf_classes.h"

//  At most this many records taken into one group commit
#define S_GROUP_RECORDS     20000
//  Suggested wait for a client answered BUSY because the proc is full
#define S_BUSY_RETRY_MS     500
//  Timers (delivery timeouts, silent workers, hand-off resends) run this often
#define S_TICK_MS           100
//  A hand-off the retry node has not taken is sent again after this long
#define S_HANDOFF_RESEND_MS 2000
//  After a failed commit, deliveries and hand-offs wait this long
#define S_PAUSE_AFTER_FAILURE_MS    1000
//  One FAILED message holds about this much at most; the rest go next turn
#define S_HANDOFF_BYTES     (1024 * 1024)
//  Rows of the backlog on disk read back into memory in one turn at most
#define S_BACKLOG_ROWS      2000

typedef struct {
    zsock_t *pipe;
    zsock_t *endpoint;          //  ROUTER: the edges' hand-offs, handed over by the
                                //  socket loop once bound; NULL before that
    bool edges_closed;          //  stopping: no more hand-offs are taken
    zpoller_t *poller;          //  on the pipe and the endpoint, for waits
    pf_proc_core_args_t *args;
    pf_proc_store_t *store;
    pf_proc_sched_t *sched;
    uint64_t backlog_from;      //  open messages from this seq on wait in the store
                                //  alone (see "The backlog on disk"); 0: none
    int64_t now;                //  monotonic ms of this turn
    //  This turn
    zlistx_t *requests;         //  zmsg_t * taken from the pipe
    size_t records;             //  records of MSGS in them
    bool flush_requested;
    bool terminated;
    zlistx_t *replies;          //  zmsg_t * to send after the commit
    zlistx_t *verdicts;         //  zmsg_t * VERDICTS for the endpoint (BUSY if the
                                //  commit fails)
    zhashx_t *batches;          //  worker name -> s_batch_t, DELIVERB being built
    pf_buf_t handoffs;          //  FAILED entries for the retry node
    pf_buf_t acks;              //  REINJECTED / GONE records being built
    bool retry_warned;          //  logged once that no retry node is configured
    int64_t writes_paused_until;    //  after a failed commit: no deliveries till then
    pf_stats_t *stats;          //  this thread's counters; read only here
    uint64_t turn_verdicts [3]; //  accepted, duplicates, busy of this turn, counted
                                //  once the commit has decided them
    pf_log_limit_t unheld_log;  //  DONE/FAIL for ids not held: a line a second
    pf_alert_t backlog_alert;   //  on the open messages
    pf_alert_t p99_alert;       //  on the end-to-end p99 of each alert window
    pf_hist_t *window_e2e;      //  end-to-end latencies of this alert window
    int64_t window_began;       //  monotonic ms
} s_core_t;

//  A DELIVERB being built for one worker.
typedef struct {
    pf_sched_worker_t *worker;
    pf_buf_t body;
    uint32_t records;
} s_batch_t;

static void
s_msg_destroy (void **item)
{
    zmsg_destroy ((zmsg_t **) item);
}

static void
s_batch_destroy (void **item)
{
    s_batch_t *batch = (s_batch_t *) *item;
    pf_buf_free (&batch->body);
    free (batch);
    *item = NULL;
}

//  Copy a field of at most size - 1 bytes as a C string.
static void
s_copy_text (char *text, size_t size, const byte *data, size_t data_size)
{
    if (data_size >= size)
        data_size = size - 1;
    memcpy (text, data, data_size);
    text [data_size] = 0;
}

//  Queue a message to a worker, sent after the commit.
static void
s_to_worker (s_core_t *self, pf_sched_worker_t *worker, pf_cmd_t cmd, size_t argc,
             const void **arg, const size_t *arg_size)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "WORKER");
    zframe_t *routing_id = zframe_dup (pf_proc_sched_worker_id (worker));
    zmsg_append (msg, &routing_id);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, PF_PROTO_VERSION);
    zmsg_addstr (msg, pf_cmd_name (cmd));
    for (size_t index = 0; index < argc; index++)
        zmsg_addmem (msg, arg [index], arg_size [index]);
    zlistx_add_end (self->replies, msg);
}

static void
s_disconnect (s_core_t *self, zframe_t *routing_id, const char *why)
{
    pf_info ("worker told to DISCONNECT: %s", why);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "WORKER");
    zframe_t *copy = zframe_dup (routing_id);
    zmsg_append (msg, &copy);
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, PF_PROTO_VERSION);
    zmsg_addstr (msg, "DISCONNECT");
    zlistx_add_end (self->replies, msg);
}

static void
s_to_retry (s_core_t *self, const char *command, pf_buf_t *body)
{
    if (body->size == 0)
        return;
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "RETRY");
    zmsg_addstr (msg, command);
    zmsg_addmem (msg, body->data, body->size);
    pf_buf_reset (body);
    zlistx_add_end (self->replies, msg);
}

//  ---- The backlog on disk ----------------------------------------------------------
//
//  The bookkeeping holds at most open-in-memory open messages (some 440
//  bytes each) waiting for a worker. Messages accepted beyond that wait
//  in the store alone, from seq backlog_from on, and are read back in seq
//  order, a few thousand a turn, once the bookkeeping is down to half.
//  Every message in memory came before every one on disk, and a key's line
//  is filled in seq order, so per-key order holds. Failed messages (handed
//  to the retry node or held by it) are always in memory, as the retry
//  node's answers must find them, and they do not count, nor do (strict)
//  the messages their keys hold back: a retry backlog or a stuck key does
//  not keep the other keys' messages from being read back. Nor do the
//  messages in flight (at most the workers' credit), so that workers with
//  much credit are never kept short.

//  Open messages in the bookkeeping waiting for a worker, now or once the
//  messages of their key before them are done. (A failed message behind
//  another, which a restart from relaxed into strict order can leave, is
//  counted twice: hence the floor at 0.)
static size_t
s_waiting (s_core_t *self)
{
    size_t open = pf_proc_sched_open (self->sched);
    size_t aside = pf_proc_sched_failed (self->sched) + pf_proc_sched_blocked (self->sched)
                 + pf_proc_sched_inflight (self->sched);
    return open > aside ? open - aside : 0;
}

//  Whether a message just opened at seq joins the bookkeeping now.
static bool
s_in_memory (s_core_t *self, uint64_t seq)
{
    if (!self->backlog_from && s_waiting (self) >= (size_t) self->args->open_in_memory) {
        self->backlog_from = seq;
        pf_notice ("backlog waits on disk from seq=%" PRIu64 " in_memory=%zu", seq,
                   pf_proc_sched_open (self->sched));
    }
    return !self->backlog_from;
}

//  Add an open message to the bookkeeping (which copies the strings).
static pf_sched_msg_t *
s_sched_add (s_core_t *self, uint64_t seq, uint32_t partition, uint32_t attempts,
             pf_sched_state_t state, const pf_record_t *record)
{
    char id [PF_PROTO_ID_MAX + 1], topic [PF_PROTO_TOPIC_MAX + 1];
    s_copy_text (id, sizeof id, record->id, record->id_size);
    s_copy_text (topic, sizeof topic, record->topic, record->topic_size);
    return pf_proc_sched_add (self->sched, seq, partition, attempts, state, id, topic,
                              record->key, record->key_size);
}

static void
s_add_row (s_core_t *self, const pf_store_row_t *row)
{
    pf_sched_state_t state = row->state == PF_STORE_HANDOFF ? PF_SCHED_HANDOFF
                           : row->state == PF_STORE_RETRYING ? PF_SCHED_RETRYING
                           : PF_SCHED_READY;
    s_sched_add (self, row->seq, row->partition, row->attempts, state, &row->record);
}

//  At start-up: every row in memory up to open-in-memory, then only those
//  the retry node holds or is handed.
static void
s_load_row (const pf_store_row_t *row, void *arg)
{
    s_core_t *self = (s_core_t *) arg;
    if (row->state != PF_STORE_READY || s_in_memory (self, row->seq))
        s_add_row (self, row);
}

//  Read back: a row already in memory was loaded at start-up for the retry
//  node, and has been given back since.
static void
s_backlog_row (const pf_store_row_t *row, void *arg)
{
    s_core_t *self = (s_core_t *) arg;
    if (!pf_proc_sched_find (self->sched, row->seq))
        s_add_row (self, row);
    self->backlog_from = row->seq + 1;
}

static void
s_backlog_read (s_core_t *self)
{
    size_t waiting = s_waiting (self);
    if (!self->backlog_from || waiting > (size_t) self->args->open_in_memory / 2)
        return;
    size_t room = (size_t) self->args->open_in_memory - waiting;
    size_t limit = room < S_BACKLOG_ROWS ? room : S_BACKLOG_ROWS;
    int64_t read = pf_proc_store_scan (self->store, self->backlog_from, limit,
                                       s_backlog_row, self);
    if (read >= 0 && (size_t) read < limit) {
        self->backlog_from = 0;
        pf_notice ("backlog read back from disk in_memory=%zu",
                   pf_proc_sched_open (self->sched));
    }
}

//  (Re)build the delivery bookkeeping from the open messages on disk,
//  keeping the workers that have sent READY.
static void
s_load_sched (s_core_t *self)
{
    if (!self->sched)
        self->sched = pf_proc_sched_new (self->args->strict);
    pf_proc_sched_forget_messages (self->sched);
    self->backlog_from = 0;
    pf_proc_store_scan (self->store, 1, 0, s_load_row, self);
}

//  ---- Hand-offs to the retry node ------------------------------------------------

//  A delivery failed: record it and hand the message to the retry node.
static void
s_fail (s_core_t *self, pf_sched_msg_t *msg, const char *reason)
{
    pf_debug ("delivery failed id=%s attempt=%u reason=%s", msg->id, msg->attempts, reason);
    pf_stats_count (self->stats, PF_STATS_FAILED, 1);
    pf_proc_store_update (self->store, msg->seq, PF_STORE_HANDOFF, msg->attempts, reason);
    pf_proc_sched_handoff (self->sched, msg, self->now);   //  sent this turn
}

//  Append the FAILED entry of one message in HANDOFF.
static void
s_handoff_entry (s_core_t *self, pf_sched_msg_t *msg)
{
    pf_record_t record;
    const char *reason = "";
    if (pf_proc_store_fetch (self->store, msg->seq, &record, &reason) == -1)
        return;
    pf_link_entry_t entry = {
        .seq = msg->seq, .partition = msg->partition, .attempt = msg->attempts,
        .reason = (const byte *) reason, .reason_size = strlen (reason), .record = record
    };
    pf_link_put_entry (&self->handoffs, &entry);
    pf_proc_store_release (self->store);
}

//  Send (again) every hand-off that is due.
static void
s_handoffs_send (s_core_t *self)
{
    zlistx_t *due = zlistx_new ();
    pf_proc_sched_handoff_due (self->sched, self->now, due);
    if (zlistx_size (due) && !self->args->has_retry) {
        if (!self->retry_warned)
            pf_warning ("no retry node configured: failed messages wait, count=%zu",
                        zlistx_size (due));
        self->retry_warned = true;
    }
    else
        for (pf_sched_msg_t *msg = (pf_sched_msg_t *) zlistx_first (due);
             msg && self->handoffs.size < S_HANDOFF_BYTES;
             msg = (pf_sched_msg_t *) zlistx_next (due)) {
            s_handoff_entry (self, msg);
            pf_proc_sched_handoff (self->sched, msg, self->now + S_HANDOFF_RESEND_MS);
        }
    zlistx_destroy (&due);
    s_to_retry (self, "FAILED", &self->handoffs);
}

//  ---- From the retry node -------------------------------------------------------

static void
s_retry_taken (s_core_t *self, pf_reader_t *reader)
{
    uint64_t seq;
    while (!pf_reader_done (reader) && pf_reader_u64 (reader, &seq)) {
        pf_sched_msg_t *msg = pf_proc_sched_find (self->sched, seq);
        if (msg && msg->state == PF_SCHED_HANDOFF) {
            pf_proc_store_update (self->store, seq, PF_STORE_RETRYING, msg->attempts, NULL);
            pf_proc_sched_retrying (self->sched, msg);
        }
    }
}

static void
s_retry_reinject (s_core_t *self, pf_reader_t *reader)
{
    pf_link_entry_t entry;
    while (pf_link_entry_next (reader, &entry) == 1) {
        uint32_t attempts = entry.attempt > 0 ? entry.attempt - 1 : 0;
        uint64_t seq = entry.seq;
        pf_sched_msg_t *msg = seq ? pf_proc_sched_find (self->sched, seq) : NULL;
        //  HANDOFF too: the retry node's TAKEN may have been lost on the way
        if (msg && (msg->state == PF_SCHED_RETRYING || msg->state == PF_SCHED_HANDOFF)
        &&  entry.attempt > msg->attempts) {
            pf_proc_store_update (self->store, seq, PF_STORE_READY, attempts, NULL);
            pf_proc_sched_reinjected (self->sched, msg, attempts);
        }
        else
        if (seq & PF_LINK_REPLAY) {
            //  A replayed dead letter: open again as a new message, once
            bool opened = false;
            uint64_t ticket = seq;
            seq = pf_proc_store_replay (self->store, ticket, entry.partition, &entry.record,
                                        &opened);
            if (opened && s_in_memory (self, seq))
                s_sched_add (self, seq, entry.partition, 0, PF_SCHED_READY, &entry.record);
        }
        //  Anything else is a repeat of one already handled: answer again
        pf_buf_put_u64 (&self->acks, entry.seq);
        pf_buf_put_u64 (&self->acks, seq);
    }
    s_to_retry (self, "REINJECTED", &self->acks);
}

static void
s_retry_dead (s_core_t *self, pf_reader_t *reader)
{
    uint64_t seq;
    while (!pf_reader_done (reader) && pf_reader_u64 (reader, &seq)) {
        pf_sched_msg_t *msg = pf_proc_sched_find (self->sched, seq);
        if (msg && msg->state != PF_SCHED_INFLIGHT) {
            pf_proc_store_delete (self->store, seq);
            pf_proc_sched_remove (self->sched, msg);
        }
        pf_buf_put_u64 (&self->acks, seq);
    }
    s_to_retry (self, "GONE", &self->acks);
}

static void
s_from_retry (s_core_t *self, zmsg_t *request)
{
    char *command = zmsg_popstr (request);
    zframe_t *body = zmsg_first (request);
    if (command && body) {
        pf_reader_t reader;
        pf_reader_init (&reader, zframe_data (body), zframe_size (body));
        if (streq (command, "TAKEN"))
            s_retry_taken (self, &reader);
        else
        if (streq (command, "REINJECT"))
            s_retry_reinject (self, &reader);
        else
        if (streq (command, "DEAD"))
            s_retry_dead (self, &reader);
        else
            pf_warning ("unknown command from the retry node, dropped");
    }
    free (command);
}

//  ---- From edges ------------------------------------------------------------------

static void
s_from_edge (s_core_t *self, zmsg_t *request)
{
    zframe_t *routing_id = zmsg_first (request);
    zframe_t *body = zmsg_next (request);
    pf_buf_t verdicts = { 0 };
    pf_reader_t reader;
    pf_reader_init (&reader, zframe_data (body), zframe_size (body));
    pf_link_msg_t msg;
    int64_t accepted_at = zclock_usecs ();
    while (pf_link_msgs_next (&reader, &msg)) {
        uint64_t seq = 0;
        char status = pf_proc_store_put (self->store, msg.partition, &msg.record, &seq);
        if (status == 'A' && s_in_memory (self, seq)) {
            pf_sched_msg_t *open = s_sched_add (self, seq, msg.partition, 0, PF_SCHED_READY,
                                                &msg.record);
            open->accepted_at = accepted_at;
        }
        pf_stats_count (self->stats, PF_STATS_RECEIVED, 1);
        self->turn_verdicts [status == 'A' ? 0 : status == 'D' ? 1 : 2]++;
        pf_link_verdict_t verdict = {
            .ticket = msg.ticket, .status = status,
            .retry_after = status == 'B' ? S_BUSY_RETRY_MS : 0
        };
        pf_link_put_verdict (&verdicts, &verdict);
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addmem (reply, zframe_data (routing_id), zframe_size (routing_id));
    zmsg_addstr (reply, PF_LINK_VERSION);
    zmsg_addstr (reply, "VERDICTS");
    zmsg_addmem (reply, verdicts.data, verdicts.size);
    pf_buf_free (&verdicts);
    zlistx_add_end (self->verdicts, reply);
}

//  Turn every verdict of a VERDICTS body into BUSY (the turn was not committed).
static void
s_all_busy (zframe_t *body)
{
    byte *data = zframe_data (body);
    size_t size = zframe_size (body);
    //  Records are 13 bytes: u64 ticket, u8 status, u32 retry-after
    for (size_t at = 0; at + 13 <= size; at += 13) {
        data [at + 8] = 'B';
        data [at + 9] = (byte) (S_BUSY_RETRY_MS >> 24);
        data [at + 10] = (byte) (S_BUSY_RETRY_MS >> 16);
        data [at + 11] = (byte) (S_BUSY_RETRY_MS >> 8);
        data [at + 12] = (byte) S_BUSY_RETRY_MS;
    }
}

//  ---- From workers ---------------------------------------------------------------

//  A worker answered for an id it does not hold (late, after a timeout, or
//  wrong): ignored, and logged at most once a second.
static void
s_unheld (s_core_t *self, const char *command)
{
    size_t suppressed;
    if (pf_log_limit_pass (&self->unheld_log, 1000, &suppressed))
        pf_info ("%s for an id the worker does not hold, ignored suppressed=%zu", command,
                 suppressed);
}

static void
s_worker_done (s_core_t *self, pf_sched_worker_t *worker, const byte *id, size_t id_size)
{
    pf_sched_msg_t *msg = pf_proc_sched_held (self->sched, worker, (const char *) id, id_size);
    if (!msg) {
        s_unheld (self, "DONE");
        return;
    }
    pf_stats_count (self->stats, PF_STATS_DONE, 1);
    if (msg->accepted_at) {
        int64_t e2e_us = zclock_usecs () - msg->accepted_at;
        pf_stats_latency (self->stats, PF_STATS_E2E_US, e2e_us);
        pf_hist_record (self->window_e2e, e2e_us);
    }
    pf_proc_store_delete (self->store, msg->seq);
    pf_proc_sched_remove (self->sched, msg);
}

static void
s_worker_ready (s_core_t *self, zframe_t *routing_id, const pf_message_t *message)
{
    uint64_t credit = 0, batch_size = 1;
    char prefixes [1024];
    if (pf_proto_ready_args (message, &credit, &batch_size, prefixes, sizeof prefixes)) {
        s_disconnect (self, routing_id, "READY with a credit or batch size out of range");
        return;
    }
    bool known = pf_proc_sched_worker (self->sched, routing_id) != NULL;
    pf_proc_sched_worker_ready (self->sched, routing_id, prefixes, (uint32_t) credit,
                                (uint32_t) batch_size, self->now);
    if (!known)
        pf_info ("worker connected topics='%s' credit=%" PRIu64 " batch=%" PRIu64, prefixes,
                 credit, batch_size);
}

static void
s_from_worker (s_core_t *self, zmsg_t *request)
{
    zframe_t *routing_id = zmsg_pop (request);
    pf_message_t message;
    const char *text = NULL;
    if (pf_proto_parse (request, &message, &text) != PF_REASON_OK) {
        s_disconnect (self, routing_id, text);
        zframe_destroy (&routing_id);
        return;
    }
    pf_sched_worker_t *worker = pf_proc_sched_worker (self->sched, routing_id);
    if (worker)
        pf_proc_sched_worker_seen (worker, self->now);
    if (message.cmd == PF_CMD_PING) {
        zmsg_t *pong = zmsg_new ();
        zmsg_addstr (pong, "WORKER");
        zframe_t *copy = zframe_dup (routing_id);
        zmsg_append (pong, &copy);
        zmsg_addmem (pong, "", 0);
        zmsg_addstr (pong, PF_PROTO_VERSION);
        zmsg_addstr (pong, "PONG");
        zlistx_add_end (self->replies, pong);
        //  A worker that pings a proc that does not know it (the proc has
        //  restarted) would otherwise never hear that it must send READY
        if (!worker)
            s_disconnect (self, routing_id, "PING from a worker that has not sent READY");
    }
    else
    if (message.cmd == PF_CMD_READY)
        s_worker_ready (self, routing_id, &message);
    else
    if (!worker)
        s_disconnect (self, routing_id, "a command from a worker that has not sent READY");
    else
    if (message.cmd == PF_CMD_DONE)
        s_worker_done (self, worker, message.arg [0], message.arg_size [0]);
    else
    if (message.cmd == PF_CMD_DONEB) {
        pf_reader_t reader;
        pf_reader_init (&reader, message.arg [0], message.arg_size [0]);
        const byte *id;
        size_t id_size;
        while (!pf_reader_done (&reader) && pf_reader_short (&reader, &id, &id_size))
            s_worker_done (self, worker, id, id_size);
    }
    else
    if (message.cmd == PF_CMD_FAIL) {
        pf_sched_msg_t *msg = pf_proc_sched_held (self->sched, worker,
                                                  (const char *) message.arg [0],
                                                  message.arg_size [0]);
        char reason [256];
        size_t size = message.arg_size [1] < 255 ? message.arg_size [1] : 255;
        memcpy (reason, message.arg [1], size);
        reason [size] = 0;
        if (msg)
            s_fail (self, msg, reason);
        else
            s_unheld (self, "FAIL");
    }
    else
    if (message.cmd != PF_CMD_PONG)
        s_disconnect (self, routing_id, "a command a worker may not send");
    zframe_destroy (&routing_id);
}

//  ---- Timers and deliveries --------------------------------------------------------

//  Forget a worker; each delivery it held fails with reason.
static void
s_worker_remove (s_core_t *self, pf_sched_worker_t *worker, const char *reason)
{
    zlistx_t *lost = zlistx_new ();
    pf_proc_sched_worker_remove (self->sched, worker, lost);
    pf_warning ("%s, its deliveries fail count=%zu", reason, zlistx_size (lost));
    for (pf_sched_msg_t *msg = (pf_sched_msg_t *) zlistx_first (lost); msg;
         msg = (pf_sched_msg_t *) zlistx_next (lost))
        s_fail (self, msg, reason);
    zlistx_destroy (&lost);
}

static void
s_timers (s_core_t *self)
{
    zlistx_t *list = zlistx_new ();
    pf_proc_sched_silent (self->sched, self->now - self->args->heartbeat_timeout, list);
    for (pf_sched_worker_t *worker = (pf_sched_worker_t *) zlistx_first (list); worker;
         worker = (pf_sched_worker_t *) zlistx_next (list))
        s_worker_remove (self, worker, "worker lost");
    zlistx_purge (list);
    pf_proc_sched_expired (self->sched, self->now, list);
    for (pf_sched_msg_t *msg = (pf_sched_msg_t *) zlistx_first (list); msg;
         msg = (pf_sched_msg_t *) zlistx_next (list))
        s_fail (self, msg, "delivery-timeout");
    zlistx_destroy (&list);
}

static void
s_batch_flush (s_core_t *self, s_batch_t *batch)
{
    if (batch->records == 0)
        return;
    const void *arg [1] = { batch->body.data };
    size_t arg_size [1] = { batch->body.size };
    s_to_worker (self, batch->worker, PF_CMD_DELIVERB, 1, arg, arg_size);
    pf_buf_reset (&batch->body);
    batch->records = 0;
}

static void
s_deliver (s_core_t *self, pf_sched_worker_t *worker, pf_sched_msg_t *msg)
{
    pf_record_t record;
    const char *reason;
    if (pf_proc_store_fetch (self->store, msg->seq, &record, &reason) == -1) {
        pf_error ("open message missing from the store seq=%" PRIu64, msg->seq);
        return;
    }
    record.attempt = msg->attempts;
    uint32_t batch_size = pf_proc_sched_worker_batch (worker);
    if (batch_size <= 1) {
        char attempt [16];
        snprintf (attempt, sizeof attempt, "%u", msg->attempts);
        const void *arg [5] = { record.id, record.topic, record.key, attempt, record.payload };
        size_t arg_size [5] = { record.id_size, record.topic_size, record.key_size,
                                strlen (attempt), record.payload_size };
        s_to_worker (self, worker, PF_CMD_DELIVER, 5, arg, arg_size);
    }
    else {
        char *name = zframe_strhex (pf_proc_sched_worker_id (worker));
        s_batch_t *batch = (s_batch_t *) zhashx_lookup (self->batches, name);
        if (!batch) {
            batch = (s_batch_t *) zmalloc (sizeof (s_batch_t));
            batch->worker = worker;
            zhashx_insert (self->batches, name, batch);
        }
        free (name);
        pf_proto_put_deliver_record (&batch->body, &record);
        if (++batch->records >= batch_size)
            s_batch_flush (self, batch);
    }
    pf_proc_store_release (self->store);
    pf_proc_store_update (self->store, msg->seq, PF_STORE_READY, msg->attempts, NULL);
    pf_stats_count (self->stats, PF_STATS_DELIVERED, 1);
}

static void
s_deliveries (s_core_t *self)
{
    pf_sched_worker_t *worker;
    pf_sched_msg_t *msg;
    int64_t deadline = self->now + self->args->delivery_timeout;
    while (pf_proc_sched_next (self->sched, deadline, &worker, &msg))
        s_deliver (self, worker, msg);
    for (s_batch_t *batch = (s_batch_t *) zhashx_first (self->batches); batch;
         batch = (s_batch_t *) zhashx_next (self->batches))
        s_batch_flush (self, batch);
    zhashx_purge (self->batches);
}

//  ---- The turn ---------------------------------------------------------------------

//  Take one message from the pipe, if one waits. Returns false if none.
static bool
s_take_pipe (s_core_t *self)
{
    if (!(zsock_events (self->pipe) & ZMQ_POLLIN))
        return false;
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg)
        return false;
    zframe_t *first = zmsg_first (msg);
    if (zframe_streq (first, "ENDPOINT")) {
        //  The socket as zsock_send's "p" sends it; from now on it is ours alone
        zframe_t *pointer = zmsg_next (msg);
        assert (pointer && zframe_size (pointer) == sizeof (zsock_t *));
        memcpy (&self->endpoint, zframe_data (pointer), sizeof (zsock_t *));
        zpoller_add (self->poller, self->endpoint);
    }
    else
    if (zframe_streq (first, "FLUSH")) {
        self->flush_requested = true;
        self->edges_closed = true;
    }
    else
    if (zframe_streq (first, "$TERM"))
        self->terminated = true;
    else {
        zlistx_add_end (self->requests, msg);
        return true;
    }
    zmsg_destroy (&msg);
    return true;
}

//  Take one hand-off from an edge (routing-id "PL1" "MSGS" body), if one
//  waits, as the request "EDGE" routing-id body. Returns false if none.
static bool
s_take_edge (s_core_t *self)
{
    if (!self->endpoint || self->edges_closed
    ||  !(zsock_events (self->endpoint) & ZMQ_POLLIN))
        return false;
    zmsg_t *msg = zmsg_recv (self->endpoint);
    if (!msg)
        return false;
    zframe_t *routing_id = zmsg_pop (msg);
    const char *command;
    size_t command_size;
    zframe_t *body;
    size_t count = 0;
    if (routing_id && pf_link_parse (msg, &command, &command_size, &body) == 0
    &&  pf_link_is (command, command_size, "MSGS")
    &&  pf_link_msgs_check (zframe_data (body), zframe_size (body), &count) == 0) {
        zmsg_remove (msg, body);
        zmsg_t *request = zmsg_new ();
        zmsg_addstr (request, "EDGE");
        zmsg_append (request, &routing_id);
        zmsg_append (request, &body);
        zlistx_add_end (self->requests, request);
        self->records += count;
    }
    else
        pf_warning ("malformed hand-off from a node, dropped");
    zframe_destroy (&routing_id);
    zmsg_destroy (&msg);
    return true;
}

//  Take a message from the pipe and one from the endpoint, waiting up to
//  timeout ms for either. Returns false if none came.
static bool
s_take (s_core_t *self, int timeout)
{
    //  One from each, so that neither side waits for the other to be quiet
    bool took = s_take_pipe (self);
    took = s_take_edge (self) || took;
    if (took || timeout == 0 || !zpoller_wait (self->poller, timeout))
        return took;
    took = s_take_pipe (self);
    return s_take_edge (self) || took;
}

//  The socket loop found a worker's connection closed.
static void
s_worker_gone (s_core_t *self, zmsg_t *request)
{
    zframe_t *routing_id = zmsg_first (request);
    pf_sched_worker_t *worker = routing_id ? pf_proc_sched_worker (self->sched, routing_id)
                                           : NULL;
    if (worker)
        s_worker_remove (self, worker, "worker gone");
}

//  "CONTROL" routing-id frames...: answer at once, with the gauges read now.
static void
s_control (s_core_t *self, zmsg_t *request)
{
    pf_stats_gauge (self->stats, PF_STATS_WORKERS, (int64_t) pf_proc_sched_workers (self->sched));
    pf_stats_gauge (self->stats, PF_STATS_PENDING, pf_proc_store_pending (self->store));
    pf_stats_gauge (self->stats, PF_STATS_INFLIGHT,
                    (int64_t) pf_proc_sched_inflight (self->sched));
    pf_stats_gauge (self->stats, PF_STATS_DB_BYTES, pf_stats_db_bytes (self->args->db_path));
    zmsg_t *msg = zmsg_dup (request);
    zmsg_t *reply = pf_stats_control (&msg, self->stats);
    if (reply) {
        zmsg_pushstr (reply, "CONTROL");
        zmsg_send (&reply, self->pipe);
    }
    zmsg_destroy (&reply);
}

//  ---- Alerts ---------------------------------------------------------------------

static void
s_alerts_init (s_core_t *self)
{
    int64_t backlog = self->args->backlog_alert;
    //  Cleared a tenth below the threshold, so a backlog hovering near it
    //  does not flap
    pf_alert_init (&self->backlog_alert, "backlog", "messages", backlog, backlog - backlog / 10);
    int64_t p99_us = self->args->p99_alert * 1000;
    pf_alert_init (&self->p99_alert, "p99", "us", p99_us, p99_us);
    self->window_e2e = pf_hist_new ();
    self->window_began = self->now;
}

static void
s_alert_counted (s_core_t *self, int change, pf_stats_counter_t raises,
                 pf_stats_gauge_t state)
{
    if (change == 1)
        pf_stats_count (self->stats, raises, 1);
    if (change)
        pf_stats_gauge (self->stats, state, change == 1);
}

//  The backlog is checked every turn; the p99 once per alert window, over
//  the deliveries done in it (none done while messages wait keeps the state)
static void
s_alerts_check (s_core_t *self)
{
    int64_t open = pf_proc_store_pending (self->store);
    s_alert_counted (self, pf_alert_check (&self->backlog_alert, open),
                     PF_STATS_BACKLOG_ALERTS, PF_STATS_BACKLOG_ALERT);
    if (self->now - self->window_began < self->args->alert_window)
        return;
    self->window_began = self->now;
    if (pf_hist_count (self->window_e2e) || open == 0) {
        int64_t p99 = pf_hist_percentile (self->window_e2e, 99);
        s_alert_counted (self, pf_alert_check (&self->p99_alert, p99),
                         PF_STATS_P99_ALERTS, PF_STATS_P99_ALERT);
    }
    pf_hist_reset (self->window_e2e);
}

static void
s_apply (s_core_t *self, zmsg_t *request)
{
    char *kind = zmsg_popstr (request);
    if (streq (kind, "CONTROL"))
        s_control (self, request);
    else
    if (streq (kind, "EDGE"))
        s_from_edge (self, request);
    else
    if (streq (kind, "GONE"))
        s_worker_gone (self, request);
    else
    if (streq (kind, "WORKER"))
        s_from_worker (self, request);
    else
    if (streq (kind, "RETRY"))
        s_from_retry (self, request);
    free (kind);
}

//  Send every message of list on socket, emptying the list.
static void
s_send_all (zlistx_t *list, zsock_t *socket)
{
    zmsg_t *msg = (zmsg_t *) zlistx_first (list);
    while (msg) {
        zmsg_t *taken = msg;
        zlistx_detach_cur (list);
        zmsg_send (&taken, socket);
        zmsg_destroy (&taken);      //  an edge that has gone: dropped
        msg = (zmsg_t *) zlistx_first (list);
    }
}

static void
s_turn (s_core_t *self)
{
    self->now = zclock_mono ();
    pf_proc_store_begin (self->store);
    for (zmsg_t *request = (zmsg_t *) zlistx_first (self->requests); request;
         request = (zmsg_t *) zlistx_next (self->requests))
        s_apply (self, request);
    zlistx_purge (self->requests);
    self->records = 0;
    s_backlog_read (self);
    //  After a failed commit, wait a little before writing for anything but
    //  new messages, so that a full disk does not turn every turn into a
    //  failed delivery
    if (self->now >= self->writes_paused_until) {
        s_timers (self);
        s_deliveries (self);
        s_handoffs_send (self);
    }
    s_alerts_check (self);
    uint64_t *verdicts = self->turn_verdicts;
    if (pf_proc_store_commit (self->store) == 0) {
        pf_stats_count (self->stats, PF_STATS_ACCEPTED, verdicts [0]);
        pf_stats_count (self->stats, PF_STATS_DUPLICATES, verdicts [1]);
        pf_stats_count (self->stats, PF_STATS_BUSY, verdicts [2]);
        s_send_all (self->replies, self->pipe);
    }
    else {
        pf_stats_count (self->stats, PF_STATS_BUSY, verdicts [0] + verdicts [1] + verdicts [2]);
        for (zmsg_t *reply = (zmsg_t *) zlistx_first (self->verdicts); reply;
             reply = (zmsg_t *) zlistx_next (self->verdicts))
            s_all_busy (zmsg_last (reply));
        zlistx_purge (self->replies);
        s_load_sched (self);
        self->writes_paused_until = self->now + S_PAUSE_AFTER_FAILURE_MS;
    }
    verdicts [0] = verdicts [1] = verdicts [2] = 0;
    //  Verdicts go out only now, after the commit (BUSY if it failed)
    s_send_all (self->verdicts, self->endpoint);
}

void
pf_proc_core (zsock_t *pipe, void *args)
{
    s_core_t self = { .pipe = pipe, .args = (pf_proc_core_args_t *) args };
    zsock_signal (pipe, 0);
    char *error = NULL;
    self.store = pf_proc_store_new (self.args->db_path, self.args->sync_full,
                                    self.args->window_s, self.args->max_pending, &error);
    if (self.store) {
        s_load_sched (&self);
        pf_notice ("store open db=%s open=%" PRId64 " remembered=%zu", self.args->db_path,
                   pf_proc_store_pending (self.store), pf_proc_store_remembered (self.store));
    }
    pf_node_report (pipe, error);
    free (error);
    if (!self.store) {
        free (zstr_recv (pipe));    //  wait for $TERM
        return;
    }
    self.poller = zpoller_new (pipe, NULL);
    zpoller_set_nonstop (self.poller, true);
    self.requests = zlistx_new ();
    zlistx_set_destructor (self.requests, s_msg_destroy);
    self.replies = zlistx_new ();
    zlistx_set_destructor (self.replies, s_msg_destroy);
    self.verdicts = zlistx_new ();
    zlistx_set_destructor (self.verdicts, s_msg_destroy);
    self.batches = zhashx_new ();
    zhashx_set_destructor (self.batches, s_batch_destroy);
    self.stats = pf_stats_new ("proc");
    pf_stats_gauge (self.stats, PF_STATS_BACKLOG_ALERT, 0);
    pf_stats_gauge (self.stats, PF_STATS_P99_ALERT, 0);
    self.now = zclock_mono ();
    s_alerts_init (&self);
    int64_t ticked = zclock_mono ();
    while (!self.terminated) {
        //  Wait for work or the next tick, then take whatever else is queued:
        //  under load a turn grows, so each commit covers many messages
        int64_t wait = S_TICK_MS - (zclock_mono () - ticked);
        bool work = s_take (&self, wait > 0 ? (int) wait : 0);
        while (work && !self.terminated && !self.flush_requested
           &&  self.records < S_GROUP_RECORDS && s_take (&self, 0))
            ;
        if (zlistx_size (self.requests) || zclock_mono () - ticked >= S_TICK_MS
        ||  self.flush_requested) {
            s_turn (&self);
            if (zclock_mono () - ticked >= S_TICK_MS)
                ticked = zclock_mono ();
        }
        if (self.flush_requested) {
            zstr_send (pipe, "FLUSHED");
            self.flush_requested = false;
        }
    }
    zpoller_destroy (&self.poller);
    if (self.endpoint)
        zsock_set_linger (self.endpoint, 2000);     //  let the last verdicts leave
    zsock_destroy (&self.endpoint);
    zlistx_destroy (&self.requests);
    zlistx_destroy (&self.replies);
    zlistx_destroy (&self.verdicts);
    zhashx_destroy (&self.batches);
    pf_stats_destroy (&self.stats);
    pf_hist_destroy (&self.window_e2e);
    pf_buf_free (&self.handoffs);
    pf_buf_free (&self.acks);
    pf_proc_sched_destroy (&self.sched);
    pf_proc_store_destroy (&self.store);
}
