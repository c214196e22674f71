//  pf_proto - the PF1 codec (client and worker protocols).

#include "pf_classes.h"

static const char *s_reason_names [] = {
    "OK", "MALFORMED", "BAD_ID", "BAD_TOPIC", "BAD_KEY", "TOO_LARGE", "FORBIDDEN"
};

//  Indexed by pf_cmd_t; min and max argument frames after the command.
static const struct {
    const char *name;
    size_t min_args;
    size_t max_args;
} s_commands [] = {
    { NULL, 0, 0 },
    { "PUSH", 4, 4 },
    { "PUSHB", 1, 1 },
    { "PING", 0, 0 },
    { "PONG", 0, 0 },
    { "ACK", 1, 1 },
    { "DUP", 1, 1 },
    { "NACK", 3, 3 },
    { "BUSY", 2, 2 },
    { "VERDICTS", 1, 1 },
    { "READY", 2, 3 },
    { "DELIVER", 5, 5 },
    { "DELIVERB", 1, 1 },
    { "DONE", 1, 1 },
    { "DONEB", 1, 1 },
    { "FAIL", 2, 2 },
    { "DISCONNECT", 0, 0 }
};
#define S_COMMANDS (sizeof s_commands / sizeof s_commands [0])

const char *
pf_reason_name (pf_reason_t reason)
{
    return s_reason_names [reason];
}

pf_reason_t
pf_reason_parse (const byte *name, size_t size)
{
    for (int index = PF_REASON_MALFORMED; index <= PF_REASON_FORBIDDEN; index++)
        if (strlen (s_reason_names [index]) == size
        &&  memcmp (s_reason_names [index], name, size) == 0)
            return (pf_reason_t) index;
    return PF_REASON_MALFORMED;
}

const char *
pf_cmd_name (pf_cmd_t cmd)
{
    return (size_t) cmd < S_COMMANDS ? s_commands [cmd].name : NULL;
}

pf_reason_t
pf_proto_check_id (const byte *id, size_t size, const char **text)
{
    if (size < 1 || size > PF_PROTO_ID_MAX) {
        *text = "id must be 1 to 128 bytes";
        return PF_REASON_BAD_ID;
    }
    for (size_t index = 0; index < size; index++)
        if (id [index] < 0x21 || id [index] > 0x7E) {
            *text = "id must be printable ASCII without spaces";
            return PF_REASON_BAD_ID;
        }
    return PF_REASON_OK;
}

static bool
s_topic_char (byte c)
{
    return isalnum (c) || c == '.' || c == '_' || c == '-';
}

pf_reason_t
pf_proto_check_topic (const byte *topic, size_t size, const char **text)
{
    if (size < 1 || size > PF_PROTO_TOPIC_MAX) {
        *text = "topic must be 1 to 255 bytes";
        return PF_REASON_BAD_TOPIC;
    }
    for (size_t index = 0; index < size; index++)
        if (!s_topic_char (topic [index])) {
            *text = "topic may hold only A-Z a-z 0-9 . _ -";
            return PF_REASON_BAD_TOPIC;
        }
    return PF_REASON_OK;
}

pf_reason_t
pf_proto_check_record (const pf_record_t *record, size_t max_payload, const char **text)
{
    pf_reason_t reason = pf_proto_check_id (record->id, record->id_size, text);
    if (reason == PF_REASON_OK)
        reason = pf_proto_check_topic (record->topic, record->topic_size, text);
    if (reason == PF_REASON_OK && record->key_size > PF_PROTO_KEY_MAX) {
        *text = "key must be at most 255 bytes";
        reason = PF_REASON_BAD_KEY;
    }
    if (reason == PF_REASON_OK && record->payload_size > max_payload) {
        *text = "payload is larger than max-payload";
        reason = PF_REASON_TOO_LARGE;
    }
    return reason;
}

bool
pf_proto_topic_allowed (const byte *topic, size_t size, const char *prefixes)
{
    if (!prefixes || !*prefixes)
        return true;
    const char *start = prefixes;
    while (true) {
        const char *end = strchr (start, ',');
        size_t length = end ? (size_t) (end - start) : strlen (start);
        if (length > 0 && length <= size && memcmp (topic, start, length) == 0)
            return true;
        if (!end)
            return false;
        start = end + 1;
    }
}

static pf_cmd_t
s_command_lookup (zframe_t *frame)
{
    size_t size = zframe_size (frame);
    for (size_t index = 1; index < S_COMMANDS; index++)
        if (strlen (s_commands [index].name) == size
        &&  memcmp (s_commands [index].name, zframe_data (frame), size) == 0)
            return (pf_cmd_t) index;
    return PF_CMD_NONE;
}

static bool
s_frame_is (zframe_t *frame, const char *text)
{
    return frame && zframe_size (frame) == strlen (text)
        && memcmp (zframe_data (frame), text, zframe_size (frame)) == 0;
}

