//  pf_retry - the retry node: socket loop.

#include "pf_classes.h"

typedef struct {
    zsock_t *pipe;              //  our owner
    const char *name;           //  node name
    zcert_t *cert;              //  our key pair
    zactor_t *auth;             //  ZAP handler
    zsock_t *endpoint;          //  ROUTER: procs
    zsock_t *control;           //  ROUTER: operators, or NULL
    zactor_t *core;             //  the core actor
    pf_retry_core_args_t core_args;
    char *db_path;
} s_retry_t;

//  endpoint: routing-id "PL1" command body -> core: "LINK" routing-id command body
static void
s_from_endpoint (s_retry_t *self)
{
    zmsg_t *msg = zmsg_recv (self->endpoint);
    if (!msg)
        return;
    zframe_t *routing_id = zmsg_pop (msg);
    const char *command;
    size_t command_size;
    zframe_t *body;
    if (routing_id && pf_link_parse (msg, &command, &command_size, &body) == 0) {
        zmsg_t *request = zmsg_new ();
        zmsg_addstr (request, "LINK");
        zmsg_append (request, &routing_id);
        zmsg_addmem (request, command, command_size);
        zmsg_remove (msg, body);
        zmsg_append (request, &body);
        zmsg_send (&request, self->core);
    }
    else
        pf_warning ("malformed link message from a node, dropped");
    zframe_destroy (&routing_id);
    zmsg_destroy (&msg);
}

//  Send routing-id "PL1" command body on the endpoint without blocking;
//  when the proc is not connected (or too far behind), tell the core.
static void
s_to_proc (s_retry_t *self, zmsg_t *msg)
{
    zframe_t *name = zmsg_pop (msg);
    zframe_t *command = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    void *handle = zsock_resolve (self->endpoint);
    char *text = name ? zframe_strdup (name) : NULL;
    if (name && command && body
    &&  (zframe_send (&name, handle, ZFRAME_MORE | ZFRAME_DONTWAIT) == -1
    ||   zmq_send (handle, PF_LINK_VERSION, 3, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1
    ||   zframe_send (&command, handle, ZFRAME_MORE | ZFRAME_DONTWAIT) == -1
    ||   zframe_send (&body, handle, ZFRAME_DONTWAIT) == -1)) {
        //  With ZMQ_ROUTER_MANDATORY only the routing id frame can fail:
        //  the proc is not connected (EHOSTUNREACH) or too far behind (EAGAIN)
        pf_debug ("cannot send to proc '%s': %s", text, zmq_strerror (zmq_errno ()));
        zstr_sendx (self->core, "UNREACHABLE", text, NULL);
    }
    free (text);
    zframe_destroy (&name);
    zframe_destroy (&command);
    zframe_destroy (&body);
}

//  From the core to the network; returns true on FLUSHED.
static bool
s_from_core (s_retry_t *self)
{
    zmsg_t *msg = zmsg_recv (self->core);
    if (!msg)
        return true;
    char *kind = zmsg_popstr (msg);
    bool flushed = kind && streq (kind, "FLUSHED");
    if (kind && streq (kind, "LINK"))
        s_to_proc (self, msg);
    else
    if (kind && streq (kind, "CONTROL") && self->control)
        zmsg_send (&msg, self->control);    //  dropped if the client has gone
    zmsg_destroy (&msg);
    free (kind);
    return flushed;
}

static void
s_core_args (s_retry_t *self, pf_config_t *config)
{
    char key [256];
    pf_retry_core_args_t *args = &self->core_args;
    args->name = self->name;
    args->config = config;
    snprintf (key, sizeof key, "retry/%s/db", self->name);
    self->db_path = pf_config_file (config, key);
    args->db_path = self->db_path;
    snprintf (key, sizeof key, "retry/%s/base-delay", self->name);
    args->base_delay = pf_config_int (config, key);
    snprintf (key, sizeof key, "retry/%s/max-delay", self->name);
    args->max_delay = pf_config_int (config, key);
    snprintf (key, sizeof key, "retry/%s/max-attempts", self->name);
    args->max_attempts = (uint32_t) pf_config_int (config, key);
}

static char *
s_retry_start (s_retry_t *self, pf_config_t *config)
{
    char *error = NULL;
    char key [256];
    error = pf_node_identity (config, self->name, &self->cert, &self->auth);
    if (error)
        return error;
    s_core_args (self, config);
    self->core = zactor_new (pf_retry_core, &self->core_args);
    error = pf_node_wait_ready (self->core);
    if (error)
        return error;
    //  Procs are the fabric's own nodes: a FAILED body may hold many
    //  messages, so no frame limit here
    snprintf (key, sizeof key, "retry/%s/endpoint", self->name);
    self->endpoint = pf_node_server (ZMQ_ROUTER, pf_config_str (config, key), self->cert,
                                     "nodes", 0, PF_NODE_LINK_HWM, &error);
    if (error)
        return error;
    zsock_set_router_handover (self->endpoint, 1);
    zsock_set_router_mandatory (self->endpoint, 1);
    snprintf (key, sizeof key, "retry/%s/control", self->name);
    if (*pf_config_str (config, key))
        self->control = pf_control_server (pf_config_str (config, key), self->cert, &error);
    return error;
}

//  Commit what the core holds and send everything owed, then close.
static void
s_retry_drain (s_retry_t *self)
{
    zstr_send (self->core, "FLUSH");
    while (!s_from_core (self))
        ;
    zsock_set_linger (self->endpoint, 2000);
    if (self->control)
        zsock_set_linger (self->control, 1000);
}

void
pf_retry (zsock_t *pipe, void *args)
{
    pf_node_args_t *node = (pf_node_args_t *) args;
    s_retry_t self = { .pipe = pipe, .name = node->name };
    zsock_signal (pipe, 0);
    char *error = s_retry_start (&self, node->config);
    pf_node_report (pipe, error);
    if (!error) {
        char key [256];
        snprintf (key, sizeof key, "retry/%s/endpoint", self.name);
        pf_notice ("ready endpoint=%s db=%s", pf_config_str (node->config, key), self.db_path);
        zpoller_t *poller = zpoller_new (pipe, self.endpoint, self.core, NULL);
        if (self.control)
            zpoller_add (poller, self.control);
        zpoller_set_nonstop (poller, true);
        while (true) {
            void *which = zpoller_wait (poller, -1);
            if (which == self.endpoint)
                s_from_endpoint (&self);
            else
            if (which == self.core)
                s_from_core (&self);
            else
            if (self.control && which == self.control)
                pf_node_relay_control (self.control, self.core);
            else
                break;      //  $TERM on the pipe
        }
        zpoller_destroy (&poller);
        s_retry_drain (&self);
        pf_notice ("stopped");
    }
    free (error);
    zsock_destroy (&self.endpoint);
    zsock_destroy (&self.control);
    zactor_destroy (&self.core);
    zactor_destroy (&self.auth);
    zcert_destroy (&self.cert);
    free (self.db_path);
}
