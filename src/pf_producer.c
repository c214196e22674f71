//  pf_producer - the public producer client (include/pushfabric.h).
//
//  Runs in the caller's thread, with no thread of its own: one DEALER socket,
//  a CURVE client of an edge's frontend. All I/O happens inside
//  pf_producer_push (only when the window is full or a batch is due),
//  pf_producer_poll and pf_producer_flush.
//
//  A message lives in one allocation (the struct, then its id, topic, key
//  and payload) from push to its final verdict. It is always on the age list
//  (push order, for the deadline) and on exactly one state list:
//      queue       to be sent: new, or due for a resend (FIFO)
//      inflight    sent, waiting for a verdict, in send order; as resend_ms
//                  is the same for all, the head is the next to time out
//      delayed     answered BUSY, ordered by when it may be resent
//  A pf_map keyed by id finds the message a verdict names.
//
//  Sends never block. The socket has ZMQ_SNDTIMEO 0 (so the pf_proto_send
//  helpers, which take no flags, act as with ZMQ_DONTWAIT) and ZMQ_IMMEDIATE,
//  so while the edge is not connected, or its pipe is full, a send fails with
//  EAGAIN; the messages then stay queued and we poll for ZMQ_POLLOUT.
//
//  A whole-batch `PF1 NACK "" MALFORMED text` carries no id, so it cannot be
//  matched to a batch. Our encoder should never cause one; it is logged, and
//  that batch's records are resent by the resend_ms rule, like any record
//  left unanswered.
//
//  on_verdict may call pf_producer_push and pf_producer_pending (the message
//  it reports is already forgotten), but not pf_producer_destroy.

#include "pf_classes.h"

#define S_WINDOW                1000
#define S_WINDOW_MAX            1000000
#define S_BATCH_RECORDS         256
#define S_BATCH_BYTES           (1024 * 1024)
#define S_LINGER_MS             1
#define S_RESEND_MS             5000
#define S_DEADLINE_MS           60000
//  Retry-after when a BUSY carries no valid number
#define S_BUSY_FALLBACK_MS      100
//  Record bytes besides id, topic, key and payload: three u8 lengths, a u32
#define S_RECORD_OVERHEAD       7

#define S_LINK_STATE            0       //  queue, inflight or delayed
#define S_LINK_AGE              1       //  every pending message, push order

typedef struct _s_msg_t s_msg_t;

//  A message's place on one list.
typedef struct {
    s_msg_t *prev;
    s_msg_t *next;
} s_link_t;

//  An intrusive doubly-linked list through one of the messages' links.
typedef struct {
    s_msg_t *head;
    s_msg_t *tail;
    size_t size;
    int link;                   //  S_LINK_STATE or S_LINK_AGE
} s_list_t;

//  One pending message; its fields are stored right after the struct.
struct _s_msg_t {
    s_link_t link [2];          //  indexed by S_LINK_*
    s_list_t *list;             //  the state list it is on
    uint64_t hash;              //  of the id
    void *hint;                 //  the caller's, handed back with the verdict
    int64_t pushed_at;          //  usecs, when pushed (deadline)
    int64_t queued_at;          //  usecs, when it joined the queue (linger)
    int64_t due_at;             //  usecs, resend time (inflight, delayed)
    int64_t first_sent_at;      //  usecs, first send (latency), if sends > 0
    unsigned sends;             //  times handed to the socket
    size_t id_size;
    size_t topic_size;
    size_t key_size;
    size_t payload_size;
    char *id;                   //  NUL-terminated
    char *topic;                //  NUL-terminated
    byte *key;
    byte *payload;
};

//  An id as the table of pending messages is asked for it
typedef struct {
    const void *data;
    size_t size;
} s_id_t;

