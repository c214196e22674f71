//  pf_control - the control endpoint a node binds for operators (the CLI's
//  'dlq', later 'stats'), and the client the CLI calls it with.
//
//  The node binds a ROUTER on its NODE/control endpoint as a CURVE server
//  in ZAP domain "control" (certificates in keys/nodes/ and keys/admins/).
//  A client connects a DEALER (or a REQ) as a CURVE client and sends
//
//      "PFC1" COMMAND ARG...                  (a REQ's empty frame first)
//
//  and gets exactly one reply, in the order of its requests:
//
//      "PFC1" "OK" FRAME...                   what the command returns
//      "PFC1" "ERROR" REASON                  one line, for a person
//
//  A request that is not "PFC1" and a command, or has more than
//  PF_CONTROL_ARGS_MAX arguments, is answered ERROR. Which commands there
//  are is the node's business (pf_retry: DLQ-LIST, DLQ-SHOW, DLQ-REPLAY,
//  DLQ-PURGE; every node: PING, answered OK "PONG"). Documented in
//  pushfabric-protocol(7).

#ifndef PF_CONTROL_H_INCLUDED
#define PF_CONTROL_H_INCLUDED

#define PF_CONTROL_VERSION      "PFC1"
#define PF_CONTROL_ARGS_MAX     8
//  Bytes of one request at most (the ROUTER drops a peer that sends more)
#define PF_CONTROL_REQUEST_MAX  65536
//  The CLI's default wait for a reply
#define PF_CONTROL_TIMEOUT      3000

typedef struct _pf_control_request_t pf_control_request_t;

//  The control ROUTER bound on endpoint with the node's key pair. Returns
//  NULL and sets *error on failure.
zsock_t *
    pf_control_server (const char *endpoint, zcert_t *cert, char **error);

//  Take a message received on the control ROUTER (routing id first).
//  Returns the request, or NULL (msg destroyed) when it has not even a
//  routing id and a frame.
pf_control_request_t *
    pf_control_request_new (zmsg_t **msg_p);

void
    pf_control_request_destroy (pf_control_request_t **self_p);

//  The command, or NULL when the request is malformed (answer it ERROR).
const char *
    pf_control_request_command (pf_control_request_t *self);

//  Number of arguments, and argument index as text (borrowed; NULL past
//  the end).
size_t
    pf_control_request_args (pf_control_request_t *self);
const char *
    pf_control_request_arg (pf_control_request_t *self, size_t index);

//  The reply to a request, to send on the ROUTER: "OK" then the frames of
//  *frames_p (taken; NULL for none). Destroys the request.
zmsg_t *
    pf_control_reply_ok (pf_control_request_t **self_p, zmsg_t **frames_p);

//  The reply "ERROR" reason. Destroys the request.
zmsg_t *
    pf_control_reply_error (pf_control_request_t **self_p, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  ---- Client ----------------------------------------------------------------------

//  Send COMMAND ARG... (NULL-terminated strings) to the control endpoint of
//  node, as the identity keys/secret/IDENTITY.cert_secret (e.g. "admin"),
//  and wait up to timeout ms. Returns the frames after "OK" (caller
//  destroys), or NULL with *error set to one line (caller frees): the
//  node's ERROR reason, or why it could not be asked, naming the node and
//  its endpoint.
zmsg_t *
    pf_control_call (pf_config_t *config, const char *node, const char *identity,
                     int timeout, char **error, const char *command, ...);

#endif
