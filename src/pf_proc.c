//  pf_proc - the proc node's socket loop: relays between the network and
//  the core actor (pf_proc_core), which owns the store and all decisions.
//
//  Sockets: the workers ROUTER (PF1 worker protocol) and, when the fabric
//  has a retry node, a DEALER to it whose routing id is this proc's name.
//  The control ROUTER (PING, STATS) is relayed to the core, which owns the
//  counters. The endpoint ROUTER (edges hand messages over) is bound here
//  and then handed to the core, which reads it and answers on it itself:
//  the hot path of every push, so it skips this thread (two thread
//  hand-offs fewer per push); the core takes no more from it while it
//  commits, and libzmq queues what comes meanwhile.

#include "pf_classes.h"

typedef struct {
    zsock_t *pipe;              //  our owner
    const char *name;           //  node name
    zcert_t *cert;              //  our key pair
    zactor_t *auth;             //  ZAP handler
    zsock_t *workers;           //  ROUTER: workers
    zsock_t *retry;             //  DEALER to the retry node, or NULL
    zsock_t *control;           //  ROUTER: operators, or NULL
    zactor_t *core;             //  the core actor
    pf_proc_core_args_t core_args;
    char *db_path;
} s_proc_t;

//  workers: routing-id frames... -> core: "WORKER" routing-id frames...
static void
s_from_workers (s_proc_t *self)
{
    zmsg_t *msg = zmsg_recv (self->workers);
    if (!msg)
        return;
    //  A worker may send anything: cap what we relay, the core judges it
    if (zmsg_size (msg) > 2 + 3 + PF_PROTO_ARGS_MAX) {
        zframe_t *routing_id = zmsg_pop (msg);
        zmsg_destroy (&msg);
        msg = zmsg_new ();
        zmsg_append (msg, &routing_id);
        zmsg_addstr (msg, "TOO-MANY-FRAMES");
    }
    zmsg_pushstr (msg, "WORKER");
    zmsg_send (&msg, self->core);
}

//  Send routing-id frames... to a worker; if it has gone, tell the core:
//  "GONE" routing-id. Destroys the message and nulls *msg_p.
static void
s_to_worker (s_proc_t *self, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    zframe_t *routing_id = zframe_dup (zmsg_first (msg));
    void *handle = zsock_resolve (self->workers);
    bool gone = false;
    zframe_t *frame = zmsg_pop (msg);
    while (frame) {
        zframe_t *next = zmsg_pop (msg);
        int rc = zmq_send (handle, zframe_data (frame), zframe_size (frame),
                           next ? ZMQ_SNDMORE : 0);
        zframe_destroy (&frame);
        if (rc == -1) {
            gone = zmq_errno () == EHOSTUNREACH;
            zframe_destroy (&next);
        }
        frame = next;
    }
    if (gone) {
        zmsg_t *notice = zmsg_new ();
        zmsg_addstr (notice, "GONE");
        zmsg_append (notice, &routing_id);
        zmsg_send (&notice, self->core);
    }
    zframe_destroy (&routing_id);
    zmsg_destroy (&msg);
}

//  retry: "PL1" command body -> core: "RETRY" command body
static void
s_from_retry (s_proc_t *self)
{
    zmsg_t *msg = zmsg_recv (self->retry);
    const char *command;
    size_t command_size;
    zframe_t *body;
    if (msg && pf_link_parse (msg, &command, &command_size, &body) == 0) {
        zmsg_t *request = zmsg_new ();
        zmsg_addstr (request, "RETRY");
        zmsg_addmem (request, command, command_size);
        zmsg_remove (msg, body);
        zmsg_append (request, &body);
        zmsg_send (&request, self->core);
    }
    else
        pf_warning ("malformed link message from the retry node, dropped");
    zmsg_destroy (&msg);
}

//  From the core to the network; returns true on FLUSHED. Sends never
//  block: the ROUTERs drop for gone peers, the DEALER fails while the
//  retry node is down (the core resends hand-offs on its own timer).
static bool
s_from_core (s_proc_t *self)
{
    zmsg_t *msg = zmsg_recv (self->core);
    if (!msg)
        return true;
    char *kind = zmsg_popstr (msg);
    bool flushed = kind && streq (kind, "FLUSHED");
    if (kind && streq (kind, "WORKER"))
        s_to_worker (self, &msg);
    else
    if (kind && streq (kind, "RETRY") && self->retry) {
        zmsg_pushstr (msg, PF_LINK_VERSION);
        zsock_set_sndtimeo (self->retry, 0);
        if (zmsg_send (&msg, self->retry) == -1)
            pf_debug ("retry node unreachable, hand-off waits for its resend");
    }
    else
    if (kind && streq (kind, "CONTROL") && self->control)
        zmsg_send (&msg, self->control);    //  dropped if the client has gone
    zmsg_destroy (&msg);
    free (kind);
    return flushed;
}

