//  pf_control - control endpoint: request parsing, replies, and the client.

#include "pf_classes.h"

struct _pf_control_request_t {
    zmsg_t *envelope;           //  routing id, and a REQ's empty frame
    char *command;              //  NULL if malformed
    char *args [PF_CONTROL_ARGS_MAX];
    size_t arg_count;
};

zsock_t *
pf_control_server (const char *endpoint, zcert_t *cert, char **error)
{
    return pf_node_server (ZMQ_ROUTER, endpoint, cert, "control", PF_CONTROL_REQUEST_MAX, 0,
                           error);
}

pf_control_request_t *
pf_control_request_new (zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    if (!msg || zmsg_size (msg) < 2) {
        zmsg_destroy (&msg);
        return NULL;
    }
    pf_control_request_t *self = (pf_control_request_t *) zmalloc (sizeof (*self));
    self->envelope = zmsg_new ();
    zframe_t *frame = zmsg_pop (msg);
    zmsg_append (self->envelope, &frame);
    if (zframe_size (zmsg_first (msg)) == 0) {
        frame = zmsg_pop (msg);
        zmsg_append (self->envelope, &frame);
    }
    frame = zmsg_pop (msg);
    bool valid = frame && zframe_streq (frame, PF_CONTROL_VERSION)
              && zmsg_size (msg) >= 1 && zmsg_size (msg) <= 1 + PF_CONTROL_ARGS_MAX;
    zframe_destroy (&frame);
    if (valid) {
        self->command = zmsg_popstr (msg);
        while (zmsg_size (msg))
            self->args [self->arg_count++] = zmsg_popstr (msg);
    }
    zmsg_destroy (&msg);
    return self;
}

void
pf_control_request_destroy (pf_control_request_t **self_p)
{
    pf_control_request_t *self = *self_p;
    if (!self)
        return;
    zmsg_destroy (&self->envelope);
    free (self->command);
    for (size_t index = 0; index < self->arg_count; index++)
        free (self->args [index]);
    free (self);
    *self_p = NULL;
}

const char *
pf_control_request_command (pf_control_request_t *self)
{
    return self->command;
}

size_t
pf_control_request_args (pf_control_request_t *self)
{
    return self->arg_count;
}

const char *
pf_control_request_arg (pf_control_request_t *self, size_t index)
{
    return index < self->arg_count ? self->args [index] : NULL;
}

//  The envelope and "PFC1" status; destroys the request.
static zmsg_t *
s_reply (pf_control_request_t **self_p, const char *status)
{
    pf_control_request_t *self = *self_p;
    zmsg_t *reply = self->envelope;
    self->envelope = NULL;
    zmsg_addstr (reply, PF_CONTROL_VERSION);
    zmsg_addstr (reply, status);
    pf_control_request_destroy (self_p);
    return reply;
}

zmsg_t *
pf_control_reply_ok (pf_control_request_t **self_p, zmsg_t **frames_p)
{
    zmsg_t *reply = s_reply (self_p, "OK");
    zmsg_t *frames = frames_p ? *frames_p : NULL;
    if (frames) {
        zframe_t *frame;
        while ((frame = zmsg_pop (frames)))
            zmsg_append (reply, &frame);
        zmsg_destroy (frames_p);
    }
    return reply;
}

zmsg_t *
pf_control_reply_error (pf_control_request_t **self_p, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *reason = zsys_vprintf (format, args);
    va_end (args);
    zmsg_t *reply = s_reply (self_p, "ERROR");
    zmsg_addstr (reply, reason);
    free (reason);
    return reply;
}

//  ---- Client ----------------------------------------------------------------------

//  Wait for the reply and take it apart.
static zmsg_t *
s_call_wait (zsock_t *socket, const char *who, int timeout, char **error)
{
    zpoller_t *poller = zpoller_new (socket, NULL);
    zmsg_t *reply = NULL;
    if (zpoller_wait (poller, timeout) == socket)
        reply = zmsg_recv (socket);
    bool interrupted = zpoller_terminated (poller);
    zpoller_destroy (&poller);
    if (!reply) {
        *error = interrupted ? zsys_sprintf ("%s: interrupted", who)
                             : zsys_sprintf ("%s did not answer within %d ms", who, timeout);
        return NULL;
    }
    char *version = zmsg_popstr (reply);
    char *status = zmsg_popstr (reply);
    zmsg_t *result = NULL;
    if (!version || !status || !streq (version, PF_CONTROL_VERSION))
        *error = zsys_sprintf ("%s sent a malformed reply", who);
    else
    if (streq (status, "OK")) {
        result = reply;
        reply = NULL;
    }
    else {
        char *reason = zmsg_popstr (reply);
        *error = reason && *reason ? strdup (reason)
                                   : zsys_sprintf ("%s refused the request", who);
        free (reason);
    }
    free (version);
    free (status);
    zmsg_destroy (&reply);
    return result;
}

zmsg_t *
pf_control_call (pf_config_t *config, const char *node, const char *identity, int timeout,
                 char **error, const char *command, ...)
{
    const char *role = pf_config_role_of (config, node);
    if (!role) {
        *error = zsys_sprintf ("%s: no node named '%s'", pf_config_path (config), node);
        return NULL;
    }
    char key [256];
    snprintf (key, sizeof key, "%s/%s/control", role, node);
    const char *endpoint = pf_config_str (config, key);
    if (!*endpoint) {
        *error = zsys_sprintf ("%s: %s '%s' has no control endpoint", pf_config_path (config),
                               role, node);
        return NULL;
    }
    zcert_t *cert = pf_keys_secret (config, identity, error);
    if (!cert)
        return NULL;
    zcert_t *server = pf_keys_node (config, node, error);
    if (!server) {
        zcert_destroy (&cert);
        return NULL;
    }
    char *who = zsys_sprintf ("%s '%s' at %s", role, node, endpoint);
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    pf_keys_curve_client (socket, cert, zcert_public_txt (server));
    zcert_destroy (&cert);
    zcert_destroy (&server);
    zsock_set_linger (socket, 0);
    zmsg_t *reply = NULL;
    if (zsock_connect (socket, "%s", endpoint) == -1)
        *error = zsys_sprintf ("cannot connect to %s: %s", who, zmq_strerror (zmq_errno ()));
    else {
        zmsg_t *request = zmsg_new ();
        zmsg_addstr (request, PF_CONTROL_VERSION);
        zmsg_addstr (request, command);
        va_list args;
        va_start (args, command);
        const char *arg;
        while ((arg = va_arg (args, const char *)))
            zmsg_addstr (request, arg);
        va_end (args);
        //  Queued until the handshake is done; the wait below bounds it
        if (zmsg_send (&request, socket) == -1) {
            zmsg_destroy (&request);
            *error = zsys_sprintf ("cannot send to %s: %s", who, zmq_strerror (zmq_errno ()));
        }
        else
            reply = s_call_wait (socket, who, timeout, error);
    }
    zsock_destroy (&socket);
    free (who);
    return reply;
}
