//  pf_proto - the PF1 codec, client and worker side: the only code that knows
//  PF1 frame order, field limits and the batch record layouts (SPEC 3 and 4).
//  Pure functions over bytes; no sockets, no allocation except in pf_buf.

#ifndef PF_PROTO_H_INCLUDED
#define PF_PROTO_H_INCLUDED

#define PF_PROTO_VERSION        "PF1"
#define PF_PROTO_ID_MAX         128
#define PF_PROTO_TOPIC_MAX      255
#define PF_PROTO_KEY_MAX        255
#define PF_PROTO_BATCH_MAX      10000   //  records in one PUSHB or DELIVERB
#define PF_PROTO_CREDIT_MAX     10000

//  Each reason maps one-to-one onto a NACK reason on the wire.
typedef enum {
    PF_REASON_OK = 0,
    PF_REASON_MALFORMED,
    PF_REASON_BAD_ID,
    PF_REASON_BAD_TOPIC,
    PF_REASON_BAD_KEY,
    PF_REASON_TOO_LARGE,
    PF_REASON_FORBIDDEN
} pf_reason_t;

//  "MALFORMED", "BAD_ID", ...; "OK" for PF_REASON_OK.
const char *
    pf_reason_name (pf_reason_t reason);

//  Inverse of pf_reason_name; PF_REASON_MALFORMED for an unknown name.
pf_reason_t
    pf_reason_parse (const byte *name, size_t size);

//  One message as the client sent it: views into a received frame.
typedef struct {
    const byte *id;         size_t id_size;
    const byte *topic;      size_t topic_size;
    const byte *key;        size_t key_size;
    const byte *payload;    size_t payload_size;
    uint32_t attempt;       //  worker deliveries only
} pf_record_t;

//  Field checks. Each returns PF_REASON_OK or the reason to NACK with, and
//  sets *text to a short static explanation.
pf_reason_t
    pf_proto_check_id (const byte *id, size_t size, const char **text);
pf_reason_t
    pf_proto_check_topic (const byte *topic, size_t size, const char **text);
//  Checks id, topic, key and payload size in SPEC order.
pf_reason_t
    pf_proto_check_record (const pf_record_t *record, size_t max_payload,
                           const char **text);

//  True if topic starts with one of the comma-separated prefixes; an empty
//  or NULL list allows every topic.
bool
    pf_proto_topic_allowed (const byte *topic, size_t size, const char *prefixes);

//  ---- Commands --------------------------------------------------------------

typedef enum {
    PF_CMD_NONE = 0,
    PF_CMD_PUSH,        //  client: id topic key payload
    PF_CMD_PUSHB,       //  client: batch
    PF_CMD_PING,        //  either way
    PF_CMD_PONG,
    PF_CMD_ACK,         //  edge: id
    PF_CMD_DUP,         //  edge: id
    PF_CMD_NACK,        //  edge: id reason text
    PF_CMD_BUSY,        //  edge: id retry-after-ms
    PF_CMD_VERDICTS,    //  edge: verdicts
    PF_CMD_READY,       //  worker: prefixes credit [batch-size]
    PF_CMD_DELIVER,     //  proc: id topic key attempt payload
    PF_CMD_DELIVERB,    //  proc: batch
    PF_CMD_DONE,        //  worker: id
    PF_CMD_DONEB,       //  worker: ids
    PF_CMD_FAIL,        //  worker: id reason-text
    PF_CMD_DISCONNECT   //  proc
} pf_cmd_t;

//  Command name as on the wire, or NULL.
const char *
    pf_cmd_name (pf_cmd_t cmd);

//  A parsed PF1 message: the command and views of its argument frames.
#define PF_PROTO_ARGS_MAX 5
typedef struct {
    pf_cmd_t cmd;
    size_t argc;
    const byte *arg [PF_PROTO_ARGS_MAX];
    size_t arg_size [PF_PROTO_ARGS_MAX];
} pf_message_t;

