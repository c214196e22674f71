/*  pushfabric.h - the public C API of pushfabric.

    A producer pushes messages to an edge over the PF1 client protocol
    (CurveZMQ), pipelined and packed into PUSHB batches, and hands each
    message's final verdict back to the caller. Messages answered BUSY, or
    not answered in time, are resent with the same id, which the fabric
    dedupes, so each message is accepted exactly once.

    A worker serves the procs of a fabric over the PF1 worker protocol: it
    takes deliveries, calls a handler for each, and answers DONE or FAIL,
    under credit-based flow control, with heartbeats, and re-registering
    with a proc that restarted or forgot it.

    Link with -lpushfabric (pkg-config libpushfabric). One pf_producer_t or
    pf_worker_t belongs to one thread.
*/

#ifndef PUSHFABRIC_H_INCLUDED
#define PUSHFABRIC_H_INCLUDED

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  The library version, "MAJOR.MINOR.PATCH".
const char *
    pf_version (void);

typedef struct _pf_producer_t pf_producer_t;

//  The final verdict on one message, passed to the verdict callback.
//  Every pointer is valid only during the callback.
typedef struct {
    const char *id;             //  the message id
    char status;                //  'A' ACK, 'D' DUP, 'N' NACK, 'E' gave up
    const char *reason;         //  NACK reason (e.g. "BAD_TOPIC"), "DEADLINE" for 'E', else ""
    const char *text;           //  NACK explanation, else ""
    void *hint;                 //  as given to pf_producer_push
    unsigned sends;             //  how many times the message was sent
    int64_t latency_us;         //  from the first send to this verdict
} pf_producer_verdict_t;

typedef void (pf_producer_verdict_fn) (const pf_producer_verdict_t *verdict, void *arg);

typedef struct {
    const char *endpoint;       //  edge frontend, e.g. "tcp://127.0.0.1:7600"
    const char *server_public;  //  the edge's public key, Z85 (40 characters)
    const char *cert_path;      //  this client's key pair, a zcert secret file
    size_t window;              //  most messages in flight (default 1000)
    size_t batch_records;       //  most records in one PUSHB (default 256)
    size_t batch_bytes;         //  most bytes in one PUSHB (default 1 MiB)
    int linger_ms;              //  wait this long for a batch to fill (default 1)
    int resend_ms;              //  resend when unanswered this long (default 5000)
    int deadline_ms;            //  give up with 'E' after this long (default 60000, -1 never)
    bool single;                //  use the single PUSH form instead of PUSHB
    pf_producer_verdict_fn *on_verdict;     //  required
    void *arg;                  //  passed to on_verdict
} pf_producer_options_t;

//  Connect to an edge. Options left zero take their defaults. Returns NULL
//  and sets *error to a one-line reason (caller frees) on failure.
pf_producer_t *
    pf_producer_new (const pf_producer_options_t *options, char **error);

//  Close the connection, dropping messages without a verdict (call
//  pf_producer_flush first), and set *self_p to NULL.
void
    pf_producer_destroy (pf_producer_t **self_p);

//  Queue one message; id, topic, key and payload are copied. While the
//  window is full, serves the connection (calling on_verdict) until there
//  is room. Returns 0, or -1 with errno EINVAL (a field outside the PF1
//  limits: the id 1-128 printable bytes, topic 1-255 bytes, key <= 255),
//  EEXIST (a message with this id is still in flight) or EINTR.
int
    pf_producer_push (pf_producer_t *self, const char *id, const char *topic,
                      const void *key, size_t key_size,
                      const void *payload, size_t payload_size, void *hint);

//  Serve the connection for at most timeout_ms: send queued batches, take
//  verdicts, resend what is due. Returns how many final verdicts were
//  delivered, or -1 if interrupted.
int
    pf_producer_poll (pf_producer_t *self, int timeout_ms);

//  Serve until every queued message has its final verdict. Returns 0, or -1
//  if timeout_ms (-1 = no limit) passed first or the process was interrupted.
int
    pf_producer_flush (pf_producer_t *self, int timeout_ms);

//  Messages queued or in flight without a final verdict.
size_t
    pf_producer_pending (pf_producer_t *self);

//  Write a fresh random UUIDv4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") and
//  a NUL into buffer, which must hold 37 bytes.
void
    pf_producer_uuid (char *buffer);

//  ---- Workers -------------------------------------------------------------------

typedef struct _pf_worker_t pf_worker_t;

