//  pf_worker - the public worker API (include/pushfabric.h).
//
//  Runs in the caller's thread, with no thread of its own, inside
//  pf_worker_run and pf_worker_heartbeat. Per proc: one DEALER, a CURVE
//  client of the proc's `workers` endpoint, and a PAIR on that DEALER's
//  monitor, whose events say when a connection opens or closes.
//
//  Registration. A proc knows a worker by its connection and forgets it when
//  the proc restarts, when the worker is silent past heartbeat-timeout, or
//  when it answers DISCONNECT. So READY goes out:
//      - after every successful handshake (the first connection, a restarted
//        proc, a connection libzmq rebuilt after a network fault);
//      - after DISCONNECT;
//      - when we have sent nothing for S_SILENCE heartbeats (run was not
//        called, or a handler ran long): the proc may have dropped us, and
//        a READY it does not need only replaces the same prefixes and credit;
//      - when the proc has not answered a PING for S_SILENCE - 1 heartbeats
//        (so it has been silent for about S_SILENCE heartbeats).
//  READY goes out at most once per heartbeat (at most once a second), so a
//  proc that refuses our READY with DISCONNECT does not make a busy loop.
//  ZMTP heartbeats on each DEALER close a connection whose peer has gone
//  without a word, so that libzmq reconnects.
//
//  Deliveries. Everything received is drained into a per-proc queue (the
//  proc never sends more than our credit, so it is bounded), then handled
//  one delivery at a time, the procs' queues in turn. A batch's DONEs are
//  gathered into one DONEB, sent when the batch ends, when a heartbeat is
//  due (it is a sign of life and returns credit early), or when run
//  returns. FAILs go out at once. When a connection closes, or opens anew,
//  or the proc says DISCONNECT, what we hold from that proc is forgotten:
//  the proc delivers it again, and handling it here too would only do the
//  work twice.
//
//  Sends never block: SNDTIMEO 0 and ZMQ_IMMEDIATE, so without a connection
//  a send fails at once and the answer is dropped (the proc redelivers).
//  High-water marks are off both ways: what is in flight is bounded by the
//  credit, and a ROUTER drops what does not fit, which would cost a
//  delivery-timeout per lost message.

#include "pf_classes.h"

#define S_CREDIT                100
#define S_BATCH_SIZE            1
#define S_HEARTBEAT_MS          3000
#define S_HEARTBEAT_MAX_MS      3600000
#define S_SILENCE               3       //  heartbeats of silence before READY again
#define S_READY_GAP_MS          1000    //  at most one READY per this (or per heartbeat)
#define S_PROCS_MAX             1024
#define S_TOPICS_MAX            1000
#define S_REASON_SIZE           256
#define S_LINGER_MS             1000    //  let the last answers out at exit

//  One DELIVER or DELIVERB as received, until all of it is handled.
typedef struct {
    zmsg_t *msg;                //  the frames; message points into them
    pf_message_t message;       //  parsed
    uint32_t attempt;           //  DELIVER: the attempt, already checked
    pf_reader_t reader;         //  DELIVERB: at the next record
    size_t left;                //  records not yet handled
} s_work_t;

//  One proc we serve.
typedef struct {
    char *endpoint;             //  its workers endpoint, for log lines
    zsock_t *socket;            //  DEALER, CURVE client of the proc
    zsock_t *monitor;           //  PAIR, the DEALER's connection events
    zlistx_t *queue;            //  s_work_t *, received and not all handled, oldest first
    pf_buf_t done;              //  DONEB records gathered from the head batch
    size_t done_count;          //  records in done
    bool connected;             //  a handshake succeeded, no disconnect since
    bool need_ready;            //  send READY at the next chance
    bool blocked;               //  a send would not go: wait for POLLOUT
    bool silent;                //  the proc's silence was logged, until it speaks
    bool failure_logged;        //  a handshake failure was logged, until one succeeds
    unsigned disconnects;       //  DISCONNECTs since the last delivery (log once)
    int64_t ready_at;           //  ms, when READY last went out
    int64_t sent_at;            //  ms, when anything last went out
    int64_t heard_at;           //  ms, when a frame last came in
    int64_t pinged_at;          //  ms, first PING since then that we could see
                                //  answered (sent while reading); 0 if none
} s_proc_t;

