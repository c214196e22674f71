//  pf_proc - the proc node: socket loop and store actor.

#include "pf_classes.h"

//  The store actor takes at most this many records into one group commit
#define S_GROUP_RECORDS     20000
//  Suggested wait for a client answered BUSY because the proc is full
#define S_BUSY_RETRY_MS     500

typedef struct {
    const char *path;           //  database file
    bool sync_full;             //  synchronous = full
    int64_t window_s;           //  dedupe window
    int64_t max_pending;        //  backpressure threshold
} s_store_args_t;

//  ---- Store actor -----------------------------------------------------------------
//  Pipe messages in:  "MSGS" routing-id body, "FLUSH"
//  Pipe messages out: "VERDICTS" routing-id body, "FLUSHED"

typedef struct {
    zsock_t *pipe;
    pf_proc_store_t *store;
    zlistx_t *group;            //  zmsg_t * requests of the current group
    size_t group_records;       //  records in them
    bool flush_requested;       //  answer FLUSHED after this group
    bool terminated;            //  $TERM received
    pf_buf_t verdicts;          //  verdict body being built
} s_store_t;

static void
s_msg_destroy (void **item)
{
    zmsg_destroy ((zmsg_t **) item);
}

//  Take one pipe message into the group; returns false if none was waiting.
static bool
s_store_take (s_store_t *self, bool wait)
{
    if (!wait && !(zsock_events (self->pipe) & ZMQ_POLLIN))
        return false;
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return false;
    }
    char *command = zmsg_popstr (msg);
    if (command && streq (command, "MSGS") && zmsg_size (msg) == 2) {
        size_t count = 0;
        zframe_t *body = zmsg_last (msg);
        if (pf_link_msgs_check (zframe_data (body), zframe_size (body), &count) == 0) {
            zlistx_add_end (self->group, msg);
            self->group_records += count;
            msg = NULL;
        }
        else
            pf_warning ("malformed MSGS from an edge, dropped");
    }
    else
    if (command && streq (command, "FLUSH"))
        self->flush_requested = true;
    else
        self->terminated = true;
    free (command);
    zmsg_destroy (&msg);
    return true;
}

//  Judge every record of one request; append its verdicts.
static void
s_store_judge (s_store_t *self, zmsg_t *request)
{
    zframe_t *body = zmsg_last (request);
    pf_reader_t reader;
    pf_reader_init (&reader, zframe_data (body), zframe_size (body));
    pf_link_msg_t msg;
    while (pf_link_msgs_next (&reader, &msg)) {
        char status = pf_proc_store_put (self->store, msg.partition, &msg.record);
        pf_link_verdict_t verdict = {
            .ticket = msg.ticket, .status = status,
            .retry_after = status == 'B' ? S_BUSY_RETRY_MS : 0
        };
        pf_link_put_verdict (&self->verdicts, &verdict);
    }
}

//  Turn every verdict of a body into BUSY (the group was not committed).
static void
s_store_all_busy (pf_buf_t *verdicts)
{
    pf_reader_t reader;
    pf_reader_init (&reader, verdicts->data, verdicts->size);
    pf_link_verdict_t verdict;
    size_t at = 0;
    while (pf_link_verdict_next (&reader, &verdict) == 1) {
        verdicts->data [at + 8] = 'B';
        verdicts->data [at + 9] = (byte) (S_BUSY_RETRY_MS >> 24);
        verdicts->data [at + 10] = (byte) (S_BUSY_RETRY_MS >> 16);
        verdicts->data [at + 11] = (byte) (S_BUSY_RETRY_MS >> 8);
        verdicts->data [at + 12] = (byte) S_BUSY_RETRY_MS;
        at = reader.pos;
    }
}

