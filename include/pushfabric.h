/*  pushfabric.h - the public C API of pushfabric.

    A producer pushes messages to an edge over the PF1 client protocol
    (CurveZMQ), pipelined and packed into PUSHB batches, and hands each
    message's final verdict back to the caller. Messages answered BUSY, or
    not answered in time, are resent with the same id, which the fabric
    dedupes, so each message is accepted exactly once.

    Link with -lpushfabric (pkg-config libpushfabric). One pf_producer_t
    belongs to one thread.
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

#ifdef __cplusplus
}
#endif

#endif