struct _pf_producer_t {
    zsock_t *socket;            //  DEALER, CURVE client of the edge
    char *endpoint;             //  the edge's frontend, for log lines
    pf_producer_verdict_fn *on_verdict;     //  the caller's callback
    void *arg;                  //  its argument
    size_t window;              //  most messages pending
    size_t batch_records;       //  most records in one PUSHB
    size_t batch_bytes;         //  most bytes in one PUSHB
    int64_t linger_us;          //  hold a batch this long to fill it
    int64_t resend_us;          //  resend when unanswered this long
    int64_t deadline_us;        //  give up after this long; -1 never
    bool single;                //  PUSH instead of PUSHB
    bool blocked;               //  the last send failed; wait for POLLOUT
    pf_map_t *table;            //  every pending message, by id
    s_list_t age;               //  every pending message, push order
    s_list_t queue;             //  to be sent
    s_list_t inflight;          //  sent, unanswered
    s_list_t delayed;           //  answered BUSY
    size_t queue_bytes;         //  PUSHB record bytes on the queue
    pf_buf_t buf;               //  the PUSHB frame being encoded
};

static int64_t
s_now (void)
{
    return zclock_usecs ();
}

//  ---- Lists --------------------------------------------------------------------

//  Insert msg after position; a NULL position means at the head.
static void
s_list_insert (s_list_t *list, s_msg_t *position, s_msg_t *msg)
{
    int which = list->link;
    s_msg_t *next = position ? position->link [which].next : list->head;
    msg->link [which].prev = position;
    msg->link [which].next = next;
    if (position)
        position->link [which].next = msg;
    else
        list->head = msg;
    if (next)
        next->link [which].prev = msg;
    else
        list->tail = msg;
    list->size++;
}

static void
s_list_remove (s_list_t *list, s_msg_t *msg)
{
    int which = list->link;
    s_link_t *link = &msg->link [which];
    if (link->prev)
        link->prev->link [which].next = link->next;
    else
        list->head = link->next;
    if (link->next)
        link->next->link [which].prev = link->prev;
    else
        list->tail = link->prev;
    link->prev = NULL;
    link->next = NULL;
    list->size--;
}

//  ---- Id table -----------------------------------------------------------------

static bool
s_msg_has_id (const void *item, const void *key)
{
    const s_msg_t *msg = (const s_msg_t *) item;
    const s_id_t *id = (const s_id_t *) key;
    return msg->id_size == id->size && memcmp (msg->id, id->data, id->size) == 0;
}

static s_msg_t *
s_table_lookup (pf_producer_t *self, const void *data, size_t size, uint64_t hash)
{
    s_id_t id = { data, size };
    return (s_msg_t *) pf_map_lookup (self->table, hash, &id);
}

//  ---- Message states -----------------------------------------------------------

static size_t
s_record_size (const s_msg_t *msg)
{
    return S_RECORD_OVERHEAD + msg->id_size + msg->topic_size + msg->key_size
         + msg->payload_size;
}

static void
s_state_leave (pf_producer_t *self, s_msg_t *msg)
{
    if (!msg->list)
        return;
    if (msg->list == &self->queue)
        self->queue_bytes -= s_record_size (msg);
    s_list_remove (msg->list, msg);
    msg->list = NULL;
}

static void
s_enqueue (pf_producer_t *self, s_msg_t *msg, int64_t now)
{
    s_state_leave (self, msg);
    msg->queued_at = now;
    s_list_insert (&self->queue, self->queue.tail, msg);
    msg->list = &self->queue;
    self->queue_bytes += s_record_size (msg);
}

static void
s_sent (pf_producer_t *self, s_msg_t *msg, int64_t now)
{
    s_state_leave (self, msg);
    if (msg->sends++ == 0)
        msg->first_sent_at = now;
    msg->due_at = now + self->resend_us;
    s_list_insert (&self->inflight, self->inflight.tail, msg);
    msg->list = &self->inflight;
}

static void
s_delay (pf_producer_t *self, s_msg_t *msg, int64_t due_at)
{
    s_state_leave (self, msg);
    msg->due_at = due_at;
    //  BUSY answers mostly carry the same retry-after, so this finds its
    //  place at or near the tail
    s_msg_t *position = self->delayed.tail;
    while (position && position->due_at > due_at)
        position = position->link [S_LINK_STATE].prev;
    s_list_insert (&self->delayed, position, msg);
    msg->list = &self->delayed;
}

