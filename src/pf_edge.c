//  pf_edge - the edge node. One thread: the frontend ROUTER (clients), a
//  DEALER per proc, and the control ROUTER (PING, STATS), which it answers
//  from its own counters.

#include "pf_classes.h"

//  Suggested wait after a BUSY for an unreachable or silent proc
#define S_BUSY_RETRY_MS         200
//  Client messages taken per loop turn before serving the procs
#define S_DRAIN_MAX             512
//  A proc batch is sent once it holds this much, even mid-turn
#define S_PROC_BATCH_BYTES      (1024 * 1024)
//  A client with nothing in flight is forgotten after this long
#define S_CLIENT_IDLE_MS        60000
//  A BUSY episode ends (and is logged as ended) after this long without one
#define S_BUSY_QUIET_MS         5000

//  A connected client: where its verdicts go.
typedef struct {
    zframe_t *routing_id;       //  the frontend's id of the connection
    char *key;                  //  routing id as hex, our map key
    char public_key [41];       //  its certificate's public key (Z85), for logs
    pf_buf_t verdicts;          //  batch-form verdicts not yet sent
    bool dirty;                 //  listed for the next verdict flush
    size_t tickets;             //  pushes of this client in flight
    int64_t seen_at;            //  last message from it
} s_client_t;

//  A push in flight to a proc, by ticket number.
typedef struct {
    s_client_t *client;         //  NULL once answered
    int64_t deadline;           //  answer BUSY if no verdict by then
    int64_t received_at;        //  monotonic us when the push came in
    bool batch;                 //  answer in a VERDICTS record, not a message
    uint8_t id_size;
    byte id [PF_PROTO_ID_MAX];
} s_ticket_t;

//  The link to one proc.
typedef struct {
    const char *name;           //  proc name (borrowed from the config)
    zsock_t *socket;            //  DEALER, CURVE client, ZMQ_IMMEDIATE
    zsock_t *monitor;           //  its connection events
    pf_buf_t batch;             //  MSGS body being built
    uint64_t *tickets;          //  tickets in that batch
    size_t ticket_count;
    size_t ticket_capacity;
    bool unreachable;           //  last send failed (logged once)
} s_link_t;

typedef struct {
    zsock_t *pipe;              //  our owner
    const char *name;           //  node name
    zcert_t *cert;              //  our key pair
    zactor_t *auth;             //  ZAP handler
    zsock_t *frontend;          //  ROUTER, clients
    s_link_t *links;            //  one per proc, config order
    size_t link_count;
    uint32_t *owner;            //  partition -> index into links
    uint32_t partitions;
    size_t max_payload;
    size_t max_batch;
    int64_t reply_timeout;
    s_ticket_t *ring;           //  tickets [oldest, next) by ticket & mask
    uint64_t ring_mask;
    uint64_t oldest;            //  lowest ticket that may be unanswered
    uint64_t next;              //  next ticket number
    zhashx_t *clients;          //  hex routing id -> s_client_t
    zlistx_t *dirty;            //  s_client_t * with verdicts to send
    int64_t swept_at;           //  last idle-client sweep
    zsock_t *control;           //  ROUTER: operators, or NULL
    pf_stats_t *stats;          //  our counters
    pf_log_limit_t nack_log;    //  one NACK line a second at most
    int64_t busy_since;         //  monotonic ms the BUSY episode began, or 0
    int64_t busy_last;          //  monotonic ms of its latest BUSY
    uint64_t busy_count;        //  BUSY answers in the episode
} s_edge_t;

//  ---- Clients ------------------------------------------------------------------

static void
s_client_destroy (void **item)
{
    s_client_t *client = (s_client_t *) *item;
    zframe_destroy (&client->routing_id);
    pf_buf_free (&client->verdicts);
    free (client->key);
    free (client);
    *item = NULL;
}

