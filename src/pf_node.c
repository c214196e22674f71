//  pf_node - shared start-up of node actors: ZAP domains and CURVE sockets.

#include "pf_classes.h"

static void
s_heartbeat (zsock_t *socket)
{
    zsock_set_heartbeat_ivl (socket, PF_NODE_HEARTBEAT_IVL);
    zsock_set_heartbeat_timeout (socket, PF_NODE_HEARTBEAT_TIMEOUT);
    zsock_set_heartbeat_ttl (socket, PF_NODE_HEARTBEAT_TIMEOUT);
}

zactor_t *
pf_node_auth_new (pf_config_t *config, char **error)
{
    zactor_t *auth = zactor_new (pf_auth, NULL);
    char *clients = pf_keys_path (config, "clients");
    char *nodes = pf_keys_path (config, "nodes");
    char *workers = pf_keys_path (config, "workers");
    char *admins = pf_keys_path (config, "admins");
    char *control = zsys_sprintf ("%s,%s", nodes, admins);
    int rc = pf_auth_domain (auth, "clients", clients)
           | pf_auth_domain (auth, "nodes", nodes)
           | pf_auth_domain (auth, "workers", workers)
           | pf_auth_domain (auth, "control", control);
    free (clients);
    free (nodes);
    free (workers);
    free (admins);
    free (control);
    if (rc) {
        *error = strdup ("cannot start the ZAP handler");
        zactor_destroy (&auth);
    }
    return auth;
}

zsock_t *
pf_node_server (int type, const char *endpoint, zcert_t *cert, const char *domain,
                int64_t max_frame, int rcvhwm, char **error)
{
    zsock_t *socket = zsock_new (type);
    if (!socket) {
        *error = zsys_sprintf ("cannot create socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    pf_keys_curve_server (socket, cert, domain);
    s_heartbeat (socket);
    //  Options must be set before the bind: the listener copies them
    if (max_frame > 0)
        zsock_set_maxmsgsize (socket, (int) max_frame);
    if (rcvhwm > 0)
        zsock_set_rcvhwm (socket, rcvhwm);
    //  Replies to peers go out through a ROUTER that drops rather than
    //  blocks at this mark; a peer this far behind will resend anyway
    zsock_set_sndhwm (socket, 100000);
    if (zsock_bind (socket, "%s", endpoint) == -1) {
        *error = zsys_sprintf ("cannot bind '%s': %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&socket);
    }
    return socket;
}

zsock_t *
pf_node_client (int type, pf_config_t *config, const char *peer_name,
                const char *endpoint, zcert_t *cert, const char *routing_id,
                zsock_t **monitor_p, char **error)
{
    zcert_t *peer = pf_keys_node (config, peer_name, error);
    if (!peer)
        return NULL;
    zsock_t *socket = zsock_new (type);
    pf_keys_curve_client (socket, cert, zcert_public_txt (peer));
    zcert_destroy (&peer);
    s_heartbeat (socket);
    //  Queue only to a live connection, so that a send to a node that is
    //  down fails at once (and its caller can answer BUSY) instead of
    //  waiting in a queue; messages in a dropped connection are discarded
    zsock_set_immediate (socket, 1);
    zsock_set_sndhwm (socket, PF_NODE_LINK_HWM);
    if (routing_id)
        zsock_set_identity (socket, routing_id);
    if (monitor_p) {
        *monitor_p = pf_node_monitor (socket, error);
        if (!*monitor_p) {
            zsock_destroy (&socket);
            return NULL;
        }
    }
    if (zsock_connect (socket, "%s", endpoint) == -1) {
        *error = zsys_sprintf ("cannot connect to '%s': %s", endpoint,
                               zmq_strerror (zmq_errno ()));
        zsock_destroy (&socket);
    }
    return socket;
}

zsock_t *
pf_node_monitor (zsock_t *socket, char **error)
{
    static int counter = 0;
    char endpoint [128];
    snprintf (endpoint, sizeof endpoint, "inproc://pf-monitor-%d",
              __atomic_add_fetch (&counter, 1, __ATOMIC_RELAXED));
    zsock_t *monitor = zsock_new (ZMQ_PAIR);
    if (!monitor
    ||  zmq_socket_monitor (zsock_resolve (socket), endpoint, PF_NODE_MONITOR_EVENTS) == -1
    ||  zsock_connect (monitor, "%s", endpoint) == -1) {
        *error = zsys_sprintf ("cannot monitor a socket: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&monitor);
        return NULL;
    }
    zsock_set_rcvtimeo (monitor, 0);
    return monitor;
}

int
pf_node_monitor_next (zsock_t *monitor, uint32_t *value)
{
    if (!(zsock_events (monitor) & ZMQ_POLLIN))
        return 0;
    zmsg_t *event = zmsg_recv (monitor);
    zframe_t *frame = event ? zmsg_first (event) : NULL;
    uint16_t code = 0;
    if (frame && zframe_size (frame) >= 6) {
        memcpy (&code, zframe_data (frame), 2);
        memcpy (value, zframe_data (frame) + 2, 4);
    }
    zmsg_destroy (&event);
    return code;
}

void
pf_node_monitor_destroy (zsock_t *socket, zsock_t **monitor_p)
{
    if (socket && *monitor_p)
        zmq_socket_monitor (zsock_resolve (socket), NULL, 0);
    zsock_destroy (monitor_p);
}

char *
pf_node_identity (pf_config_t *config, const char *name, zcert_t **cert_p, zactor_t **auth_p)
{
    char *error = NULL;
    *cert_p = pf_keys_secret (config, name, &error);
    if (*cert_p)
        *auth_p = pf_node_auth_new (config, &error);
    return error;
}

void
pf_node_relay_control (zsock_t *control, zactor_t *core)
{
    zmsg_t *msg = zmsg_recv (control);
    if (!msg)
        return;
    zmsg_pushstr (msg, "CONTROL");
    zmsg_send (&msg, core);
}

void
pf_node_report (zsock_t *pipe, const char *error)
{
    if (error)
        zstr_sendx (pipe, "FAILED", error, NULL);
    else
        zstr_send (pipe, "READY");
}

char *
pf_node_wait_ready (zactor_t *actor)
{
    char *status = NULL, *reason = NULL;
    if (zstr_recvx (actor, &status, &reason, NULL) < 1)
        return strdup ("node stopped before it was ready");
    bool ready = streq (status, "READY");
    free (status);
    if (ready) {
        free (reason);
        return NULL;
    }
    return reason ? reason : strdup ("unknown failure");
}