//  Deliver the final verdict on msg and forget it. The message leaves every
//  structure before the callback runs, so the callback may push.
static void
s_final (pf_producer_t *self, s_msg_t *msg, char status, const char *reason,
         const char *text)
{
    int64_t now = s_now ();
    s_state_leave (self, msg);
    s_list_remove (&self->age, msg);
    s_id_t id = { msg->id, msg->id_size };
    pf_map_delete (self->table, msg->hash, &id);
    pf_producer_verdict_t verdict = {
        .id = msg->id,
        .status = status,
        .reason = reason,
        .text = text,
        .hint = msg->hint,
        .sends = msg->sends,
        .latency_us = msg->sends ? now - msg->first_sent_at : 0
    };
    self->on_verdict (&verdict, self->arg);
    free (msg);
}

//  ---- Sending ------------------------------------------------------------------

static bool
s_batch_due (pf_producer_t *self, int64_t now)
{
    if (!self->queue.head)
        return false;
    if (self->single)
        return true;        //  single PUSHes gain nothing by waiting
    return self->queue.size >= self->batch_records
        || self->queue_bytes >= self->batch_bytes
        || self->queue.head->queued_at + self->linger_us <= now;
}

//  pf_buf_send hands the storage to libzmq, so each batch needs fresh storage:
//  take it in one allocation of the exact size rather than by doubling.
static void
s_buf_prepare (pf_buf_t *buf, size_t size)
{
    pf_buf_reset (buf);
    if (buf->capacity >= size)
        return;             //  kept from a send that failed
    free (buf->data);
    buf->data = (byte *) malloc (size);
    assert (buf->data);
    buf->capacity = size;
}

//  Send the head of the queue as one PUSHB. Returns 0, or -1 if the socket
//  would not take it (the records stay queued).
static int
s_send_batch (pf_producer_t *self, int64_t now)
{
    size_t records = 0;
    size_t bytes = 0;
    for (s_msg_t *msg = self->queue.head; msg && records < self->batch_records;
         msg = msg->link [S_LINK_STATE].next) {
        size_t size = s_record_size (msg);
        //  A record larger than batch_bytes goes alone
        if (records > 0 && bytes + size > self->batch_bytes)
            break;
        records++;
        bytes += size;
    }
    s_buf_prepare (&self->buf, bytes);
    s_msg_t *msg = self->queue.head;
    for (size_t index = 0; index < records; index++) {
        pf_record_t record = {
            .id = (const byte *) msg->id, .id_size = msg->id_size,
            .topic = (const byte *) msg->topic, .topic_size = msg->topic_size,
            .key = msg->key, .key_size = msg->key_size,
            .payload = msg->payload, .payload_size = msg->payload_size
        };
        pf_proto_put_push_record (&self->buf, &record);
        msg = msg->link [S_LINK_STATE].next;
    }
    assert (self->buf.size == bytes);
    if (pf_proto_send_buf (self->socket, NULL, PF_CMD_PUSHB, &self->buf) == -1)
        return -1;
    for (size_t index = 0; index < records; index++)
        s_sent (self, self->queue.head, now);
    return 0;
}

static int
s_send_single (pf_producer_t *self, int64_t now)
{
    s_msg_t *msg = self->queue.head;
    const void *arg [4] = { msg->id, msg->topic, msg->key, msg->payload };
    size_t arg_size [4] = { msg->id_size, msg->topic_size, msg->key_size, msg->payload_size };
    if (pf_proto_send (self->socket, NULL, PF_CMD_PUSH, 4, arg, arg_size) == -1)
        return -1;
    s_sent (self, msg, now);
    return 0;
}

//  Send what is due, or with force everything queued, until the socket
//  would block.
static void
s_send_due (pf_producer_t *self, int64_t now, bool force)
{
    while (self->queue.head && (force || s_batch_due (self, now))) {
        //  Don't encode a batch the socket will refuse
        if (self->blocked && !(zsock_events (self->socket) & ZMQ_POLLOUT))
            return;
        int rc = self->single ? s_send_single (self, now) : s_send_batch (self, now);
        if (rc == -1) {
            if (errno != EAGAIN)
                pf_warning ("producer cannot send to '%s': %s", self->endpoint,
                            zmq_strerror (errno));
            self->blocked = true;
            return;
        }
        self->blocked = false;
    }
}

//  ---- Receiving ----------------------------------------------------------------

//  Copy a received field into a NUL-terminated buffer of 256 bytes.
static const char *
s_text (char *buffer, const void *data, size_t size)
{
    if (size > 255)
        size = 255;
    if (size)
        memcpy (buffer, data, size);
    buffer [size] = 0;
    return buffer;
}