//  The client of a routing id, known or new. The map key is the id in hex,
//  built on the stack: no allocation for a client already known.
static s_client_t *
s_client_lookup (s_edge_t *self, zframe_t **routing_id_p)
{
    static const char digits [] = "0123456789ABCDEF";
    char key [2 * 255 + 1];
    const byte *data = zframe_data (*routing_id_p);
    size_t size = zframe_size (*routing_id_p) < 255 ? zframe_size (*routing_id_p) : 255;
    for (size_t index = 0; index < size; index++) {
        key [2 * index] = digits [data [index] >> 4];
        key [2 * index + 1] = digits [data [index] & 15];
    }
    key [2 * size] = 0;
    s_client_t *client = (s_client_t *) zhashx_lookup (self->clients, key);
    if (client)
        zframe_destroy (routing_id_p);
    else {
        client = (s_client_t *) zmalloc (sizeof (s_client_t));
        client->routing_id = *routing_id_p;
        *routing_id_p = NULL;
        client->key = strdup (key);
        zhashx_insert (self->clients, client->key, client);
    }
    client->seen_at = zclock_mono ();
    return client;
}

//  Forget clients idle for a while with nothing in flight.
static void
s_clients_sweep (s_edge_t *self, int64_t now)
{
    if (now - self->swept_at < S_CLIENT_IDLE_MS / 4)
        return;
    self->swept_at = now;
    zlistx_t *idle = zlistx_new ();
    for (s_client_t *client = (s_client_t *) zhashx_first (self->clients); client;
         client = (s_client_t *) zhashx_next (self->clients))
        if (client->tickets == 0 && !client->dirty
        &&  now - client->seen_at > S_CLIENT_IDLE_MS)
            zlistx_add_end (idle, client->key);
    for (char *key = (char *) zlistx_first (idle); key; key = (char *) zlistx_next (idle))
        zhashx_delete (self->clients, key);
    zlistx_destroy (&idle);
}

//  ---- Answers to clients -------------------------------------------------------

static void
s_send_verdict (s_edge_t *self, s_client_t *client, bool batch, const pf_verdict_t *verdict)
{
    if (batch) {
        pf_proto_put_verdict (&client->verdicts, verdict);
        if (!client->dirty) {
            client->dirty = true;
            zlistx_add_end (self->dirty, client);
        }
        return;
    }
    if (verdict->status == 'N') {
        pf_proto_send_nack (self->frontend, client->routing_id, verdict->id,
                            verdict->id_size, verdict->reason, verdict->text);
        return;
    }
    pf_cmd_t cmd = verdict->status == 'A' ? PF_CMD_ACK
                 : verdict->status == 'D' ? PF_CMD_DUP : PF_CMD_BUSY;
    char retry [16];
    snprintf (retry, sizeof retry, "%u", verdict->retry_after);
    const void *arg [2] = { verdict->id, retry };
    size_t arg_size [2] = { verdict->id_size, strlen (retry) };
    pf_proto_send (self->frontend, client->routing_id, cmd, cmd == PF_CMD_BUSY ? 2 : 1,
                   arg, arg_size);
}

//  Send every batch-form verdict collected this turn, one message a client.
static void
s_flush_clients (s_edge_t *self)
{
    for (s_client_t *client = (s_client_t *) zlistx_first (self->dirty); client;
         client = (s_client_t *) zlistx_next (self->dirty)) {
        pf_proto_send_buf (self->frontend, client->routing_id, PF_CMD_VERDICTS,
                           &client->verdicts);
        client->dirty = false;
    }
    zlistx_purge (self->dirty);
}

//  ---- Tickets -------------------------------------------------------------------

static void
s_ring_grow (s_edge_t *self)
{
    uint64_t capacity = (self->ring_mask + 1) * 2;
    s_ticket_t *ring = (s_ticket_t *) calloc (capacity, sizeof (s_ticket_t));
    assert (ring);
    for (uint64_t ticket = self->oldest; ticket < self->next; ticket++)
        ring [ticket & (capacity - 1)] = self->ring [ticket & self->ring_mask];
    free (self->ring);
    self->ring = ring;
    self->ring_mask = capacity - 1;
}