//  One delivery, passed to the handler. Every pointer is valid only during
//  the handler call.
typedef struct {
    const char *id;             //  the message id, NUL-terminated
    const char *topic;          //  NUL-terminated
    const void *key;            //  0 to 255 bytes, any bytes (not NUL-terminated)
    size_t key_size;
    uint32_t attempt;           //  1 for the first delivery, then 2, 3, ...
    const void *payload;        //  any bytes (not NUL-terminated)
    size_t payload_size;
    const char *endpoint;       //  the workers endpoint of the proc it came from
} pf_delivery_t;

//  Handle one delivery. Return 0 to answer DONE; anything else answers FAIL,
//  with the text the handler wrote into reason (a NUL-terminated string of
//  at most reason_size - 1 = 255 bytes; "handler failed" if left empty).
//  The handler runs in the thread that called pf_worker_run, one delivery
//  at a time; the others held wait, and the procs' delivery-timeout runs
//  for them, so keep credit times the handling time well under it. It may
//  call pf_worker_heartbeat and pf_worker_stop, not pf_worker_run or
//  pf_worker_destroy. Delivery is at least once: the same id may come
//  again, with a higher attempt.
typedef int (pf_worker_handler_fn) (const pf_delivery_t *delivery, void *arg,
                                    char *reason, size_t reason_size);

//  A proc to serve: its `workers` endpoint and its public key.
typedef struct {
    const char *endpoint;       //  e.g. "tcp://127.0.0.1:7611"
    const char *server_public;  //  the proc's public key, Z85 (40 characters)
} pf_worker_proc_t;

typedef struct {
    const pf_worker_proc_t *procs;  //  the procs to serve (every proc of the fabric)
    size_t proc_count;          //  1 or more
    const char *cert_path;      //  this worker's key pair, a zcert secret file
    const char *topics;         //  comma-separated topic prefixes; NULL or "" = all
    size_t credit;              //  deliveries held at once, per proc (1-10000, default 100)
    size_t batch_size;          //  records per DELIVERB (1-10000, at most credit;
                                //  default 1 = single DELIVER messages)
    int heartbeat_ms;           //  PING a proc after this long without sending it
                                //  anything (1-3600000, default 3000: a third of
                                //  the procs' default heartbeat-timeout)
    pf_worker_handler_fn *handler;  //  required
    void *arg;                  //  passed to handler
} pf_worker_options_t;

//  Connect to every proc. READY goes to each one as soon as its connection
//  is up (and again whenever it comes back). Options left zero take their
//  defaults. Returns NULL and sets *error to a one-line reason (caller
//  frees) on failure.
pf_worker_t *
    pf_worker_new (const pf_worker_options_t *options, char **error);

//  Close the connections and set *self_p to NULL; does nothing if already
//  NULL. Deliveries received and not yet handled are dropped: each proc
//  delivers them again (as a further attempt) once it finds the worker gone.
void
    pf_worker_destroy (pf_worker_t **self_p);

//  Serve the procs for timeout_ms (-1 = until stopped): take deliveries,
//  call the handler for each, one at a time, answer each one, and keep the
//  connections alive. Each turn handles one delivery (one record of a
//  batch), so the call may last one handler call longer than timeout_ms; a
//  timeout of 0 makes one turn. Never spins: it waits on the sockets.
//  Returns how many deliveries it handled, when timeout_ms has passed or
//  pf_worker_stop was called. Returns -1 with errno EINTR once the process
//  is interrupted (SIGINT or SIGTERM, as czmq's zsys_interrupted tells),
//  calling no handler after the signal. The answers of deliveries handled
//  before are sent, except a FAIL from the handler call the signal came
//  during: that failure is most likely the signal's doing (a child process
//  got the same Ctrl-C), so the message is left to the proc, which delivers
//  it again once it finds the worker gone. Returns -1 with EBUSY when
//  called from the handler.
int
    pf_worker_run (pf_worker_t *self, int timeout_ms);

//  Make pf_worker_run return after the delivery in progress (or at once if
//  it is waiting). Deliveries already received wait for the next
//  pf_worker_run. Safe to call from the handler or a signal handler.
void
    pf_worker_stop (pf_worker_t *self);

//  Send what keeps this worker known to its procs, where due: a PING (or
//  the DONEs gathered so far from a batch) to each proc not sent anything
//  for heartbeat_ms. A handler that may run longer than the procs'
//  heartbeat-timeout calls this now and then, or the procs count the
//  worker as lost and deliver its messages elsewhere. Never blocks.
void
    pf_worker_heartbeat (pf_worker_t *self);

#ifdef __cplusplus
}
#endif

#endif