struct _pf_worker_t {
    s_proc_t *procs;            //  proc_count of them
    size_t proc_count;
    zmq_pollitem_t *items;      //  two per proc: its socket, its monitor
    size_t next;                //  whose queue is served next (round robin)
    char *topics;               //  the READY prefixes
    char credit [24];           //  the READY credit, decimal
    char batch [24];            //  the READY batch size, decimal ("1": no field)
    int64_t heartbeat;          //  ms
    int64_t ready_gap;          //  ms
    pf_worker_handler_fn *handler;  //  the caller's
    void *arg;                  //  its argument
    bool in_handler;            //  a handler call is in progress
    volatile sig_atomic_t stop; //  pf_worker_stop was called
};

static void
s_work_destroy (void **item)
{
    s_work_t *work = (s_work_t *) *item;
    if (work) {
        zmsg_destroy (&work->msg);
        free (work);
        *item = NULL;
    }
}

//  Forget what we hold from proc: its queued deliveries and gathered DONEs.
static void
s_forget (s_proc_t *proc)
{
    zlistx_purge (proc->queue);
    pf_buf_reset (&proc->done);
    proc->done_count = 0;
}

//  ---- Sending --------------------------------------------------------------------

//  Note the outcome of a send on proc. Without a connection (or, right after
//  a handshake, before the socket has attached it) a send fails with EAGAIN;
//  then timers wait for POLLOUT rather than retry at once.
static int
s_sent (s_proc_t *proc, int rc, pf_cmd_t cmd)
{
    if (rc == -1) {
        proc->blocked = errno == EAGAIN;
        pf_debug ("worker cannot send %s to proc '%s': %s", pf_cmd_name (cmd),
                  proc->endpoint, zmq_strerror (errno));
        return -1;
    }
    proc->blocked = false;
    proc->sent_at = zclock_mono ();
    return 0;
}

static int
s_send (s_proc_t *proc, pf_cmd_t cmd, size_t argc, const void **arg, const size_t *arg_size)
{
    return s_sent (proc, pf_proto_send (proc->socket, NULL, cmd, argc, arg, arg_size), cmd);
}

static void
s_send_ready (pf_worker_t *self, s_proc_t *proc)
{
    const void *arg [3] = { self->topics, self->credit, self->batch };
    size_t arg_size [3] = { strlen (self->topics), strlen (self->credit),
                            strlen (self->batch) };
    //  Without the batch-size field the proc sends single DELIVERs
    size_t argc = streq (self->batch, "1") ? 2 : 3;
    if (s_send (proc, PF_CMD_READY, argc, arg, arg_size) == -1)
        return;
    int64_t now = zclock_mono ();
    proc->need_ready = false;
    proc->ready_at = now;
    proc->pinged_at = 0;        //  the proc does not answer READY: start anew
    pf_debug ("worker sent READY to proc '%s' topics='%s' credit=%s batch=%s",
              proc->endpoint, self->topics, self->credit, self->batch);
}

//  Send the DONEs gathered from the head batch, if any.
static void
s_flush_done (s_proc_t *proc)
{
    if (proc->done_count == 0)
        return;
    //  Dropped if it does not go: the proc delivers those again
    s_sent (proc, pf_proto_send_buf (proc->socket, NULL, PF_CMD_DONEB, &proc->done),
            PF_CMD_DONEB);
    pf_buf_reset (&proc->done);
    proc->done_count = 0;
}

//  What is due on proc: READY, then a heartbeat. With reading, we have just
//  drained the socket, so a proc that sent nothing has been silent.
static void
s_timers (pf_worker_t *self, s_proc_t *proc, int64_t now, bool reading)
{
    if (!proc->connected || proc->blocked)
        return;
    int64_t silence = S_SILENCE * self->heartbeat;
    if (reading && proc->pinged_at
    &&  now - proc->pinged_at >= silence - self->heartbeat && !proc->need_ready) {
        if (!proc->silent)
            pf_info ("proc '%s' silent for %" PRId64 " ms, sending READY again",
                     proc->endpoint, now - proc->heard_at);
        proc->silent = true;
        proc->need_ready = true;
    }
    //  We said nothing for long: the proc may have counted us as lost
    if (now - proc->sent_at >= silence)
        proc->need_ready = true;
    if (proc->need_ready && now - proc->ready_at >= self->ready_gap)
        s_send_ready (self, proc);
    if (!proc->blocked && now - proc->sent_at >= self->heartbeat) {
        if (proc->done_count)
            s_flush_done (proc);
        else
        //  A PING sent from a handler (not reading) is answered while we
        //  cannot see it: only the run loop's PINGs watch for silence
        if (s_send (proc, PF_CMD_PING, 0, NULL, NULL) == 0 && reading && !proc->pinged_at)
            proc->pinged_at = now;
    }
}