static uint64_t
s_ticket_new (s_edge_t *self, s_client_t *client, bool batch, const pf_record_t *record)
{
    if (self->next - self->oldest > self->ring_mask)
        s_ring_grow (self);
    uint64_t ticket = self->next++;
    s_ticket_t *slot = &self->ring [ticket & self->ring_mask];
    slot->client = client;
    slot->received_at = zclock_usecs ();
    slot->deadline = zclock_mono () + self->reply_timeout;
    slot->batch = batch;
    slot->id_size = (uint8_t) record->id_size;
    memcpy (slot->id, record->id, record->id_size);
    client->tickets++;
    return ticket;
}

//  Answer a ticket once; later answers for it are ignored.
//  A BUSY answer: the first of an episode is logged, the rest counted.
static void
s_busy_noted (s_edge_t *self)
{
    self->busy_last = zclock_mono ();
    self->busy_count++;
    if (self->busy_since)
        return;
    self->busy_since = self->busy_last;
    pf_warning ("busy episode began: pushes are answered BUSY");
}

//  Log the end of a BUSY episode once none has been answered for a while.
static void
s_busy_check (s_edge_t *self, int64_t now)
{
    if (!self->busy_since || now - self->busy_last < S_BUSY_QUIET_MS)
        return;
    pf_notice ("busy episode ended busy=%" PRIu64 " seconds=%.1f", self->busy_count,
               (double) (self->busy_last - self->busy_since) / 1000.0);
    self->busy_since = 0;
    self->busy_count = 0;
}

static void
s_ticket_answer (s_edge_t *self, uint64_t ticket, char status, uint32_t retry_after)
{
    if (ticket < self->oldest || ticket >= self->next)
        return;
    s_ticket_t *slot = &self->ring [ticket & self->ring_mask];
    if (!slot->client)
        return;
    pf_verdict_t verdict = {
        .status = status, .id = slot->id, .id_size = slot->id_size,
        .retry_after = retry_after
    };
    s_send_verdict (self, slot->client, slot->batch, &verdict);
    pf_stats_count (self->stats, status == 'A' ? PF_STATS_ACCEPTED
                               : status == 'D' ? PF_STATS_DUPLICATES : PF_STATS_BUSY, 1);
    pf_stats_latency (self->stats, PF_STATS_ACCEPT_US, zclock_usecs () - slot->received_at);
    if (status == 'B')
        s_busy_noted (self);
    slot->client->tickets--;
    slot->client = NULL;
}

//  Answer BUSY for every ticket past its deadline; advance the ring.
static void
s_tickets_expire (s_edge_t *self, int64_t now)
{
    while (self->oldest < self->next) {
        s_ticket_t *slot = &self->ring [self->oldest & self->ring_mask];
        if (slot->client) {
            if (slot->deadline > now)
                break;
            s_ticket_answer (self, self->oldest, 'B', S_BUSY_RETRY_MS);
        }
        self->oldest++;
    }
}

//  ---- Procs ----------------------------------------------------------------------