static void
s_busy (pf_producer_t *self, s_msg_t *msg, uint64_t retry_after_ms)
{
    //  A BUSY for a send we no longer wait on (the message is already queued
    //  or delayed for a resend) changes nothing
    if (msg->list != &self->inflight)
        return;
    s_delay (self, msg, s_now () + (int64_t) retry_after_ms * 1000);
}

//  Act on one VERDICTS frame. Returns the final verdicts delivered.
static int
s_verdicts (pf_producer_t *self, const byte *data, size_t size)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_verdict_t verdict;
    int delivered = 0;
    int rc;
    while ((rc = pf_proto_verdict_next (&reader, &verdict)) == 1) {
        s_msg_t *msg = s_table_lookup (self, verdict.id, verdict.id_size,
                                       pf_map_hash_bytes (verdict.id, verdict.id_size));
        if (!msg)
            continue;       //  late: that message already has its final verdict
        if (verdict.status == 'B')
            s_busy (self, msg, verdict.retry_after);
        else {
            char text [256];
            s_final (self, msg, verdict.status,
                     verdict.status == 'N' ? pf_reason_name (verdict.reason) : "",
                     verdict.status == 'N' ? s_text (text, verdict.text, verdict.text_size) : "");
            delivered++;
        }
    }
    if (rc == -1)
        pf_warning ("producer got a malformed VERDICTS frame from '%s' at byte %zu",
                    self->endpoint, reader.pos);
    return delivered;
}

//  Act on one message from the edge. Returns the final verdicts delivered.
static int
s_handle (pf_producer_t *self, zmsg_t *zmsg)
{
    pf_message_t message;
    const char *problem;
    if (pf_proto_parse (zmsg, &message, &problem) != PF_REASON_OK) {
        pf_warning ("producer ignores a malformed message from '%s': %s",
                    self->endpoint, problem);
        return 0;
    }
    const byte *id = message.arg [0];
    size_t id_size = message.arg_size [0];
    s_msg_t *msg = NULL;
    if (message.cmd == PF_CMD_ACK || message.cmd == PF_CMD_DUP || message.cmd == PF_CMD_BUSY
    || (message.cmd == PF_CMD_NACK && id_size > 0)) {
        msg = s_table_lookup (self, id, id_size, pf_map_hash_bytes (id, id_size));
        if (!msg)
            return 0;       //  late: that message already has its final verdict
    }
    char reason [256], text [256];
    uint64_t retry_after;
    switch (message.cmd) {
        case PF_CMD_VERDICTS:
            return s_verdicts (self, message.arg [0], message.arg_size [0]);
        case PF_CMD_ACK:
            s_final (self, msg, 'A', "", "");
            return 1;
        case PF_CMD_DUP:
            s_final (self, msg, 'D', "", "");
            return 1;
        case PF_CMD_NACK:
            if (!msg) {
                pf_warning ("edge '%s' refused a batch as %.*s (%.*s); its records will be "
                            "resent", self->endpoint,
                            (int) message.arg_size [1], (const char *) message.arg [1],
                            (int) message.arg_size [2], (const char *) message.arg [2]);
                return 0;
            }
            s_final (self, msg, 'N', s_text (reason, message.arg [1], message.arg_size [1]),
                     s_text (text, message.arg [2], message.arg_size [2]));
            return 1;
        case PF_CMD_BUSY:
            if (pf_proto_number (message.arg [1], message.arg_size [1], 0, UINT32_MAX,
                                 &retry_after) == -1)
                retry_after = S_BUSY_FALLBACK_MS;
            s_busy (self, msg, retry_after);
            return 0;
        case PF_CMD_PONG:
            return 0;
        default:
            pf_debug ("producer ignores %s from '%s'", pf_cmd_name (message.cmd),
                      self->endpoint);
            return 0;
    }
}

//  Take every message waiting on the socket.
static int
s_receive (pf_producer_t *self)
{
    int delivered = 0;
    //  Ask first: zmsg_recv allocates even when nothing waits
    while (zsock_events (self->socket) & ZMQ_POLLIN) {
        //  The socket has ZMQ_RCVTIMEO 0, so this never blocks
        zmsg_t *zmsg = zmsg_recv (self->socket);
        if (!zmsg)
            break;
        delivered += s_handle (self, zmsg);
        zmsg_destroy (&zmsg);
    }
    return delivered;
}