//  ---- Handling deliveries ----------------------------------------------------------

//  Answer one handled record: DONE (or a DONEB record), or FAIL with reason.
static void
s_answer (s_proc_t *proc, const pf_record_t *record, bool batch, int rc, char *reason)
{
    if (rc == 0) {
        if (batch) {
            pf_buf_put_short (&proc->done, record->id, record->id_size);
            proc->done_count++;
        }
        else {
            const void *arg [1] = { record->id };
            size_t arg_size [1] = { record->id_size };
            s_send (proc, PF_CMD_DONE, 1, arg, arg_size);
        }
        return;
    }
    //  A handler that failed while the process was being interrupted most
    //  likely failed because of it (its child got the same Ctrl-C); say
    //  nothing, and the proc delivers the message again
    if (zsys_interrupted) {
        pf_debug ("worker leaves '%.*s' unanswered: interrupted", (int) record->id_size,
                  record->id);
        return;
    }
    if (!*reason)
        strcpy (reason, "handler failed");
    const void *arg [2] = { record->id, reason };
    size_t arg_size [2] = { record->id_size, strlen (reason) };
    s_send (proc, PF_CMD_FAIL, 2, arg, arg_size);
}

//  Check a delivered record, call the handler, answer. Returns 1 if the
//  handler ran, else 0.
static int
s_handle_record (pf_worker_t *self, s_proc_t *proc, const pf_record_t *record, bool batch)
{
    char reason [S_REASON_SIZE] = "";
    const char *text = NULL;
    if (pf_proto_check_id (record->id, record->id_size, &text) != PF_REASON_OK) {
        //  Nothing we could answer would name it
        pf_warning ("worker ignores a delivery from proc '%s' with a bad id: %s",
                    proc->endpoint, text);
        return 0;
    }
    if (pf_proto_check_topic (record->topic, record->topic_size, &text) != PF_REASON_OK
    ||  record->key_size > PF_PROTO_KEY_MAX || record->attempt == 0) {
        snprintf (reason, sizeof reason, "malformed delivery: %s",
                  text ? text : "bad key or attempt");
        pf_warning ("worker fails '%.*s' from proc '%s': %s", (int) record->id_size,
                    record->id, proc->endpoint, reason);
        s_answer (proc, record, batch, 1, reason);
        return 0;
    }
    char id [PF_PROTO_ID_MAX + 1];
    char topic [PF_PROTO_TOPIC_MAX + 1];
    memcpy (id, record->id, record->id_size);
    id [record->id_size] = 0;
    memcpy (topic, record->topic, record->topic_size);
    topic [record->topic_size] = 0;
    pf_delivery_t delivery = {
        .id = id,
        .topic = topic,
        .key = record->key,
        .key_size = record->key_size,
        .attempt = record->attempt,
        .payload = record->payload,
        .payload_size = record->payload_size,
        .endpoint = proc->endpoint
    };
    self->in_handler = true;
    int rc = self->handler (&delivery, self->arg, reason, sizeof reason);
    self->in_handler = false;
    reason [sizeof reason - 1] = 0;
    s_answer (proc, record, batch, rc, reason);
    return 1;
}