//  Log what happened to the link's connection.
static void
s_link_events (s_link_t *link)
{
    int code;
    uint32_t value;
    while ((code = pf_node_monitor_next (link->monitor, &value))) {
        if (code == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            pf_notice ("proc '%s' connected", link->name);
        else
        if (code == ZMQ_EVENT_DISCONNECTED)
            pf_warning ("proc '%s' disconnected", link->name);
        else
            pf_warning ("handshake with proc '%s' failed (event 0x%x): is its public key "
                        "in keys/nodes/ the one it uses?", link->name, code);
    }
}

static void
s_link_send (s_edge_t *self, s_link_t *link)
{
    if (link->ticket_count == 0)
        return;
    if (pf_link_send (link->socket, NULL, "MSGS", &link->batch) == 0) {
        if (link->unreachable)
            pf_notice ("proc '%s' reachable again", link->name);
        link->unreachable = false;
    }
    else {
        if (!link->unreachable)
            pf_warning ("proc '%s' unreachable or full, answering BUSY retry_after=%d",
                        link->name, S_BUSY_RETRY_MS);
        link->unreachable = true;
        for (size_t index = 0; index < link->ticket_count; index++)
            s_ticket_answer (self, link->tickets [index], 'B', S_BUSY_RETRY_MS);
    }
    link->ticket_count = 0;
}

static void
s_route (s_edge_t *self, s_client_t *client, bool batch, const pf_record_t *record)
{
    uint32_t partition = pf_partition_of (record->key, record->key_size, record->id,
                                          record->id_size, self->partitions);
    s_link_t *link = &self->links [self->owner [partition]];
    uint64_t ticket = s_ticket_new (self, client, batch, record);
    pf_link_put_msg (&link->batch, ticket, partition, record);
    if (link->ticket_count == link->ticket_capacity) {
        link->ticket_capacity = link->ticket_capacity ? link->ticket_capacity * 2 : 256;
        link->tickets = (uint64_t *) realloc (link->tickets,
                                              link->ticket_capacity * sizeof (uint64_t));
        assert (link->tickets);
    }
    link->tickets [link->ticket_count++] = ticket;
    if (link->batch.size >= S_PROC_BATCH_BYTES)
        s_link_send (self, link);
}

static void
s_link_receive (s_edge_t *self, s_link_t *link)
{
    zmsg_t *msg = zmsg_recv (link->socket);
    const char *command;
    size_t command_size;
    zframe_t *body;
    if (!msg || pf_link_parse (msg, &command, &command_size, &body)
    ||  !pf_link_is (command, command_size, "VERDICTS")) {
        pf_warning ("malformed link message from proc '%s', dropped", link->name);
        zmsg_destroy (&msg);
        return;
    }
    pf_reader_t reader;
    pf_reader_init (&reader, zframe_data (body), zframe_size (body));
    pf_link_verdict_t verdict;
    while (pf_link_verdict_next (&reader, &verdict) == 1)
        s_ticket_answer (self, verdict.ticket, verdict.status, verdict.retry_after);
    zmsg_destroy (&msg);
}

//  ---- Client messages ------------------------------------------------------------

//  A NACK for a push, or for a message that is not even one: counted, and
//  logged at most once a second (every one at debug level).
static void
s_count_nack (s_edge_t *self, s_client_t *client, pf_reason_t reason)
{
    pf_stats_count (self->stats, PF_STATS_NACK_MALFORMED + (reason - PF_REASON_MALFORMED), 1);
    size_t suppressed = 0;
    if (pf_log_enabled (PF_LOG_DEBUG)
    ||  (pf_log_enabled (PF_LOG_INFO) && pf_log_limit_pass (&self->nack_log, 1000, &suppressed)))
        pf_info ("NACK reason=%s client=%s suppressed=%zu", pf_reason_name (reason),
                 client->public_key, suppressed);
}

//  Validate one record and route it, or answer its NACK.
static void
s_accept_record (s_edge_t *self, s_client_t *client, bool batch,
                 const pf_record_t *record, const char *topics)
{
    const char *text = NULL;
    pf_stats_count (self->stats, PF_STATS_RECEIVED, 1);
    pf_reason_t reason = pf_proto_check_record (record, self->max_payload, &text);
    if (reason == PF_REASON_OK
    &&  !pf_proto_topic_allowed (record->topic, record->topic_size, topics)) {
        reason = PF_REASON_FORBIDDEN;
        text = "topic is outside this client's allowed prefixes";
    }
    if (reason == PF_REASON_OK) {
        s_route (self, client, batch, record);
        return;
    }
    s_count_nack (self, client, reason);
    pf_verdict_t verdict = {
        .status = 'N', .id = record->id,
        .id_size = record->id_size > 255 ? 255 : record->id_size,
        .reason = reason, .text = text
    };
    s_send_verdict (self, client, batch, &verdict);
}

static void
s_accept_batch (s_edge_t *self, s_client_t *client, const pf_message_t *message,
                const char *topics)
{
    size_t count = 0;
    const char *text = NULL;
    if (message->arg_size [0] > self->max_batch) {
        pf_stats_count (self->stats, PF_STATS_RECEIVED, 1);
        s_count_nack (self, client, PF_REASON_TOO_LARGE);
        pf_proto_send_nack (self->frontend, client->routing_id, NULL, 0,
                            PF_REASON_TOO_LARGE, "batch is larger than max-batch");
        return;
    }
    if (pf_proto_batch_check (message->arg [0], message->arg_size [0], false, &count, &text)
        != PF_REASON_OK) {
        pf_stats_count (self->stats, PF_STATS_RECEIVED, 1);
        s_count_nack (self, client, PF_REASON_MALFORMED);
        pf_proto_send_nack (self->frontend, client->routing_id, NULL, 0,
                            PF_REASON_MALFORMED, text);
        return;
    }
    pf_reader_t reader;
    pf_reader_init (&reader, message->arg [0], message->arg_size [0]);
    pf_record_t record;
    while (pf_proto_batch_next (&reader, false, &record))
        s_accept_record (self, client, true, &record, topics);
}

static void
s_frontend_receive (s_edge_t *self)
{
    zmsg_t *msg = zmsg_recv (self->frontend);
    if (!msg)
        return;
    zframe_t *routing_id = zmsg_pop (msg);
    if (!routing_id) {
        zmsg_destroy (&msg);
        return;
    }
    s_client_t *client = s_client_lookup (self, &routing_id);
    if (!client->public_key [0]) {
        //  Like the topics, the key is on every frame but the routing id
        zframe_t *first = zmsg_first (msg);
        const char *public_key = first ? zframe_meta (first, "User-Id") : NULL;
        snprintf (client->public_key, sizeof client->public_key, "%s",
                  public_key ? public_key : "-");
    }
    pf_message_t message;
    const char *text = NULL;
    if (pf_proto_parse (msg, &message, &text) != PF_REASON_OK) {
        pf_stats_count (self->stats, PF_STATS_RECEIVED, 1);
        s_count_nack (self, client, PF_REASON_MALFORMED);
        pf_proto_send_nack (self->frontend, client->routing_id,
                            message.argc ? message.arg [0] : NULL,
                            message.argc ? message.arg_size [0] : 0, PF_REASON_MALFORMED, text);
        zmsg_destroy (&msg);
        return;
    }
    //  The CURVE handshake put the certificate's topics on every frame but
    //  the routing id
    const char *topics = zframe_meta (zmsg_first (msg), "topics");
    if (message.cmd == PF_CMD_PUSH) {
        pf_record_t record;
        pf_proto_push_record (&message, &record);
        s_accept_record (self, client, false, &record, topics);
    }
    else
    if (message.cmd == PF_CMD_PUSHB)
        s_accept_batch (self, client, &message, topics);
    else
    if (message.cmd == PF_CMD_PING)
        pf_proto_send (self->frontend, client->routing_id, PF_CMD_PONG, 0, NULL, NULL);
    else {
        pf_stats_count (self->stats, PF_STATS_RECEIVED, 1);
        s_count_nack (self, client, PF_REASON_MALFORMED);
        pf_proto_send_nack (self->frontend, client->routing_id, NULL, 0,
                            PF_REASON_MALFORMED, "command not valid from a producer");
    }
    zmsg_destroy (&msg);
}

//  ---- Control ---------------------------------------------------------------------

//  Answer what the control ROUTER holds; sends never block (a ROUTER drops
//  for a peer that has gone or is full).
static void
s_control_receive (s_edge_t *self)
{
    while (zsock_events (self->control) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->control);
        pf_stats_gauge (self->stats, PF_STATS_CLIENTS, (int64_t) zhashx_size (self->clients));
        zmsg_t *reply = pf_stats_control (&msg, self->stats);
        if (reply)
            zmsg_send (&reply, self->control);
        zmsg_destroy (&reply);      //  if the send failed
    }
}