//  ---- Timers and the loop ------------------------------------------------------

//  Give up on messages past the deadline, requeue those due for a resend.
static int
s_expire (pf_producer_t *self, int64_t now)
{
    int delivered = 0;
    s_msg_t *msg;
    if (self->deadline_us >= 0)
        while ((msg = self->age.head) && msg->pushed_at + self->deadline_us <= now) {
            s_final (self, msg, 'E', "DEADLINE", "");
            delivered++;
        }
    while ((msg = self->inflight.head) && msg->due_at <= now) {
        pf_debug ("producer resends '%s' unanswered after %u sends", msg->id, msg->sends);
        s_enqueue (self, msg, now);
    }
    while ((msg = self->delayed.head) && msg->due_at <= now)
        s_enqueue (self, msg, now);
    return delivered;
}

//  When the next timer fires, INT64_MAX if none. Batches are not timers
//  here: whoever waits has sent them all (force) unless the socket blocked.
static int64_t
s_next_timer (pf_producer_t *self)
{
    int64_t next = INT64_MAX;
    if (self->inflight.head && self->inflight.head->due_at < next)
        next = self->inflight.head->due_at;
    if (self->delayed.head && self->delayed.head->due_at < next)
        next = self->delayed.head->due_at;
    if (self->deadline_us >= 0 && self->age.head
    &&  self->age.head->pushed_at + self->deadline_us < next)
        next = self->age.head->pushed_at + self->deadline_us;
    return next;
}

//  One turn without waiting: take verdicts, fire timers, send what is due
//  (everything queued, with force). Returns the final verdicts delivered.
static int
s_serve (pf_producer_t *self, bool force)
{
    int delivered = s_receive (self);
    int64_t now = s_now ();
    delivered += s_expire (self, now);
    s_send_due (self, now, force);
    return delivered;
}

//  Wait until the socket has input (or, when blocked, room), the next timer,
//  or until. Returns 0, or -1 if interrupted (errno EINTR) or the socket
//  failed.
static int
s_wait (pf_producer_t *self, int64_t until)
{
    if (zsys_interrupted) {
        errno = EINTR;
        return -1;
    }
    int64_t next = s_next_timer (self);
    if (until < next)
        next = until;
    long timeout = -1;
    if (next != INT64_MAX) {
        int64_t wait = next - s_now ();
        //  Round up, or we would wake just before the timer, again and again
        timeout = wait <= 0 ? 0 : (long) ((wait + 999) / 1000);
    }
    zmq_pollitem_t item = { zsock_resolve (self->socket), 0, ZMQ_POLLIN, 0 };
    if (self->blocked && self->queue.head)
        item.events |= ZMQ_POLLOUT;
    if (zmq_poll (&item, 1, timeout) == -1) {
        if (errno == EINTR && !zsys_interrupted)
            return 0;       //  another signal: carry on
        return -1;
    }
    return 0;
}

//  ---- The public API -----------------------------------------------------------

//  A one-line reason if the options cannot work, else NULL.
static char *
s_check_options (const pf_producer_options_t *options)
{
    if (!options)
        return strdup ("producer options are missing");
    if (!options->on_verdict)
        return strdup ("producer options need an on_verdict callback");
    if (!options->endpoint || !*options->endpoint)
        return strdup ("producer options need an endpoint");
    if (!options->cert_path || !*options->cert_path)
        return strdup ("producer options need a cert_path");
    if (!pf_keys_valid_public (options->server_public))
        return zsys_sprintf ("server public key '%s' is not 40 characters of Z85",
                             options->server_public ? options->server_public : "");
    if (options->window > S_WINDOW_MAX)
        return zsys_sprintf ("window=%zu is above %d", options->window, S_WINDOW_MAX);
    if (options->batch_records > PF_PROTO_BATCH_MAX)
        return zsys_sprintf ("batch_records=%zu is above %d", options->batch_records,
                             PF_PROTO_BATCH_MAX);
    if (options->resend_ms < 0)
        return zsys_sprintf ("resend_ms=%d is negative", options->resend_ms);
    return NULL;
}