//  Handle the next record of proc's oldest delivery. Returns 1 if the
//  handler ran, else 0.
static int
s_handle_next (pf_worker_t *self, s_proc_t *proc)
{
    s_work_t *work = (s_work_t *) zlistx_first (proc->queue);
    assert (work && work->left > 0);
    void *handle = zlistx_cursor (proc->queue);
    pf_record_t record;
    bool batch = work->message.cmd == PF_CMD_DELIVERB;
    if (batch) {
        bool next = pf_proto_batch_next (&work->reader, true, &record);
        assert (next);          //  pf_proto_batch_check accepted the frame
    }
    else {
        const pf_message_t *message = &work->message;
        record = (pf_record_t) {
            .id = message->arg [0], .id_size = message->arg_size [0],
            .topic = message->arg [1], .topic_size = message->arg_size [1],
            .key = message->arg [2], .key_size = message->arg_size [2],
            .attempt = work->attempt,
            .payload = message->arg [4], .payload_size = message->arg_size [4]
        };
    }
    work->left--;
    int handled = s_handle_record (self, proc, &record, batch);
    //  Nothing reads the socket during the handler, so work is still the head
    if (work->left == 0) {
        s_flush_done (proc);
        zlistx_delete (proc->queue, handle);
    }
    return handled;
}

//  The proc whose delivery goes next: the one in the middle of a batch, or
//  the next one with a queue, in turn. NULL if nothing is queued.
static s_proc_t *
s_next_proc (pf_worker_t *self)
{
    for (size_t turn = 0; turn < self->proc_count; turn++) {
        size_t index = (self->next + turn) % self->proc_count;
        s_proc_t *proc = &self->procs [index];
        s_work_t *work = (s_work_t *) zlistx_first (proc->queue);
        if (work) {
            //  Stay with a batch until it is done, then move on
            bool last = work->left == 1;
            self->next = last ? (index + 1) % self->proc_count : index;
            return proc;
        }
    }
    return NULL;
}

//  ---- Receiving ------------------------------------------------------------------

static void
s_disconnected (pf_worker_t *self, s_proc_t *proc)
{
    s_forget (proc);
    proc->need_ready = true;
    proc->disconnects++;
    if (proc->disconnects == 1)
        pf_info ("proc '%s' disconnected this worker, sending READY again", proc->endpoint);
    else
    if (proc->disconnects == 3)
        pf_warning ("proc '%s' keeps disconnecting this worker (topics='%s' credit=%s "
                    "batch=%s)", proc->endpoint, self->topics, self->credit, self->batch);
}

//  Queue a DELIVER or DELIVERB (taking msg), or answer what cannot be queued.
static void
s_take_delivery (s_proc_t *proc, zmsg_t **msg_p, const pf_message_t *message)
{
    s_work_t *work = (s_work_t *) zmalloc (sizeof (s_work_t));
    work->message = *message;
    const char *text = NULL;
    if (message->cmd == PF_CMD_DELIVERB) {
        if (pf_proto_batch_check (message->arg [0], message->arg_size [0], true,
                                  &work->left, &text) != PF_REASON_OK) {
            pf_warning ("worker ignores a DELIVERB from proc '%s': %s", proc->endpoint, text);
            free (work);
            return;
        }
        pf_reader_init (&work->reader, message->arg [0], message->arg_size [0]);
    }
    else {
        uint64_t attempt = 0;
        //  attempt 0 stands for a bad one; s_handle_record answers FAIL
        if (pf_proto_number (message->arg [3], message->arg_size [3], 1, UINT32_MAX,
                             &attempt) == 0)
            work->attempt = (uint32_t) attempt;
        work->left = 1;
    }
    work->msg = *msg_p;
    *msg_p = NULL;
    zlistx_add_end (proc->queue, work);
    proc->disconnects = 0;
}

static void
s_command (pf_worker_t *self, s_proc_t *proc, zmsg_t **msg_p)
{
    pf_message_t message;
    const char *text = NULL;
    if (pf_proto_parse (*msg_p, &message, &text) != PF_REASON_OK) {
        pf_warning ("worker ignores a malformed message from proc '%s': %s", proc->endpoint,
                    text);
        return;
    }
    switch (message.cmd) {
        case PF_CMD_DELIVER:
        case PF_CMD_DELIVERB:
            s_take_delivery (proc, msg_p, &message);
            break;
        case PF_CMD_PING:
            s_send (proc, PF_CMD_PONG, 0, NULL, NULL);
            break;
        case PF_CMD_PONG:
            break;
        case PF_CMD_DISCONNECT:
            s_disconnected (self, proc);
            break;
        default:
            pf_debug ("worker ignores %s from proc '%s'", pf_cmd_name (message.cmd),
                      proc->endpoint);
    }
}