//  ---- Start, loop, stop ------------------------------------------------------------

static char *
s_edge_links (s_edge_t *self, pf_config_t *config)
{
    zlistx_t *procs = pf_config_nodes (config, "proc");
    self->link_count = zlistx_size (procs);
    self->links = (s_link_t *) calloc (self->link_count, sizeof (s_link_t));
    assert (self->links);
    const char **owners = pf_config_partition_owners (config);
    self->owner = (uint32_t *) calloc (self->partitions, sizeof (uint32_t));
    assert (self->owner);
    size_t index = 0;
    char *error = NULL;
    for (const char *name = (const char *) zlistx_first (procs); name && !error;
         name = (const char *) zlistx_next (procs), index++) {
        s_link_t *link = &self->links [index];
        link->name = name;
        char key [256];
        snprintf (key, sizeof key, "proc/%s/endpoint", name);
        link->socket = pf_node_client (ZMQ_DEALER, config, name, pf_config_str (config, key),
                                       self->cert, NULL, &link->monitor, &error);
        for (uint32_t partition = 0; partition < self->partitions; partition++)
            if (streq (owners [partition], name))
                self->owner [partition] = (uint32_t) index;
    }
    return error;
}

static char *
s_edge_start (s_edge_t *self, pf_config_t *config)
{
    char *error = NULL;
    char key [256];
    self->partitions = (uint32_t) pf_config_int (config, "fabric/partitions");
    self->max_payload = (size_t) pf_config_int (config, "fabric/max-payload");
    self->max_batch = (size_t) pf_config_int (config, "fabric/max-batch");
    snprintf (key, sizeof key, "edge/%s/reply-timeout", self->name);
    self->reply_timeout = pf_config_int (config, key);
    self->ring_mask = 1023;
    self->ring = (s_ticket_t *) calloc (self->ring_mask + 1, sizeof (s_ticket_t));
    self->clients = zhashx_new ();
    zhashx_set_destructor (self->clients, s_client_destroy);
    self->dirty = zlistx_new ();
    self->stats = pf_stats_new ("edge");

    error = pf_node_identity (config, self->name, &self->cert, &self->auth);
    if (error)
        return error;
    snprintf (key, sizeof key, "edge/%s/allow", self->name);
    const char *allow = pf_config_str (config, key);
    snprintf (key, sizeof key, "edge/%s/deny", self->name);
    const char *deny = pf_config_str (config, key);
    if (*allow)
        pf_auth_addresses (self->auth, "ALLOW", "clients", allow);
    else
    if (*deny)
        pf_auth_addresses (self->auth, "DENY", "clients", deny);
    error = s_edge_links (self, config);
    if (error)
        return error;
    snprintf (key, sizeof key, "edge/%s/frontend", self->name);
    //  A frame larger than any valid one drops the connection before it
    //  can fill our memory; anything below that limit gets a NACK
    size_t largest = self->max_batch > self->max_payload ? self->max_batch : self->max_payload;
    self->frontend = pf_node_server (ZMQ_ROUTER, pf_config_str (config, key), self->cert,
                                     "clients", (int64_t) largest + 65536, 0, &error);
    snprintf (key, sizeof key, "edge/%s/control", self->name);
    if (!error && *pf_config_str (config, key))
        self->control = pf_control_server (pf_config_str (config, key), self->cert, &error);
    return error;
}