pf_reason_t
pf_proto_parse (zmsg_t *msg, pf_message_t *message, const char **text)
{
    memset (message, 0, sizeof *message);
    size_t frames = zmsg_size (msg);
    zframe_t *frame = zmsg_first (msg);
    if (!frame || zframe_size (frame) != 0) {
        *text = "message must start with an empty frame";
        return PF_REASON_MALFORMED;
    }
    if (!s_frame_is (zmsg_next (msg), PF_PROTO_VERSION)) {
        *text = "protocol frame must be PF1";
        return PF_REASON_MALFORMED;
    }
    frame = zmsg_next (msg);
    if (!frame) {
        *text = "missing command frame";
        return PF_REASON_MALFORMED;
    }
    pf_cmd_t cmd = s_command_lookup (frame);
    if (cmd == PF_CMD_NONE) {
        *text = "unknown command";
        return PF_REASON_MALFORMED;
    }
    size_t argc = frames - 3;
    //  Keep the id of a PUSH, even a malformed one, so the NACK can echo it
    if (cmd == PF_CMD_PUSH && argc >= 1) {
        frame = zmsg_next (msg);
        message->arg [0] = zframe_data (frame);
        message->arg_size [0] = zframe_size (frame);
        message->argc = 1;
    }
    if (argc < s_commands [cmd].min_args || argc > s_commands [cmd].max_args) {
        *text = "wrong number of frames for the command";
        return PF_REASON_MALFORMED;
    }
    message->cmd = cmd;
    for (size_t index = message->argc; index < argc; index++) {
        frame = zmsg_next (msg);
        message->arg [index] = zframe_data (frame);
        message->arg_size [index] = zframe_size (frame);
    }
    message->argc = argc;
    return PF_REASON_OK;
}

void
pf_proto_push_record (const pf_message_t *message, pf_record_t *record)
{
    assert (message->cmd == PF_CMD_PUSH);
    memset (record, 0, sizeof *record);
    record->id = message->arg [0];
    record->id_size = message->arg_size [0];
    record->topic = message->arg [1];
    record->topic_size = message->arg_size [1];
    record->key = message->arg [2];
    record->key_size = message->arg_size [2];
    record->payload = message->arg [3];
    record->payload_size = message->arg_size [3];
}

int
pf_proto_ready_args (const pf_message_t *message, uint64_t *credit, uint64_t *batch_size,
                     char *prefixes, size_t prefixes_size)
{
    *batch_size = 1;
    if (pf_proto_number (message->arg [1], message->arg_size [1], 1, PF_PROTO_CREDIT_MAX,
                         credit)
    ||  (message->argc == 3
    &&   pf_proto_number (message->arg [2], message->arg_size [2], 1, PF_PROTO_BATCH_MAX,
                          batch_size))
    ||  message->arg_size [0] >= prefixes_size)
        return -1;
    memcpy (prefixes, message->arg [0], message->arg_size [0]);
    prefixes [message->arg_size [0]] = 0;
    return 0;
}

int
pf_proto_number (const byte *data, size_t size, uint64_t min, uint64_t max,
                 uint64_t *value)
{
    if (size == 0 || size > 19)
        return -1;
    uint64_t result = 0;
    for (size_t index = 0; index < size; index++) {
        if (data [index] < '0' || data [index] > '9')
            return -1;
        result = result * 10 + (uint64_t) (data [index] - '0');
    }
    if (result < min || result > max)
        return -1;
    *value = result;
    return 0;
}

void
pf_proto_put_push_record (pf_buf_t *buf, const pf_record_t *record)
{
    pf_buf_put_short (buf, record->id, record->id_size);
    pf_buf_put_short (buf, record->topic, record->topic_size);
    pf_buf_put_short (buf, record->key, record->key_size);
    pf_buf_put_u32 (buf, (uint32_t) record->payload_size);
    pf_buf_put_bytes (buf, record->payload, record->payload_size);
}

void
pf_proto_put_deliver_record (pf_buf_t *buf, const pf_record_t *record)
{
    pf_buf_put_short (buf, record->id, record->id_size);
    pf_buf_put_short (buf, record->topic, record->topic_size);
    pf_buf_put_short (buf, record->key, record->key_size);
    pf_buf_put_u32 (buf, record->attempt);
    pf_buf_put_u32 (buf, (uint32_t) record->payload_size);
    pf_buf_put_bytes (buf, record->payload, record->payload_size);
}