pf_producer_t *
pf_producer_new (const pf_producer_options_t *options, char **error)
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
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    if (!socket) {
        zcert_destroy (&cert);
        if (error)
            *error = zsys_sprintf ("cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    pf_keys_curve_client (socket, cert, options->server_public);
    zcert_destroy (&cert);
    zsock_set_immediate (socket, 1);
    zsock_set_sndtimeo (socket, 0);
    zsock_set_rcvtimeo (socket, 0);
    //  Destroying drops what has no verdict yet (documented): don't linger
    zsock_set_linger (socket, 0);
    if (zsock_connect (socket, "%s", options->endpoint) == -1) {
        if (error)
            *error = zsys_sprintf ("cannot connect to '%s': %s", options->endpoint,
                                   zmq_strerror (zmq_errno ()));
        zsock_destroy (&socket);
        return NULL;
    }

    pf_producer_t *self = (pf_producer_t *) zmalloc (sizeof (pf_producer_t));
    self->socket = socket;
    self->endpoint = strdup (options->endpoint);
    self->on_verdict = options->on_verdict;
    self->arg = options->arg;
    self->window = options->window ? options->window : S_WINDOW;
    self->batch_records = options->batch_records ? options->batch_records : S_BATCH_RECORDS;
    self->batch_bytes = options->batch_bytes ? options->batch_bytes : S_BATCH_BYTES;
    self->linger_us = (int64_t) (options->linger_ms ? options->linger_ms : S_LINGER_MS) * 1000;
    if (self->linger_us < 0)
        self->linger_us = 0;        //  negative: send at once
    self->resend_us = (int64_t) (options->resend_ms ? options->resend_ms : S_RESEND_MS) * 1000;
    self->deadline_us = options->deadline_ms < 0 ? -1
                      : (int64_t) (options->deadline_ms ? options->deadline_ms
                                                        : S_DEADLINE_MS) * 1000;
    self->single = options->single;
    self->table = pf_map_new (s_msg_has_id);
    self->age.link = S_LINK_AGE;
    self->queue.link = S_LINK_STATE;
    self->inflight.link = S_LINK_STATE;
    self->delayed.link = S_LINK_STATE;
    if (error)
        *error = NULL;
    return self;
}

void
pf_producer_destroy (pf_producer_t **self_p)
{
    assert (self_p);
    pf_producer_t *self = *self_p;
    if (!self)
        return;
    s_msg_t *msg = self->age.head;
    while (msg) {
        s_msg_t *next = msg->link [S_LINK_AGE].next;
        free (msg);
        msg = next;
    }
    pf_map_destroy (&self->table);
    pf_buf_free (&self->buf);
    zsock_destroy (&self->socket);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

//  True if the fields are within the PF1 limits; sets the string sizes.
static bool
s_valid (const char *id, size_t *id_size, const char *topic, size_t *topic_size,
         const void *key, size_t key_size, const void *payload, size_t payload_size)
{
    if (!id || !topic || (!key && key_size) || (!payload && payload_size))
        return false;
    const char *text;
    *id_size = strnlen (id, PF_PROTO_ID_MAX + 1);
    *topic_size = strnlen (topic, PF_PROTO_TOPIC_MAX + 1);
    return pf_proto_check_id ((const byte *) id, *id_size, &text) == PF_REASON_OK
        && pf_proto_check_topic ((const byte *) topic, *topic_size, &text) == PF_REASON_OK
        && key_size <= PF_PROTO_KEY_MAX
        && (uint64_t) payload_size <= UINT32_MAX;
}

//  Serve the connection until a message fits in the window.
static int
s_wait_room (pf_producer_t *self)
{
    //  Don't hold a batch while we wait for its verdicts
    s_serve (self, true);
    while (self->age.size >= self->window) {
        if (s_wait (self, INT64_MAX) == -1)
            return -1;
        s_serve (self, true);
    }
    return 0;
}

int
pf_producer_push (pf_producer_t *self, const char *id, const char *topic,
                  const void *key, size_t key_size,
                  const void *payload, size_t payload_size, void *hint)
{
    assert (self);
    size_t id_size, topic_size;
    if (!s_valid (id, &id_size, topic, &topic_size, key, key_size, payload, payload_size)) {
        errno = EINVAL;
        return -1;
    }
    if (zsys_interrupted) {
        errno = EINTR;
        return -1;
    }
    uint64_t hash = pf_map_hash_bytes (id, id_size);
    if (s_table_lookup (self, id, id_size, hash)) {
        errno = EEXIST;
        return -1;
    }
    if (self->age.size >= self->window) {
        if (s_wait_room (self) == -1)
            return -1;
        //  The table changed; a callback may even have pushed this id
        if (s_table_lookup (self, id, id_size, hash)) {
            errno = EEXIST;
            return -1;
        }
    }
    s_msg_t *msg = (s_msg_t *) malloc (sizeof (s_msg_t) + id_size + 1 + topic_size + 1
                                       + key_size + payload_size);
    assert (msg);
    memset (msg, 0, sizeof *msg);
    char *cursor = (char *) (msg + 1);
    msg->id = cursor;
    msg->id_size = id_size;
    memcpy (cursor, id, id_size);
    cursor [id_size] = 0;
    cursor += id_size + 1;
    msg->topic = cursor;
    msg->topic_size = topic_size;
    memcpy (cursor, topic, topic_size);
    cursor [topic_size] = 0;
    cursor += topic_size + 1;
    msg->key = (byte *) cursor;
    msg->key_size = key_size;
    if (key_size)
        memcpy (cursor, key, key_size);
    cursor += key_size;
    msg->payload = (byte *) cursor;
    msg->payload_size = payload_size;
    if (payload_size)
        memcpy (cursor, payload, payload_size);
    msg->hash = hash;
    msg->hint = hint;

    int64_t now = s_now ();
    msg->pushed_at = now;
    s_id_t own_id = { msg->id, msg->id_size };
    pf_map_insert (self->table, hash, &own_id, msg);
    s_list_insert (&self->age, self->age.tail, msg);
    s_enqueue (self, msg, now);
    if (s_batch_due (self, now))
        s_serve (self, false);
    return 0;
}

int
pf_producer_poll (pf_producer_t *self, int timeout_ms)
{
    assert (self);
    if (zsys_interrupted) {
        errno = EINTR;
        return -1;
    }
    int64_t until = timeout_ms < 0 ? INT64_MAX : s_now () + (int64_t) timeout_ms * 1000;
    int delivered = s_serve (self, true);
    while (delivered == 0 && self->age.size > 0 && s_now () < until) {
        if (s_wait (self, until) == -1)
            return -1;
        delivered += s_serve (self, true);
    }
    return delivered;
}

int
pf_producer_flush (pf_producer_t *self, int timeout_ms)
{
    assert (self);
    int64_t until = timeout_ms < 0 ? INT64_MAX : s_now () + (int64_t) timeout_ms * 1000;
    s_serve (self, true);
    while (self->age.size > 0) {
        if (s_now () >= until) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (s_wait (self, until) == -1)
            return -1;
        s_serve (self, true);
    }
    return 0;
}

size_t
pf_producer_pending (pf_producer_t *self)
{
    assert (self);
    return self->age.size;
}

void
pf_producer_uuid (char *buffer)
{
    static const char hex [] = "0123456789abcdef";
    //  Random bytes are drawn 4 KiB at a time, per thread: one system call
    //  per id was a fifth of a busy producer's time
    static __thread byte pool [4096];
    static __thread size_t pool_used = sizeof pool;
    if (pool_used + 16 > sizeof pool) {
        //  Idempotent and cheap; it fails only without an entropy source
        if (sodium_init () < 0)
            abort ();
        randombytes_buf (pool, sizeof pool);
        pool_used = 0;
    }
    byte bytes [16];
    memcpy (bytes, pool + pool_used, sizeof bytes);
    sodium_memzero (pool + pool_used, sizeof bytes);
    pool_used += sizeof bytes;
    bytes [6] = (bytes [6] & 0x0F) | 0x40;      //  version 4
    bytes [8] = (bytes [8] & 0x3F) | 0x80;      //  RFC 4122 variant
    char *cursor = buffer;
    for (int index = 0; index < 16; index++) {
        if (index == 4 || index == 6 || index == 8 || index == 10)
            *cursor++ = '-';
        *cursor++ = hex [bytes [index] >> 4];
        *cursor++ = hex [bytes [index] & 0x0F];
    }
    *cursor = 0;
}