static char *
s_connect_retry (s_proc_t *self, pf_config_t *config)
{
    zlistx_t *retries = pf_config_nodes (config, "retry");
    const char *retry = (const char *) zlistx_first (retries);
    self->core_args.has_retry = retry != NULL;
    if (!retry)
        return NULL;
    char key [256], *error = NULL;
    snprintf (key, sizeof key, "retry/%s/endpoint", retry);
    self->retry = pf_node_client (ZMQ_DEALER, config, retry, pf_config_str (config, key),
                                  self->cert, self->name, NULL, &error);
    return error;
}

static void
s_core_args (s_proc_t *self, pf_config_t *config)
{
    char key [256];
    pf_proc_core_args_t *args = &self->core_args;
    const char *name = self->name;
    args->name = name;
    snprintf (key, sizeof key, "proc/%s/db", name);
    self->db_path = pf_config_file (config, key);
    args->db_path = self->db_path;
    args->sync_full = streq (pf_config_node_str (config, "proc", name, "synchronous"), "full");
    args->strict = streq (pf_config_node_str (config, "proc", name, "ordering"), "strict");
    args->max_pending = pf_config_node_int (config, "proc", name, "max-pending");
    args->open_in_memory = pf_config_node_int (config, "proc", name, "open-in-memory");
    args->delivery_timeout = pf_config_node_int (config, "proc", name, "delivery-timeout");
    args->heartbeat_timeout = pf_config_node_int (config, "proc", name, "heartbeat-timeout");
    args->backlog_alert = pf_config_node_int (config, "proc", name, "backlog-alert");
    args->p99_alert = pf_config_node_int (config, "proc", name, "p99-alert");
    args->alert_window = pf_config_node_int (config, "proc", name, "alert-window");
    args->window_s = pf_config_int (config, "fabric/dedupe-window");
}

static char *
s_proc_start (s_proc_t *self, pf_config_t *config)
{
    char *error = NULL;
    char key [256];
    error = pf_node_identity (config, self->name, &self->cert, &self->auth);
    if (error)
        return error;
    s_core_args (self, config);
    error = s_connect_retry (self, config);
    if (error)
        return error;
    self->core = zactor_new (pf_proc_core, &self->core_args);
    error = pf_node_wait_ready (self->core);
    if (error)
        return error;
    //  An edge's MSGS frame holds up to 1 MiB of records plus one more
    int64_t max_frame = pf_config_int (config, "fabric/max-payload") + 2 * 1024 * 1024;
    snprintf (key, sizeof key, "proc/%s/endpoint", self->name);
    zsock_t *endpoint = pf_node_server (ZMQ_ROUTER, pf_config_str (config, key), self->cert,
                                        "nodes", max_frame, PF_NODE_LINK_HWM, &error);
    if (error)
        return error;
    zsock_send (self->core, "sp", "ENDPOINT", endpoint);
    //  Workers send small commands; a DONEB of 10000 ids is the largest
    snprintf (key, sizeof key, "proc/%s/workers", self->name);
    self->workers = pf_node_server (ZMQ_ROUTER, pf_config_str (config, key), self->cert,
                                    "workers", 4 * 1024 * 1024, 0, &error);
    if (self->workers) {
        //  A send to a worker whose connection has closed fails at once, so
        //  its deliveries go elsewhere without waiting for heartbeat-timeout.
        //  A worker never holds more than its credit, which bounds the queue.
        zsock_set_router_mandatory (self->workers, 1);
        zsock_set_sndtimeo (self->workers, 0);
    }
    snprintf (key, sizeof key, "proc/%s/control", self->name);
    if (!error && *pf_config_str (config, key))
        self->control = pf_control_server (pf_config_str (config, key), self->cert, &error);
    return error;
}

//  Commit what the core holds and send everything owed, then close.
static void
s_proc_drain (s_proc_t *self)
{
    zstr_send (self->core, "FLUSH");
    while (!s_from_core (self))
        ;
    zsock_set_linger (self->workers, 1000);
    if (self->retry)
        zsock_set_linger (self->retry, 1000);
    if (self->control)
        zsock_set_linger (self->control, 0);
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
        zpoller_t *poller = zpoller_new (pipe, self.workers, self.core, NULL);
        if (self.retry)
            zpoller_add (poller, self.retry);
        if (self.control)
            zpoller_add (poller, self.control);
        zpoller_set_nonstop (poller, true);
        while (true) {
            void *which = zpoller_wait (poller, -1);
            if (which == self.workers)
                s_from_workers (&self);
            else
            if (which == self.core)
                s_from_core (&self);
            else
            if (self.retry && which == self.retry)
                s_from_retry (&self);
            else
            if (self.control && which == self.control)
                pf_node_relay_control (self.control, self.core);
            else
                break;      //  $TERM on the pipe
        }
        zpoller_destroy (&poller);
        s_proc_drain (&self);
        pf_notice ("stopped");
    }
    free (error);
    zsock_destroy (&self.workers);
    zsock_destroy (&self.retry);
    zsock_destroy (&self.control);
    zactor_destroy (&self.core);
    zactor_destroy (&self.auth);
    zcert_destroy (&self.cert);
    free (self.db_path);
}