//  One group commit: judge all requests, commit once, then answer each.
static void
s_store_commit_group (s_store_t *self)
{
    size_t requests = zlistx_size (self->group);
    if (requests == 0)
        return;
    pf_buf_t *bodies = (pf_buf_t *) calloc (requests, sizeof (pf_buf_t));
    assert (bodies);
    pf_proc_store_begin (self->store);
    size_t index = 0;
    for (zmsg_t *request = (zmsg_t *) zlistx_first (self->group); request;
         request = (zmsg_t *) zlistx_next (self->group)) {
        s_store_judge (self, request);
        bodies [index++] = self->verdicts;
        self->verdicts = (pf_buf_t) { 0 };
    }
    bool committed = pf_proc_store_commit (self->store) == 0;
    //  Verdicts go out only now, after the commit
    index = 0;
    for (zmsg_t *request = (zmsg_t *) zlistx_first (self->group); request;
         request = (zmsg_t *) zlistx_next (self->group), index++) {
        if (!committed)
            s_store_all_busy (&bodies [index]);
        zframe_t *routing_id = zmsg_first (request);
        zmsg_t *reply = zmsg_new ();
        zmsg_addstr (reply, "VERDICTS");
        zmsg_addmem (reply, zframe_data (routing_id), zframe_size (routing_id));
        zmsg_addmem (reply, bodies [index].data, bodies [index].size);
        pf_buf_free (&bodies [index]);
        zmsg_send (&reply, self->pipe);
    }
    free (bodies);
    zlistx_purge (self->group);
    self->group_records = 0;
}

static void
s_store_actor (zsock_t *pipe, void *args)
{
    s_store_args_t *options = (s_store_args_t *) args;
    zsock_signal (pipe, 0);
    char *error = NULL;
    s_store_t self = { .pipe = pipe };
    self.store = pf_proc_store_new (options->path, options->sync_full, options->window_s,
                                    options->max_pending, &error);
    if (self.store)
        pf_notice ("store open db=%s pending=%" PRId64 " remembered=%zu", options->path,
                   pf_proc_store_pending (self.store), pf_proc_store_remembered (self.store));
    pf_node_report (pipe, error);
    free (error);
    if (!self.store) {
        free (zstr_recv (pipe));    //  wait for $TERM
        return;
    }
    self.group = zlistx_new ();
    zlistx_set_destructor (self.group, s_msg_destroy);
    while (!self.terminated) {
        //  Wait for work, then take whatever else is already queued:
        //  under load the group grows, so each commit covers many messages
        s_store_take (&self, true);
        while (!self.terminated && !self.flush_requested
           &&  self.group_records < S_GROUP_RECORDS && s_store_take (&self, false))
            ;
        s_store_commit_group (&self);
        if (self.flush_requested) {
            zstr_send (pipe, "FLUSHED");
            self.flush_requested = false;
        }
    }
    zlistx_destroy (&self.group);
    pf_buf_free (&self.verdicts);
    pf_proc_store_destroy (&self.store);
}

//  ---- Socket loop -----------------------------------------------------------------

typedef struct {
    zsock_t *pipe;              //  our owner
    const char *name;           //  node name
    zcert_t *cert;              //  our key pair
    zactor_t *auth;             //  ZAP handler
    zsock_t *endpoint;          //  ROUTER: edges (and later the retry node)
    zactor_t *store;            //  store actor
    s_store_args_t store_args;
    char *db_path;
} s_proc_t;

//  Relay one message from the endpoint to the store actor.
static void
s_proc_from_endpoint (s_proc_t *self)
{
    zmsg_t *msg = zmsg_recv (self->endpoint);
    if (!msg)
        return;
    zframe_t *routing_id = zmsg_pop (msg);
    const char *command;
    size_t command_size;
    zframe_t *body;
    if (routing_id && pf_link_parse (msg, &command, &command_size, &body) == 0
    &&  pf_link_is (command, command_size, "MSGS")) {
        zmsg_t *request = zmsg_new ();
        zmsg_addstr (request, "MSGS");
        zmsg_append (request, &routing_id);
        zmsg_remove (msg, body);
        zmsg_append (request, &body);
        zmsg_send (&request, self->store);
    }
    else
        pf_warning ("malformed link message from a node, dropped");
    zframe_destroy (&routing_id);
    zmsg_destroy (&msg);
}