//  Parse the frames of msg (starting at the empty delimiter; a ROUTER's
//  routing-id frame already removed) into message. The frames stay in msg,
//  which must outlive message. Returns PF_REASON_OK, or PF_REASON_MALFORMED
//  with *text saying why; in that case arg[0] still holds the id frame of a
//  PUSH when there was one, so a NACK can echo it (argc 1), else argc is 0.
pf_reason_t
    pf_proto_parse (zmsg_t *msg, pf_message_t *message, const char **text);

//  The record of a single-form PUSH message (already parsed).
void
    pf_proto_push_record (const pf_message_t *message, pf_record_t *record);

//  Parse a decimal ASCII number in [min, max]. Returns 0 or -1.
int
    pf_proto_number (const byte *data, size_t size, uint64_t min, uint64_t max,
                     uint64_t *value);

//  The arguments of a parsed READY: credit (1 to PF_PROTO_CREDIT_MAX), the
//  batch size (1 to PF_PROTO_BATCH_MAX, 1 when absent) and the topic
//  prefixes as a C string in prefixes (of prefixes_size bytes). Returns 0,
//  or -1 when a number is out of range or the prefixes do not fit.
int
    pf_proto_ready_args (const pf_message_t *message, uint64_t *credit,
                         uint64_t *batch_size, char *prefixes, size_t prefixes_size);

//  ---- Batch records ---------------------------------------------------------

//  Append one PUSHB record (id, topic, key, payload). The caller has checked
//  the field sizes against the limits (id/topic/key <= 255).
void
    pf_proto_put_push_record (pf_buf_t *buf, const pf_record_t *record);

//  Append one DELIVERB record (adds record->attempt).
void
    pf_proto_put_deliver_record (pf_buf_t *buf, const pf_record_t *record);

//  Walk the records of a PUSHB (or, with with_attempt, a DELIVERB) batch.
//  pf_proto_batch_check parses the whole frame first: it returns
//  PF_REASON_OK and the record count, or PF_REASON_MALFORMED with *text,
//  so that nothing of a bad batch is acted on.
pf_reason_t
    pf_proto_batch_check (const byte *data, size_t size, bool with_attempt,
                          size_t *count, const char **text);

//  Returns true and fills record with the next record, false at the end.
//  Only call on a frame that pf_proto_batch_check accepted.
bool
    pf_proto_batch_next (pf_reader_t *reader, bool with_attempt, pf_record_t *record);

//  ---- Verdicts --------------------------------------------------------------

//  One verdict: status 'A' ACK, 'D' DUP, 'N' NACK, 'B' BUSY.
typedef struct {
    char status;
    const byte *id;         size_t id_size;
    pf_reason_t reason;     //  for 'N'
    const char *text;       //  for 'N': NUL-terminated (encoder) or a view (decoder)
    size_t text_size;
    uint32_t retry_after;   //  for 'B', milliseconds
} pf_verdict_t;

//  Append one verdict record to a VERDICTS frame. text is cut to 255 bytes.
void
    pf_proto_put_verdict (pf_buf_t *buf, const pf_verdict_t *verdict);

//  Returns 1 and fills verdict with the next one, 0 at the end, -1 if the
//  frame is malformed.
int
    pf_proto_verdict_next (pf_reader_t *reader, pf_verdict_t *verdict);

//  ---- Sending whole messages -------------------------------------------------
//  Each sends [routing_id,] "", "PF1", command, args... on socket.
//  routing_id may be NULL (DEALER side). Returns 0 or -1 (errno set).

int
    pf_proto_send (void *socket, zframe_t *routing_id, pf_cmd_t cmd,
                   size_t argc, const void **arg, const size_t *arg_size);

//  Send a VERDICT frame from buf (emptied, no copy) after the command header.
int
    pf_proto_send_buf (void *socket, zframe_t *routing_id, pf_cmd_t cmd, pf_buf_t *buf);

int
    pf_proto_send_nack (void *socket, zframe_t *routing_id, const byte *id,
                        size_t id_size, pf_reason_t reason, const char *text);

#endif