//  One turn: take what the sockets hold (bounded), send batches and
//  verdicts, expire what waited too long.
static void
s_edge_turn (s_edge_t *self)
{
    for (int count = 0; count < S_DRAIN_MAX
         && (zsock_events (self->frontend) & ZMQ_POLLIN); count++)
        s_frontend_receive (self);
    for (size_t index = 0; index < self->link_count; index++)
        s_link_send (self, &self->links [index]);
    for (size_t index = 0; index < self->link_count; index++) {
        while (zsock_events (self->links [index].socket) & ZMQ_POLLIN)
            s_link_receive (self, &self->links [index]);
        s_link_events (&self->links [index]);
    }
    int64_t now = zclock_mono ();
    s_tickets_expire (self, now);
    s_busy_check (self, now);
    s_flush_clients (self);
    s_clients_sweep (self, now);
    if (self->control)
        s_control_receive (self);
}

//  Milliseconds until the oldest push in flight is due, at most one second.
static int
s_edge_timeout (s_edge_t *self)
{
    for (uint64_t ticket = self->oldest; ticket < self->next; ticket++) {
        s_ticket_t *slot = &self->ring [ticket & self->ring_mask];
        if (slot->client) {
            int64_t wait = slot->deadline - zclock_mono ();
            return wait < 1 ? 1 : wait > 1000 ? 1000 : (int) wait;
        }
    }
    return 1000;
}