//  Act on one monitor event. Returns true if the connection closed or opened.
static bool
s_monitor_event (s_proc_t *proc, int code, uint32_t value)
{
    switch (code) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            //  A new connection: whatever came over the old one the proc
            //  will deliver again (it restarted, or it lost us)
            s_forget (proc);
            proc->connected = true;
            proc->need_ready = true;
            proc->blocked = false;
            proc->ready_at = 0;
            proc->pinged_at = 0;
            proc->heard_at = zclock_mono ();
            proc->failure_logged = false;
            pf_info ("worker connected to proc '%s'", proc->endpoint);
            return true;
        case ZMQ_EVENT_DISCONNECTED:
            if (proc->connected)
                pf_info ("worker lost its connection to proc '%s'", proc->endpoint);
            s_forget (proc);
            proc->connected = false;
            return true;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            if (!proc->failure_logged)
                pf_warning ("proc '%s' refused this worker's key (status %u): is its public "
                            "certificate in the fabric's keys/workers/?", proc->endpoint,
                            value);
            proc->failure_logged = true;
            break;
        default:
            if (!proc->failure_logged)
                pf_warning ("handshake with proc '%s' failed (event 0x%x value 0x%x): is the "
                            "proc's public key right?", proc->endpoint, code, value);
            proc->failure_logged = true;
    }
    return false;
}

//  Take every message waiting on proc's socket (RCVTIMEO 0; ask first, as
//  zmsg_recv allocates).
static void
s_receive_messages (pf_worker_t *self, s_proc_t *proc)
{
    while (zsock_events (proc->socket) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (proc->socket);
        if (!msg)
            break;
        proc->heard_at = zclock_mono ();
        proc->pinged_at = 0;
        proc->silent = false;
        s_command (self, proc, &msg);
        zmsg_destroy (&msg);
    }
}

//  Take everything waiting from proc: messages, then connection events.
//  A closed or new connection forgets the deliveries queued before it, so
//  the messages go first; and as the last ones of an old connection may
//  land just after we looked, look again and forget those too. (A new
//  connection brings no delivery before our READY, which goes later.)
static void
s_receive (pf_worker_t *self, s_proc_t *proc)
{
    s_receive_messages (self, proc);
    bool changed = false;
    int code;
    uint32_t value;
    while ((code = pf_node_monitor_next (proc->monitor, &value)))
        changed |= s_monitor_event (proc, code, value);
    if (changed) {
        s_receive_messages (self, proc);
        s_forget (proc);
    }
}

//  ---- Waiting ----------------------------------------------------------------------

//  When s_timers next has something to do on proc; INT64_MAX if never.
static int64_t
s_next_timer (pf_worker_t *self, s_proc_t *proc)
{
    if (!proc->connected || proc->blocked)
        return INT64_MAX;       //  a connection event or POLLOUT wakes us
    int64_t silence = S_SILENCE * self->heartbeat;
    int64_t next = proc->sent_at + self->heartbeat;
    if (!proc->need_ready && proc->pinged_at
    &&  proc->pinged_at + silence - self->heartbeat < next)
        next = proc->pinged_at + silence - self->heartbeat;
    if (proc->need_ready && proc->ready_at + self->ready_gap < next)
        next = proc->ready_at + self->ready_gap;
    return next;
}

//  Wait for input, a connection event, room for a blocked READY, the next
//  timer, or until. Returns 0, or -1 if polling failed (errno set).
static int
s_wait (pf_worker_t *self, int64_t until)
{
    int64_t next = until;
    for (size_t index = 0; index < self->proc_count; index++) {
        s_proc_t *proc = &self->procs [index];
        int64_t timer = s_next_timer (self, proc);
        if (timer < next)
            next = timer;
        zmq_pollitem_t *item = &self->items [index * 2];
        item->events = ZMQ_POLLIN;
        if (proc->connected && proc->blocked)
            item->events |= ZMQ_POLLOUT;
    }
    long timeout = -1;
    if (next != INT64_MAX) {
        int64_t wait = next - zclock_mono ();
        timeout = wait <= 0 ? 0 : (long) wait;
    }
    if (zmq_poll (self->items, (int) self->proc_count * 2, timeout) == -1) {
        if (errno == EINTR)
            return 0;       //  the caller looks at zsys_interrupted and stop
        return -1;
    }
    for (size_t index = 0; index < self->proc_count; index++)
        if (self->items [index * 2].revents & ZMQ_POLLOUT)
            self->procs [index].blocked = false;
    return 0;
}