//  Relay one reply from the store actor; returns true on FLUSHED.
static bool
s_proc_from_store (s_proc_t *self)
{
    zmsg_t *msg = zmsg_recv (self->store);
    if (!msg)
        return true;
    char *command = zmsg_popstr (msg);
    bool flushed = command && streq (command, "FLUSHED");
    if (command && streq (command, "VERDICTS")) {
        //  routing-id body -> routing-id "PL1" "VERDICTS" body; the ROUTER
        //  drops it if that edge has gone, and never blocks
        zframe_t *routing_id = zmsg_pop (msg);
        zmsg_pushstr (msg, "VERDICTS");
        zmsg_pushstr (msg, PF_LINK_VERSION);
        zmsg_prepend (msg, &routing_id);
        zmsg_send (&msg, self->endpoint);
    }
    free (command);
    zmsg_destroy (&msg);
    return flushed;
}

static char *
s_proc_start (s_proc_t *self, pf_config_t *config)
{
    char *error = NULL;
    char path [256];
    self->cert = pf_keys_secret (config, self->name, &error);
    if (!self->cert)
        return error;
    self->auth = pf_node_auth_new (config, &error);
    if (!self->auth)
        return error;
    snprintf (path, sizeof path, "proc/%s/db", self->name);
    self->db_path = pf_config_file (config, path);
    snprintf (path, sizeof path, "proc/%s/synchronous", self->name);
    self->store_args.sync_full = streq (pf_config_str (config, path), "full");
    snprintf (path, sizeof path, "proc/%s/max-pending", self->name);
    self->store_args.max_pending = pf_config_int (config, path);
    self->store_args.window_s = pf_config_int (config, "fabric/dedupe-window");
    self->store_args.path = self->db_path;
    self->store = zactor_new (s_store_actor, &self->store_args);
    error = pf_node_wait_ready (self->store);
    if (error)
        return error;
    snprintf (path, sizeof path, "proc/%s/endpoint", self->name);
    //  An edge's MSGS frame holds up to 1 MiB of records plus one more
    int64_t max_frame = pf_config_int (config, "fabric/max-payload") + 2 * 1024 * 1024;
    self->endpoint = pf_node_server (ZMQ_ROUTER, pf_config_str (config, path), self->cert,
                                     "nodes", max_frame, &error);
    return error;
}

//  Commit what the store holds and send every verdict owed, then close.
static void
s_proc_drain (s_proc_t *self)
{
    zstr_send (self->store, "FLUSH");
    while (!s_proc_from_store (self))
        ;
    zsock_set_linger (self->endpoint, 2000);
}

void
pf_proc (zsock_t *pipe, void *args)
{
    pf_node_args_t *node = (pf_node_args_t *) args;
    s_proc_t self = { .pipe = pipe, .name = node->name };
    zsock_signal (pipe, 0);
    char *error = s_proc_start (&self, node->config);
    pf_node_report (pipe, error);
    if (!error) {
        char key [256];
        snprintf (key, sizeof key, "proc/%s/endpoint", self.name);
        pf_notice ("ready endpoint=%s db=%s", pf_config_str (node->config, key), self.db_path);
        zpoller_t *poller = zpoller_new (pipe, self.endpoint, self.store, NULL);
        zpoller_set_nonstop (poller, true);
        while (true) {
            void *which = zpoller_wait (poller, -1);
            if (which == self.endpoint)
                s_proc_from_endpoint (&self);
            else
            if (which == self.store)
                s_proc_from_store (&self);
            else
                break;      //  $TERM on the pipe, or interrupted
        }
        zpoller_destroy (&poller);
        s_proc_drain (&self);
        pf_notice ("stopped");
    }
    free (error);
    zsock_destroy (&self.endpoint);
    zactor_destroy (&self.store);
    zactor_destroy (&self.auth);
    zcert_destroy (&self.cert);
    free (self.db_path);
}