//  Stop taking pushes; give the procs until the deadlines to answer what
//  is in flight, answer the rest BUSY, and send it all.
static void
s_edge_drain (s_edge_t *self)
{
    zpoller_t *poller = zpoller_new (NULL);
    zpoller_set_nonstop (poller, true);
    for (size_t index = 0; index < self->link_count; index++)
        zpoller_add (poller, self->links [index].socket);
    while (self->oldest < self->next && !zpoller_terminated (poller)) {
        zpoller_wait (poller, s_edge_timeout (self));
        for (size_t index = 0; index < self->link_count; index++)
            while (zsock_events (self->links [index].socket) & ZMQ_POLLIN)
                s_link_receive (self, &self->links [index]);
        s_tickets_expire (self, zclock_mono ());
        s_flush_clients (self);
    }
    zpoller_destroy (&poller);
    s_tickets_expire (self, INT64_MAX);
    s_flush_clients (self);
    zsock_set_linger (self->frontend, 1000);
}

static void
s_edge_destroy (s_edge_t *self)
{
    for (size_t index = 0; index < self->link_count; index++) {
        pf_node_monitor_destroy (self->links [index].socket, &self->links [index].monitor);
        zsock_destroy (&self->links [index].socket);
        pf_buf_free (&self->links [index].batch);
        free (self->links [index].tickets);
    }
    free (self->links);
    free (self->owner);
    free (self->ring);
    zlistx_destroy (&self->dirty);
    zhashx_destroy (&self->clients);
    zsock_destroy (&self->frontend);
    zsock_destroy (&self->control);
    pf_stats_destroy (&self->stats);
    zactor_destroy (&self->auth);
    zcert_destroy (&self->cert);
}

void
pf_edge (zsock_t *pipe, void *args)
{
    pf_node_args_t *node = (pf_node_args_t *) args;
    s_edge_t self = { .pipe = pipe, .name = node->name };
    zsock_signal (pipe, 0);
    char *error = s_edge_start (&self, node->config);
    pf_node_report (pipe, error);
    if (!error) {
        char key [256];
        snprintf (key, sizeof key, "edge/%s/frontend", self.name);
        pf_notice ("ready frontend=%s procs=%zu", pf_config_str (node->config, key),
                   self.link_count);
        zpoller_t *poller = zpoller_new (pipe, self.frontend, NULL);
        zpoller_set_nonstop (poller, true);
        for (size_t index = 0; index < self.link_count; index++) {
            zpoller_add (poller, self.links [index].socket);
            zpoller_add (poller, self.links [index].monitor);
        }
        if (self.control)
            zpoller_add (poller, self.control);
        while (true) {
            void *which = zpoller_wait (poller, s_edge_timeout (&self));
            if (which == pipe || zpoller_terminated (poller))
                break;
            s_edge_turn (&self);
        }
        zpoller_destroy (&poller);
        s_edge_drain (&self);
        pf_notice ("stopped");
    }
    free (error);
    s_edge_destroy (&self);
}