bool
pf_proto_batch_next (pf_reader_t *reader, bool with_attempt, pf_record_t *record)
{
    if (pf_reader_done (reader))
        return false;
    memset (record, 0, sizeof *record);
    uint32_t payload_size = 0;
    pf_reader_short (reader, &record->id, &record->id_size);
    pf_reader_short (reader, &record->topic, &record->topic_size);
    pf_reader_short (reader, &record->key, &record->key_size);
    if (with_attempt)
        pf_reader_u32 (reader, &record->attempt);
    pf_reader_u32 (reader, &payload_size);
    record->payload_size = payload_size;
    pf_reader_bytes (reader, payload_size, &record->payload);
    return !reader->failed;
}

pf_reason_t
pf_proto_batch_check (const byte *data, size_t size, bool with_attempt,
                      size_t *count, const char **text)
{
    pf_reader_t reader;
    pf_reader_init (&reader, data, size);
    pf_record_t record;
    size_t records = 0;
    while (records <= PF_PROTO_BATCH_MAX && pf_proto_batch_next (&reader, with_attempt, &record))
        records++;
    if (reader.failed) {
        *text = "batch record is truncated";
        return PF_REASON_MALFORMED;
    }
    if (records == 0 || records > PF_PROTO_BATCH_MAX) {
        *text = "batch must hold 1 to 10000 records";
        return PF_REASON_MALFORMED;
    }
    *count = records;
    return PF_REASON_OK;
}

void
pf_proto_put_verdict (pf_buf_t *buf, const pf_verdict_t *verdict)
{
    pf_buf_put_u8 (buf, (uint8_t) verdict->status);
    pf_buf_put_short (buf, verdict->id, verdict->id_size);
    if (verdict->status == 'N') {
        const char *name = pf_reason_name (verdict->reason);
        pf_buf_put_short (buf, name, strlen (name));
        size_t text_size = verdict->text ? strlen (verdict->text) : 0;
        pf_buf_put_short (buf, verdict->text, text_size > 255 ? 255 : text_size);
    }
    else
    if (verdict->status == 'B')
        pf_buf_put_u32 (buf, verdict->retry_after);
}

int
pf_proto_verdict_next (pf_reader_t *reader, pf_verdict_t *verdict)
{
    if (pf_reader_done (reader))
        return 0;
    memset (verdict, 0, sizeof *verdict);
    uint8_t status = 0;
    pf_reader_u8 (reader, &status);
    verdict->status = (char) status;
    pf_reader_short (reader, &verdict->id, &verdict->id_size);
    if (status == 'N') {
        const byte *name = NULL, *text = NULL;
        size_t name_size = 0;
        pf_reader_short (reader, &name, &name_size);
        pf_reader_short (reader, &text, &verdict->text_size);
        verdict->text = (const char *) text;
        if (!reader->failed)
            verdict->reason = pf_reason_parse (name, name_size);
    }
    else
    if (status == 'B')
        pf_reader_u32 (reader, &verdict->retry_after);
    else
    if (status != 'A' && status != 'D')
        return -1;
    return reader->failed ? -1 : 1;
}

static int
s_send_header (void *handle, zframe_t *routing_id, pf_cmd_t cmd, bool more)
{
    if (routing_id
    &&  zmq_send (handle, zframe_data (routing_id), zframe_size (routing_id), ZMQ_SNDMORE) == -1)
        return -1;
    const char *name = pf_cmd_name (cmd);
    if (zmq_send (handle, "", 0, ZMQ_SNDMORE) == -1
    ||  zmq_send (handle, PF_PROTO_VERSION, 3, ZMQ_SNDMORE) == -1
    ||  zmq_send (handle, name, strlen (name), more ? ZMQ_SNDMORE : 0) == -1)
        return -1;
    return 0;
}

int
pf_proto_send (void *socket, zframe_t *routing_id, pf_cmd_t cmd,
               size_t argc, const void **arg, const size_t *arg_size)
{
    void *handle = zsock_resolve (socket);
    if (s_send_header (handle, routing_id, cmd, argc > 0) == -1)
        return -1;
    for (size_t index = 0; index < argc; index++)
        if (zmq_send (handle, arg [index], arg_size [index],
                      index + 1 < argc ? ZMQ_SNDMORE : 0) == -1)
            return -1;
    return 0;
}

int
pf_proto_send_buf (void *socket, zframe_t *routing_id, pf_cmd_t cmd, pf_buf_t *buf)
{
    void *handle = zsock_resolve (socket);
    if (s_send_header (handle, routing_id, cmd, true) == -1) {
        pf_buf_reset (buf);
        return -1;
    }
    return pf_buf_send (buf, handle, 0);
}

int
pf_proto_send_nack (void *socket, zframe_t *routing_id, const byte *id,
                    size_t id_size, pf_reason_t reason, const char *text)
{
    const char *name = pf_reason_name (reason);
    const void *arg [3] = { id, name, text };
    size_t arg_size [3] = { id_size, strlen (name), strlen (text) };
    return pf_proto_send (socket, routing_id, PF_CMD_NACK, 3, arg, arg_size);
}