//  ---- The public API -----------------------------------------------------------

//  A one-line reason if the options cannot work, else NULL.
static char *
s_check_options (const pf_worker_options_t *options)
{
    if (!options)
        return strdup ("worker options are missing");
    if (!options->handler)
        return strdup ("worker options need a handler");
    if (!options->procs || options->proc_count == 0)
        return strdup ("worker options need at least one proc");
    if (options->proc_count > S_PROCS_MAX)
        return zsys_sprintf ("proc_count=%zu is above %d", options->proc_count, S_PROCS_MAX);
    for (size_t index = 0; index < options->proc_count; index++) {
        const pf_worker_proc_t *proc = &options->procs [index];
        if (!proc->endpoint || !*proc->endpoint)
            return zsys_sprintf ("proc %zu has no endpoint", index + 1);
        if (!pf_keys_valid_public (proc->server_public))
            return zsys_sprintf ("public key '%s' of proc '%s' is not 40 characters of Z85",
                                 proc->server_public ? proc->server_public : "",
                                 proc->endpoint);
    }
    if (!options->cert_path || !*options->cert_path)
        return strdup ("worker options need a cert_path");
    const char *topics = options->topics ? options->topics : "";
    if (strlen (topics) > S_TOPICS_MAX)
        return zsys_sprintf ("topics are longer than %d bytes", S_TOPICS_MAX);
    for (const char *cursor = topics; *cursor; cursor++)
        if (!isalnum ((byte) *cursor) && !strchr ("._-,", *cursor))
            return zsys_sprintf ("topics '%s' may hold only A-Z a-z 0-9 . _ - and commas",
                                 topics);
    size_t credit = options->credit ? options->credit : S_CREDIT;
    if (credit > PF_PROTO_CREDIT_MAX)
        return zsys_sprintf ("credit=%zu is above %d", credit, PF_PROTO_CREDIT_MAX);
    size_t batch_size = options->batch_size ? options->batch_size : S_BATCH_SIZE;
    if (batch_size > PF_PROTO_BATCH_MAX)
        return zsys_sprintf ("batch_size=%zu is above %d", batch_size, PF_PROTO_BATCH_MAX);
    if (batch_size > credit)
        return zsys_sprintf ("batch_size=%zu is above credit=%zu: a batch could never fill",
                             batch_size, credit);
    if (options->heartbeat_ms < 0 || options->heartbeat_ms > S_HEARTBEAT_MAX_MS)
        return zsys_sprintf ("heartbeat_ms=%d is outside 1 to %d", options->heartbeat_ms,
                             S_HEARTBEAT_MAX_MS);
    return NULL;
}

