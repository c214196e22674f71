//  pf_node - what every node actor (edge, proc, retry) shares: its start
//  arguments, the ZAP handler with the fabric's certificate folders, and
//  CURVE sockets with heartbeats.

#ifndef PF_NODE_H_INCLUDED
#define PF_NODE_H_INCLUDED

//  Arguments of a node actor; both borrowed for the actor's lifetime.
typedef struct {
    pf_config_t *config;
    const char *name;
} pf_node_args_t;

//  ZMTP heartbeats on every link: a peer silent this long is dropped.
#define PF_NODE_HEARTBEAT_IVL       1000
#define PF_NODE_HEARTBEAT_TIMEOUT   5000

//  Start the process's ZAP handler with one domain per certificate folder:
//  "clients", "nodes", "workers" and "control" (nodes and admins).
//  Returns NULL and sets *error on failure.
zactor_t *
    pf_node_auth_new (pf_config_t *config, char **error);

//  Hand-offs between nodes (MSGS, FAILED: up to about 1 MiB each) queued
//  on one link, each way, before a send fails with EAGAIN and the sender
//  answers BUSY or resends later: a node that falls behind then costs at
//  most this many hand-offs of memory at each end, not the HWM default's
//  thousand.
#define PF_NODE_LINK_HWM            64

//  A socket of type bound to endpoint as a CURVE server with cert,
//  authenticated in ZAP domain. A peer that sends a frame over max_frame
//  bytes (0: no limit) is disconnected; at most rcvhwm messages of one peer
//  are queued (0: libzmq's default). Returns NULL and sets *error on
//  failure.
zsock_t *
    pf_node_server (int type, const char *endpoint, zcert_t *cert,
                    const char *domain, int64_t max_frame, int rcvhwm, char **error);

//  A socket of type connected to the node peer_name's endpoint as a CURVE
//  client with cert, with ZMQ_IMMEDIATE: a send fails at once (EAGAIN)
//  while the peer is not connected. routing_id, if not NULL, names us to
//  the peer's ROUTER. Returns NULL and sets *error on failure.
//  With monitor_p, also *monitor_p: the connection events (see
//  pf_node_monitor), watched from before the connect.
zsock_t *
    pf_node_client (int type, pf_config_t *config, const char *peer_name,
                    const char *endpoint, zcert_t *cert, const char *routing_id,
                    zsock_t **monitor_p, char **error);

//  The events pf_node_monitor reports
#define PF_NODE_MONITOR_EVENTS  (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED \
                                 | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL \
                                 | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                                 | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

//  A PAIR socket that receives socket's connection events (a handshake
//  succeeded or failed, a connection closed), for a poller. Create it
//  before socket connects, or the first handshake is missed. Returns NULL
//  and sets *error on failure.
zsock_t *
    pf_node_monitor (zsock_t *socket, char **error);

//  The next event waiting on monitor (ZMQ_EVENT_*), with its value in
//  *value; 0 when none is waiting.
int
    pf_node_monitor_next (zsock_t *monitor, uint32_t *value);

//  Stop monitoring socket, destroy *monitor_p and set it to NULL.
void
    pf_node_monitor_destroy (zsock_t *socket, zsock_t **monitor_p);

//  What every node starts with: its key pair (keys/secret/NAME.cert_secret)
//  in *cert_p and the process's ZAP handler in *auth_p. Returns NULL, or
//  the reason it could not (caller frees; what was made is left in
//  *cert_p and *auth_p for the caller to destroy).
char *
    pf_node_identity (pf_config_t *config, const char *name, zcert_t **cert_p,
                      zactor_t **auth_p);

//  Relay the request waiting on a control ROUTER to a core actor, as
//  "CONTROL" routing-id frames... (a node whose counters live on its core
//  thread lets the core answer).
void
    pf_node_relay_control (zsock_t *control, zactor_t *core);

//  Report the outcome of start-up to the actor's owner: "READY", or
//  "FAILED" and the reason (then the actor returns).
void
    pf_node_report (zsock_t *pipe, const char *error);

//  Wait for that report; returns NULL when ready, else the reason
//  (caller frees).
char *
    pf_node_wait_ready (zactor_t *actor);

#endif