//  Open proc's DEALER and its monitor. Returns 0, or -1 with *error set.
static int
s_proc_open (s_proc_t *proc, const pf_worker_proc_t *option, zcert_t *cert,
             int heartbeat_ms, char **error)
{
    proc->endpoint = strdup (option->endpoint);
    proc->queue = zlistx_new ();
    zlistx_set_destructor (proc->queue, s_work_destroy);
    proc->socket = zsock_new (ZMQ_DEALER);
    if (!proc->socket) {
        *error = zsys_sprintf ("cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    pf_keys_curve_client (proc->socket, cert, option->server_public);
    zsock_set_immediate (proc->socket, 1);
    zsock_set_sndtimeo (proc->socket, 0);
    zsock_set_rcvtimeo (proc->socket, 0);
    zsock_set_sndhwm (proc->socket, 0);
    zsock_set_rcvhwm (proc->socket, 0);
    zsock_set_linger (proc->socket, S_LINGER_MS);
    zsock_set_heartbeat_ivl (proc->socket, heartbeat_ms);
    zsock_set_heartbeat_timeout (proc->socket, S_SILENCE * heartbeat_ms);
    //  The monitor must exist before the connection, or we miss its handshake
    proc->monitor = pf_node_monitor (proc->socket, error);
    if (!proc->monitor)
        return -1;
    if (zsock_connect (proc->socket, "%s", proc->endpoint) == -1) {
        *error = zsys_sprintf ("cannot connect to '%s': %s", proc->endpoint,
                               zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

static void
s_proc_close (s_proc_t *proc)
{
    pf_node_monitor_destroy (proc->socket, &proc->monitor);
    zsock_destroy (&proc->socket);
    zlistx_destroy (&proc->queue);
    pf_buf_free (&proc->done);
    free (proc->endpoint);
}

pf_worker_t *
pf_worker_new (const pf_worker_options_t *options, char **error)
{
    char *problem = s_check_options (options);
    zcert_t *cert = NULL;
    if (!problem)
        cert = pf_keys_load (options->cert_path, true, &problem);
    if (problem) {
        if (error)
            *error = problem;
        else
            free (problem);
        return NULL;
    }
    pf_worker_t *self = (pf_worker_t *) zmalloc (sizeof (pf_worker_t));
    self->topics = strdup (options->topics ? options->topics : "");
    snprintf (self->credit, sizeof self->credit, "%zu",
              options->credit ? options->credit : S_CREDIT);
    snprintf (self->batch, sizeof self->batch, "%zu",
              options->batch_size ? options->batch_size : S_BATCH_SIZE);
    self->heartbeat = options->heartbeat_ms ? options->heartbeat_ms : S_HEARTBEAT_MS;
    self->ready_gap = self->heartbeat < S_READY_GAP_MS ? self->heartbeat : S_READY_GAP_MS;
    self->handler = options->handler;
    self->arg = options->arg;
    self->proc_count = options->proc_count;
    self->procs = (s_proc_t *) zmalloc (self->proc_count * sizeof (s_proc_t));
    self->items = (zmq_pollitem_t *) zmalloc (self->proc_count * 2 * sizeof (zmq_pollitem_t));
    problem = NULL;
    for (size_t index = 0; index < self->proc_count && !problem; index++) {
        s_proc_t *proc = &self->procs [index];
        if (s_proc_open (proc, &options->procs [index], cert, (int) self->heartbeat,
                         &problem) == 0) {
            self->items [index * 2].socket = zsock_resolve (proc->socket);
            self->items [index * 2 + 1].socket = zsock_resolve (proc->monitor);
            self->items [index * 2 + 1].events = ZMQ_POLLIN;
        }
    }
    zcert_destroy (&cert);
    if (problem) {
        pf_worker_destroy (&self);
        if (error)
            *error = problem;
        else
            free (problem);
        return NULL;
    }
    if (error)
        *error = NULL;
    return self;
}

void
pf_worker_destroy (pf_worker_t **self_p)
{
    assert (self_p);
    pf_worker_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->proc_count; index++)
        s_proc_close (&self->procs [index]);
    free (self->procs);
    free (self->items);
    free (self->topics);
    free (self);
    *self_p = NULL;
}

int
pf_worker_run (pf_worker_t *self, int timeout_ms)
{
    assert (self);
    if (self->in_handler) {
        errno = EBUSY;
        return -1;
    }
    int64_t until = timeout_ms < 0 ? INT64_MAX : zclock_mono () + timeout_ms;
    int handled = 0;
    int rc = 0;
    while (true) {
        if (zsys_interrupted) {
            errno = EINTR;
            rc = -1;
            break;
        }
        if (self->stop)
            break;
        int64_t now = zclock_mono ();
        for (size_t index = 0; index < self->proc_count; index++) {
            s_receive (self, &self->procs [index]);
            s_timers (self, &self->procs [index], now, true);
        }
        s_proc_t *proc = s_next_proc (self);
        if (proc)
            handled += s_handle_next (self, proc);
        if (zclock_mono () >= until)
            break;
        if (!proc && s_wait (self, until) == -1) {
            pf_error ("worker cannot poll its sockets: %s", zmq_strerror (errno));
            rc = -1;
            break;
        }
    }
    //  Don't hold the DONEs of a batch in progress until the next call
    for (size_t index = 0; index < self->proc_count; index++)
        s_flush_done (&self->procs [index]);
    self->stop = 0;
    return rc == -1 ? -1 : handled;
}

void
pf_worker_stop (pf_worker_t *self)
{
    assert (self);
    self->stop = 1;
}

void
pf_worker_heartbeat (pf_worker_t *self)
{
    assert (self);
    int64_t now = zclock_mono ();
    for (size_t index = 0; index < self->proc_count; index++)
        s_timers (self, &self->procs [index], now, false);
}
