//  test_proto - pf_proto: the PF1 codec (SPEC 3 and 4). Field checks and
//  their NACK reasons, reason and command names, topic prefixes, frame
//  parsing, decimal numbers, PUSHB/DELIVERB batches, VERDICTS records, and
//  sending whole messages.

#include "pf_classes.h"
#include "../tap.h"

#define S_MAX_PAYLOAD (1024 * 1024)

//  ---- Helpers ---------------------------------------------------------------

//  A message of count string frames.
static zmsg_t *
s_msg (size_t count, ...)
{
    zmsg_t *msg = zmsg_new ();
    va_list args;
    va_start (args, count);
    for (size_t index = 0; index < count; index++) {
        const char *frame = va_arg (args, const char *);
        zmsg_addmem (msg, frame, strlen (frame));
    }
    va_end (args);
    return msg;
}

//  Parse a message of string frames and destroy it; returns the reason and
//  fills message (only cmd and argc stay meaningful after the destroy).
static pf_reason_t
s_parse (zmsg_t *msg, pf_message_t *message, const char **text)
{
    *text = NULL;
    pf_reason_t reason = pf_proto_parse (msg, message, text);
    zmsg_destroy (&msg);
    return reason;
}

static bool
s_arg_is (const pf_message_t *message, size_t index, const char *want)
{
    return index < message->argc && message->arg_size [index] == strlen (want)
        && memcmp (message->arg [index], want, strlen (want)) == 0;
}

static bool
s_frame_is (zframe_t *frame, const void *want, size_t size)
{
    return frame && zframe_size (frame) == size
        && (size == 0 || memcmp (zframe_data (frame), want, size) == 0);
}

static bool
s_same (const byte *got, size_t got_size, const void *want, size_t want_size)
{
    return got_size == want_size && (want_size == 0 || memcmp (got, want, want_size) == 0);
}

static pf_record_t
s_record (const char *id, const char *topic, const void *key, size_t key_size,
          const void *payload, size_t payload_size)
{
    pf_record_t record = {
        .id = (const byte *) id, .id_size = strlen (id),
        .topic = (const byte *) topic, .topic_size = strlen (topic),
        .key = (const byte *) key, .key_size = key_size,
        .payload = (const byte *) payload, .payload_size = payload_size
    };
    return record;
}

static bool
s_record_equal (const pf_record_t *got, const pf_record_t *want, bool with_attempt)
{
    return s_same (got->id, got->id_size, want->id, want->id_size)
        && s_same (got->topic, got->topic_size, want->topic, want->topic_size)
        && s_same (got->key, got->key_size, want->key, want->key_size)
        && s_same (got->payload, got->payload_size, want->payload, want->payload_size)
        && (!with_attempt || got->attempt == want->attempt);
}

//  ---- Field checks ----------------------------------------------------------

static void
test_check_id (void)
{
    byte id [200];
    memset (id, 'a', sizeof id);
    const char *text;

    text = NULL;
    is_int (pf_proto_check_id (id, 0, &text), PF_REASON_BAD_ID, "id of 0 bytes is answered BAD_ID");
    ok (text && *text, "an empty id is explained in text");
    text = NULL;
    is_int (pf_proto_check_id (id, 129, &text), PF_REASON_BAD_ID, "id of 129 bytes is answered BAD_ID");
    ok (text && *text, "a long id is explained in text");
    is_int (pf_proto_check_id (id, 128, &text), PF_REASON_OK, "id of 128 bytes is OK");
    is_int (pf_proto_check_id (id, 1, &text), PF_REASON_OK, "id of 1 byte is OK");

    const byte uuid [] = "0b9d2a52-4f5e-4c5e-9f3a-2c8b1d7e6f10";
    is_int (pf_proto_check_id (uuid, sizeof uuid - 1, &text), PF_REASON_OK, "a UUID id is OK");

    byte printable [94];
    for (int index = 0; index < 94; index++)
        printable [index] = (byte) (0x21 + index);
    is_int (pf_proto_check_id (printable, 94, &text), PF_REASON_OK,
            "every byte from 0x21 '!' to 0x7E '~' is allowed in an id");

    const byte with_space [] = "id 1";
    text = NULL;
    is_int (pf_proto_check_id (with_space, 4, &text), PF_REASON_BAD_ID,
            "id with a space (0x20) is answered BAD_ID");
    ok (text && *text, "a bad id byte is explained in text");
    const byte with_del [] = { 'i', 'd', 0x7F };
    is_int (pf_proto_check_id (with_del, 3, &text), PF_REASON_BAD_ID, "id with 0x7F is answered BAD_ID");
    const byte with_nul [] = { 'i', 0x00, 'd' };
    is_int (pf_proto_check_id (with_nul, 3, &text), PF_REASON_BAD_ID, "id with a NUL byte is answered BAD_ID");
    const byte with_tab [] = { 'i', '\t', 'd' };
    is_int (pf_proto_check_id (with_tab, 3, &text), PF_REASON_BAD_ID, "id with a tab is answered BAD_ID");
    const byte with_high [] = { 'i', 0x80, 'd' };
    is_int (pf_proto_check_id (with_high, 3, &text), PF_REASON_BAD_ID, "id with 0x80 is answered BAD_ID");
    const byte with_utf8 [] = { 'i', 0xC3, 0xA9 };
    is_int (pf_proto_check_id (with_utf8, 3, &text), PF_REASON_BAD_ID,
            "id with UTF-8 bytes is answered BAD_ID");
    id [127] = ' ';
    is_int (pf_proto_check_id (id, 128, &text), PF_REASON_BAD_ID,
            "a bad byte in the last place of a 128-byte id is answered BAD_ID");
}

static void
test_check_topic (void)
{
    byte topic [300];
    memset (topic, 't', sizeof topic);
    const char *text;

    text = NULL;
    is_int (pf_proto_check_topic (topic, 0, &text), PF_REASON_BAD_TOPIC, "empty topic is answered BAD_TOPIC");
    ok (text && *text, "an empty topic is explained in text");
    is_int (pf_proto_check_topic (topic, 256, &text), PF_REASON_BAD_TOPIC,
            "topic of 256 bytes is answered BAD_TOPIC");
    is_int (pf_proto_check_topic (topic, 255, &text), PF_REASON_OK, "topic of 255 bytes is OK");
    is_int (pf_proto_check_topic (topic, 1, &text), PF_REASON_OK, "topic of 1 byte is OK");

    const char *allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    is_int (pf_proto_check_topic ((const byte *) allowed, strlen (allowed), &text), PF_REASON_OK,
            "every one of A-Z a-z 0-9 . _ - is allowed in a topic");

    int bad_bytes = 0, answered = 0;
    for (int c = 0; c < 256; c++) {
        if (strchr (allowed, c) && c != 0)
            continue;
        bad_bytes++;
        byte one [3] = { 'a', (byte) c, 'b' };
        text = NULL;
        if (pf_proto_check_topic (one, 3, &text) == PF_REASON_BAD_TOPIC && text && *text)
            answered++;
    }
    is_int (answered, bad_bytes, "every other byte value (space, '/', '*', NUL, 0x80-0xFF, ...) "
                                 "in a topic is answered BAD_TOPIC with a text");
    const byte with_space [] = "orders new";
    is_int (pf_proto_check_topic (with_space, 10, &text), PF_REASON_BAD_TOPIC,
            "topic with a space is answered BAD_TOPIC");
    const byte with_slash [] = "orders/new";
    is_int (pf_proto_check_topic (with_slash, 10, &text), PF_REASON_BAD_TOPIC,
            "topic with a '/' is answered BAD_TOPIC");
}

static void
test_check_record (void)
{
    static byte big [S_MAX_PAYLOAD + 1];
    byte key [256];
    memset (key, 0xFF, sizeof key);
    const char *text;

    pf_record_t record = s_record ("id-1", "orders.new", key, 3, big, 10);
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_OK,
            "a record with good fields is OK");

    record.key_size = 0;
    record.payload_size = 0;
    record.key = record.payload = NULL;
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_OK,
            "an empty key and an empty payload are OK");
    is_int (pf_proto_check_record (&record, 0, &text), PF_REASON_OK,
            "an empty payload is OK even with max-payload 0");

    record = s_record ("id 1", "orders.new", key, 3, big, 10);
    text = NULL;
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_BAD_ID,
            "a record with a bad id is answered BAD_ID");
    ok (text && *text, "a record's BAD_ID is explained in text");

    record = s_record ("id-1", "orders new", key, 3, big, 10);
    text = NULL;
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_BAD_TOPIC,
            "a record with a bad topic is answered BAD_TOPIC");
    ok (text && *text, "a record's BAD_TOPIC is explained in text");

    record = s_record ("id-1", "", key, 3, big, 10);
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_BAD_TOPIC,
            "a record with an empty topic is answered BAD_TOPIC");

    record = s_record ("id-1", "orders.new", key, 256, big, 10);
    text = NULL;
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_BAD_KEY,
            "key of 256 bytes is answered BAD_KEY");
    ok (text && *text, "BAD_KEY is explained in text");
    record.key_size = 255;
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_OK,
            "key of 255 bytes (any byte values) is OK");

    record = s_record ("id-1", "orders.new", key, 3, big, S_MAX_PAYLOAD + 1);
    text = NULL;
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_TOO_LARGE,
            "payload of max-payload + 1 bytes is answered TOO_LARGE");
    ok (text && *text, "TOO_LARGE is explained in text");
    record.payload_size = S_MAX_PAYLOAD;
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_OK,
            "payload of exactly max-payload bytes is OK");
    record.payload_size = 1;
    is_int (pf_proto_check_record (&record, 0, &text), PF_REASON_TOO_LARGE,
            "a 1-byte payload is TOO_LARGE when max-payload is 0");

    //  SPEC order: id, topic, key, payload; the first bad field decides
    record = s_record ("", "", key, 256, big, S_MAX_PAYLOAD + 1);
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_BAD_ID,
            "with every field bad, the id is reported first");
    record = s_record ("id-1", "", key, 256, big, S_MAX_PAYLOAD + 1);
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_BAD_TOPIC,
            "with topic, key and payload bad, the topic is reported");
    record = s_record ("id-1", "t", key, 256, big, S_MAX_PAYLOAD + 1);
    is_int (pf_proto_check_record (&record, S_MAX_PAYLOAD, &text), PF_REASON_BAD_KEY,
            "with key and payload bad, the key is reported");
}

//  ---- Names -----------------------------------------------------------------

static void
test_names (void)
{
    const char *names [] = { "OK", "MALFORMED", "BAD_ID", "BAD_TOPIC", "BAD_KEY",
                             "TOO_LARGE", "FORBIDDEN" };
    for (int reason = PF_REASON_OK; reason <= PF_REASON_FORBIDDEN; reason++)
        ok (streq (pf_reason_name ((pf_reason_t) reason), names [reason]),
            "reason %d is named %s", reason, names [reason]);

    for (int reason = PF_REASON_MALFORMED; reason <= PF_REASON_FORBIDDEN; reason++) {
        const char *name = pf_reason_name ((pf_reason_t) reason);
        is_int (pf_reason_parse ((const byte *) name, strlen (name)), reason,
                "NACK reason %s parses back to itself", name);
    }
    is_int (pf_reason_parse ((const byte *) "NOPE", 4), PF_REASON_MALFORMED,
            "an unknown reason name parses as MALFORMED");
    is_int (pf_reason_parse ((const byte *) "bad_id", 6), PF_REASON_MALFORMED,
            "reason names are case-sensitive: 'bad_id' parses as MALFORMED");
    is_int (pf_reason_parse ((const byte *) "BAD_ID", 3), PF_REASON_MALFORMED,
            "a prefix of a reason name ('BAD') parses as MALFORMED");
    is_int (pf_reason_parse ((const byte *) "BAD_IDX", 7), PF_REASON_MALFORMED,
            "a reason name with extra bytes ('BAD_IDX') parses as MALFORMED");
    is_int (pf_reason_parse ((const byte *) "", 0), PF_REASON_MALFORMED,
            "an empty reason name parses as MALFORMED");
    is_int (pf_reason_parse ((const byte *) "OK", 2), PF_REASON_MALFORMED,
            "OK is no NACK reason: it parses as MALFORMED");

    const char *commands [] = { NULL, "PUSH", "PUSHB", "PING", "PONG", "ACK", "DUP", "NACK",
                                "BUSY", "VERDICTS", "READY", "DELIVER", "DELIVERB", "DONE",
                                "DONEB", "FAIL", "DISCONNECT" };
    for (int cmd = PF_CMD_PUSH; cmd <= PF_CMD_DISCONNECT; cmd++) {
        const char *name = pf_cmd_name ((pf_cmd_t) cmd);
        ok (name && streq (name, commands [cmd]), "command %d is named %s on the wire",
            cmd, commands [cmd]);
    }
    ok (pf_cmd_name (PF_CMD_NONE) == NULL, "PF_CMD_NONE has no name");
    ok (pf_cmd_name ((pf_cmd_t) (PF_CMD_DISCONNECT + 1)) == NULL, "a command past the last has no name");
}

//  ---- Topic prefixes --------------------------------------------------------

static bool
s_allowed (const char *topic, const char *prefixes)
{
    return pf_proto_topic_allowed ((const byte *) topic, strlen (topic), prefixes);
}

static void
test_topic_allowed (void)
{
    ok (s_allowed ("orders.new", NULL), "a NULL prefix list allows every topic");
    ok (s_allowed ("orders.new", ""), "an empty prefix list allows every topic");
    ok (s_allowed ("orders.new", "orders."), "a topic starting with the one prefix is allowed");
    ok (s_allowed ("orders", "orders"), "a topic equal to the prefix is allowed");
    ok (!s_allowed ("billing.run", "orders."), "a topic not starting with the prefix is refused");
    ok (!s_allowed ("x.orders.new", "orders."), "a prefix must match at the start of the topic");
    ok (!s_allowed ("Orders.new", "orders."), "prefix matching is case-sensitive");
    ok (!s_allowed ("orders", "orders.new"), "a prefix longer than the topic does not match");
    ok (!s_allowed ("o", "orders"), "a prefix much longer than a 1-byte topic does not match");

    const char *several = "orders.,billing.,audit";
    ok (s_allowed ("orders.new", several), "the first of several prefixes matches");
    ok (s_allowed ("billing.run", several), "a middle one of several prefixes matches");
    ok (s_allowed ("audit.log", several), "the last of several prefixes matches");
    ok (!s_allowed ("shipping.new", several), "a topic matching none of several prefixes is refused");
    ok (!s_allowed ("billing", several), "a topic shorter than every prefix is refused");

    ok (!s_allowed ("shipping", "orders.,,billing."), "an empty item in the list does not allow every topic");
    ok (!s_allowed ("shipping", "orders.,"), "a trailing comma does not allow every topic");
    ok (!s_allowed ("shipping", ","), "a list of only a comma allows nothing");
    ok (s_allowed ("billing.x", ",billing."), "a leading comma is skipped");
}

//  ---- Parsing ---------------------------------------------------------------

static void
test_parse_good (void)
{
    pf_message_t message;
    const char *text;

    zmsg_t *msg = s_msg (7, "", "PF1", "PUSH", "id-1", "orders.new", "user-42", "hello");
    text = NULL;
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a good PUSH parses");
    is_int (message.cmd, PF_CMD_PUSH, "a PUSH is PF_CMD_PUSH");
    is_int (message.argc, 4, "a PUSH has 4 arguments");
    ok (s_arg_is (&message, 0, "id-1") && s_arg_is (&message, 1, "orders.new")
        && s_arg_is (&message, 2, "user-42") && s_arg_is (&message, 3, "hello"),
        "PUSH arguments are id, topic, key, payload in order");
    zframe_t *frame = zmsg_first (msg);
    for (int index = 0; index < 3; index++)
        frame = zmsg_next (msg);
    ok (message.arg [0] == zframe_data (frame), "arguments are views of msg's frames, not copies");

    pf_record_t record;
    pf_proto_push_record (&message, &record);
    pf_record_t want = s_record ("id-1", "orders.new", "user-42", 7, "hello", 5);
    ok (s_record_equal (&record, &want, false), "push_record gives the PUSH's id, topic, key, payload");
    is_int (record.attempt, 0, "push_record leaves attempt 0");
    zmsg_destroy (&msg);

    //  Binary key and payload, empty key and payload
    msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, "PF1");
    zmsg_addstr (msg, "PUSH");
    zmsg_addstr (msg, "id-2");
    zmsg_addstr (msg, "t");
    zmsg_addmem (msg, "", 0);
    zmsg_addmem (msg, "\x00\xFF\x00", 3);
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK,
            "a PUSH with an empty key and a binary payload parses");
    ok (message.arg_size [2] == 0, "an empty key frame gives an empty argument");
    ok (message.arg_size [3] == 3 && memcmp (message.arg [3], "\x00\xFF\x00", 3) == 0,
        "a payload with NUL bytes keeps its size and bytes");
    zmsg_destroy (&msg);

    is_int (s_parse (s_msg (4, "", "PF1", "PUSHB", "batch"), &message, &text), PF_REASON_OK,
            "a good PUSHB parses");
    ok (message.cmd == PF_CMD_PUSHB && message.argc == 1, "a PUSHB has 1 argument");
    is_int (s_parse (s_msg (3, "", "PF1", "PING"), &message, &text), PF_REASON_OK, "a good PING parses");
    ok (message.cmd == PF_CMD_PING && message.argc == 0, "a PING has no arguments");
    is_int (s_parse (s_msg (3, "", "PF1", "PONG"), &message, &text), PF_REASON_OK, "a good PONG parses");
    ok (message.cmd == PF_CMD_PONG && message.argc == 0, "a PONG has no arguments");

    msg = s_msg (5, "", "PF1", "READY", "orders.,billing.", "100");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a READY with prefixes and credit parses");
    ok (message.cmd == PF_CMD_READY && message.argc == 2
        && s_arg_is (&message, 0, "orders.,billing.") && s_arg_is (&message, 1, "100"),
        "READY's arguments are prefixes and credit");
    zmsg_destroy (&msg);
    msg = s_msg (6, "", "PF1", "READY", "", "100", "50");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a READY with a batch-size parses");
    ok (message.cmd == PF_CMD_READY && message.argc == 3 && message.arg_size [0] == 0
        && s_arg_is (&message, 1, "100") && s_arg_is (&message, 2, "50"),
        "READY's third argument is the batch-size; empty prefixes are kept");
    zmsg_destroy (&msg);

    msg = s_msg (4, "", "PF1", "DONE", "id-1");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a good DONE parses");
    ok (message.cmd == PF_CMD_DONE && message.argc == 1 && s_arg_is (&message, 0, "id-1"),
        "DONE's argument is the id");
    zmsg_destroy (&msg);

    msg = s_msg (5, "", "PF1", "FAIL", "id-1", "could not reach billing");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a good FAIL parses");
    ok (message.cmd == PF_CMD_FAIL && s_arg_is (&message, 1, "could not reach billing"),
        "FAIL's arguments are the id and the reason text");
    zmsg_destroy (&msg);

    msg = s_msg (8, "", "PF1", "DELIVER", "id-1", "orders.new", "user-42", "3", "hello");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a good DELIVER parses");
    ok (message.cmd == PF_CMD_DELIVER && message.argc == 5 && s_arg_is (&message, 3, "3")
        && s_arg_is (&message, 4, "hello"),
        "DELIVER's arguments are id, topic, key, attempt, payload");
    zmsg_destroy (&msg);

    msg = s_msg (6, "", "PF1", "NACK", "id-1", "BAD_TOPIC", "topic may hold only ...");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a good NACK parses");
    ok (message.cmd == PF_CMD_NACK && s_arg_is (&message, 1, "BAD_TOPIC"),
        "NACK's arguments are id, reason, text");
    zmsg_destroy (&msg);

    msg = s_msg (5, "", "PF1", "BUSY", "id-1", "200");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_OK, "a good BUSY parses");
    ok (message.cmd == PF_CMD_BUSY && s_arg_is (&message, 1, "200"), "BUSY's arguments are id, retry-after");
    zmsg_destroy (&msg);

    is_int (s_parse (s_msg (3, "", "PF1", "DISCONNECT"), &message, &text), PF_REASON_OK,
            "a good DISCONNECT parses");
    is_int (message.cmd, PF_CMD_DISCONNECT, "a DISCONNECT is PF_CMD_DISCONNECT");

    //  Every command, with every argument count from 0 to 6: only the counts
    //  SPEC 3 and 4 give are accepted.
    static const struct {
        pf_cmd_t cmd;
        const char *name;
        size_t min_args, max_args;
    } counts [] = {
        { PF_CMD_PUSH, "PUSH", 4, 4 },          { PF_CMD_PUSHB, "PUSHB", 1, 1 },
        { PF_CMD_PING, "PING", 0, 0 },          { PF_CMD_PONG, "PONG", 0, 0 },
        { PF_CMD_ACK, "ACK", 1, 1 },            { PF_CMD_DUP, "DUP", 1, 1 },
        { PF_CMD_NACK, "NACK", 3, 3 },          { PF_CMD_BUSY, "BUSY", 2, 2 },
        { PF_CMD_VERDICTS, "VERDICTS", 1, 1 },  { PF_CMD_READY, "READY", 2, 3 },
        { PF_CMD_DELIVER, "DELIVER", 5, 5 },    { PF_CMD_DELIVERB, "DELIVERB", 1, 1 },
        { PF_CMD_DONE, "DONE", 1, 1 },          { PF_CMD_DONEB, "DONEB", 1, 1 },
        { PF_CMD_FAIL, "FAIL", 2, 2 },          { PF_CMD_DISCONNECT, "DISCONNECT", 0, 0 }
    };
    for (size_t row = 0; row < sizeof counts / sizeof counts [0]; row++) {
        bool right = true;
        for (size_t argc = 0; argc <= 6; argc++) {
            msg = s_msg (3, "", "PF1", counts [row].name);
            for (size_t index = 0; index < argc; index++)
                zmsg_addstr (msg, "x");
            text = NULL;
            pf_reason_t reason = pf_proto_parse (msg, &message, &text);
            zmsg_destroy (&msg);
            bool fits = argc >= counts [row].min_args && argc <= counts [row].max_args;
            if (fits)
                right = right && reason == PF_REASON_OK && message.cmd == counts [row].cmd
                     && message.argc == argc;
            else
                right = right && reason == PF_REASON_MALFORMED && text && *text;
        }
        if (counts [row].min_args == counts [row].max_args)
            ok (right, "%s is accepted with exactly %zu argument frames, MALFORMED with 0-6 others",
                counts [row].name, counts [row].min_args);
        else
            ok (right, "%s is accepted with %zu to %zu argument frames, MALFORMED with 0-6 others",
                counts [row].name, counts [row].min_args, counts [row].max_args);
    }
}

static void
test_parse_bad (void)
{
    pf_message_t message;
    const char *text;

    text = NULL;
    is_int (s_parse (zmsg_new (), &message, &text), PF_REASON_MALFORMED,
            "a message with no frames is MALFORMED");
    ok (text && *text, "a message with no frames is explained in text");
    text = NULL;
    is_int (s_parse (s_msg (2, "PF1", "PING"), &message, &text), PF_REASON_MALFORMED,
            "a message without the empty frame is MALFORMED");
    ok (text && *text, "a missing empty frame is explained in text");
    is_int (message.argc, 0, "a MALFORMED non-PUSH has argc 0");
    is_int (s_parse (s_msg (4, "x", "PF1", "PING", ""), &message, &text), PF_REASON_MALFORMED,
            "a message whose first frame is not empty is MALFORMED");
    is_int (s_parse (s_msg (1, ""), &message, &text), PF_REASON_MALFORMED,
            "a message of only the empty frame is MALFORMED");

    text = NULL;
    is_int (s_parse (s_msg (3, "", "PF2", "PING"), &message, &text), PF_REASON_MALFORMED,
            "protocol frame PF2 is MALFORMED");
    ok (text && *text, "a wrong protocol frame is explained in text");
    is_int (s_parse (s_msg (3, "", "pf1", "PING"), &message, &text), PF_REASON_MALFORMED,
            "protocol frame pf1 (lower case) is MALFORMED");
    is_int (s_parse (s_msg (3, "", "PF1 ", "PING"), &message, &text), PF_REASON_MALFORMED,
            "protocol frame 'PF1 ' (extra byte) is MALFORMED");
    is_int (s_parse (s_msg (3, "", "PF", "PING"), &message, &text), PF_REASON_MALFORMED,
            "protocol frame PF (too short) is MALFORMED");
    is_int (s_parse (s_msg (3, "", "", "PING"), &message, &text), PF_REASON_MALFORMED,
            "an empty protocol frame is MALFORMED");

    text = NULL;
    is_int (s_parse (s_msg (2, "", "PF1"), &message, &text), PF_REASON_MALFORMED,
            "a message without a command frame is MALFORMED");
    ok (text && *text, "a missing command frame is explained in text");

    text = NULL;
    is_int (s_parse (s_msg (3, "", "PF1", "JUMP"), &message, &text), PF_REASON_MALFORMED,
            "an unknown command is MALFORMED");
    ok (text && *text, "an unknown command is explained in text");
    is_int (s_parse (s_msg (4, "", "PF1", "push", "x"), &message, &text), PF_REASON_MALFORMED,
            "commands are case-sensitive: 'push' is MALFORMED");
    is_int (s_parse (s_msg (3, "", "PF1", "PIN"), &message, &text), PF_REASON_MALFORMED,
            "a prefix of a command ('PIN') is MALFORMED");
    is_int (s_parse (s_msg (3, "", "PF1", "PINGS"), &message, &text), PF_REASON_MALFORMED,
            "a command with extra bytes ('PINGS') is MALFORMED");
    is_int (s_parse (s_msg (3, "", "PF1", ""), &message, &text), PF_REASON_MALFORMED,
            "an empty command frame is MALFORMED");

    //  A PUSH with the wrong frame count still gives its id for the NACK
    zmsg_t *msg = s_msg (5, "", "PF1", "PUSH", "id-7", "orders.new");
    text = NULL;
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_MALFORMED,
            "a PUSH with 2 argument frames is MALFORMED");
    ok (text && *text, "a wrong frame count is explained in text");
    ok (message.argc == 1 && s_arg_is (&message, 0, "id-7"),
        "a short PUSH still echoes its id in arg[0] with argc 1");
    zmsg_destroy (&msg);

    msg = s_msg (8, "", "PF1", "PUSH", "id-8", "t", "k", "p", "extra");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_MALFORMED,
            "a PUSH with 5 argument frames is MALFORMED");
    ok (message.argc == 1 && s_arg_is (&message, 0, "id-8"),
        "a long PUSH still echoes its id in arg[0] with argc 1");
    zmsg_destroy (&msg);

    msg = s_msg (4, "", "PF1", "PUSH", "bad id");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_MALFORMED,
            "a PUSH of only an (invalid) id is MALFORMED");
    ok (message.argc == 1 && s_arg_is (&message, 0, "bad id"), "the id is echoed as received, even invalid");
    zmsg_destroy (&msg);

    is_int (s_parse (s_msg (3, "", "PF1", "PUSH"), &message, &text), PF_REASON_MALFORMED,
            "a PUSH with no argument frames is MALFORMED");
    is_int (message.argc, 0, "a PUSH without an id frame has argc 0 (empty id in the NACK)");

    msg = s_msg (5, "", "PF1", "DONE", "id-1", "extra");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_MALFORMED, "a DONE with 2 frames is MALFORMED");
    is_int (message.argc, 0, "only a PUSH echoes its id: a MALFORMED DONE has argc 0");
    zmsg_destroy (&msg);

    //  Very many frames
    msg = s_msg (4, "", "PF1", "PUSH", "id-9");
    for (int index = 4; index < 10000; index++)
        zmsg_addmem (msg, "", 0);
    assert (zmsg_size (msg) == 10000);
    text = NULL;
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_MALFORMED, "a PUSH of 10000 frames is MALFORMED");
    ok (message.argc == 1 && s_arg_is (&message, 0, "id-9"),
        "a PUSH of 10000 frames still echoes its id with argc 1");
    zmsg_destroy (&msg);

    msg = s_msg (3, "", "PF1", "PING");
    for (int index = 3; index < 10000; index++)
        zmsg_addstr (msg, "x");
    is_int (pf_proto_parse (msg, &message, &text), PF_REASON_MALFORMED, "a PING of 10000 frames is MALFORMED");
    is_int (message.argc, 0, "a PING of 10000 frames has argc 0");
    zmsg_destroy (&msg);
}

//  ---- Numbers ---------------------------------------------------------------

static int
s_number (const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    return pf_proto_number ((const byte *) text, strlen (text), min, max, value);
}

static void
test_number (void)
{
    uint64_t value = 77;
    ok (s_number ("0", 0, 10, &value) == 0 && value == 0, "'0' is 0");
    ok (s_number ("1", 1, 10000, &value) == 0 && value == 1, "'1' is accepted at the minimum 1");
    ok (s_number ("10000", 1, 10000, &value) == 0 && value == 10000, "'10000' is accepted at the maximum 10000");
    ok (s_number ("250", 0, 1000, &value) == 0 && value == 250, "'250' is 250");
    ok (s_number ("007", 0, 10, &value) == 0 && value == 7, "leading zeros are allowed: '007' is 7");

    value = 77;
    is_int (s_number ("10001", 1, 10000, &value), -1, "'10001' is refused over the maximum 10000");
    ok (value == 77, "a refused number leaves *value unchanged");
    is_int (s_number ("0", 1, 10000, &value), -1, "'0' is refused under the minimum 1");
    is_int (s_number ("", 0, 10, &value), -1, "an empty number is refused");
    is_int (s_number ("12a", 0, 1000, &value), -1, "'12a' is refused");
    is_int (s_number ("-1", 0, 10, &value), -1, "a sign '-1' is refused");
    is_int (s_number ("+1", 0, 10, &value), -1, "a sign '+1' is refused");
    is_int (s_number (" 1", 0, 10, &value), -1, "a leading space is refused");
    is_int (s_number ("1 ", 0, 10, &value), -1, "a trailing space is refused");
    is_int (s_number ("1.5", 0, 10, &value), -1, "a decimal point is refused");
    is_int (pf_proto_number ((const byte *) "1\0", 2, 0, 10, &value), -1, "a NUL byte is refused");
    is_int (pf_proto_number ((const byte *) "12", 1, 0, 10, &value), 0,
            "only size bytes are read ('12' of size 1)");
    is_int (value, 1, "... giving 1");

    ok (s_number ("9999999999999999999", 0, UINT64_MAX, &value) == 0 && value == 9999999999999999999ULL,
        "19 digits are accepted");
    is_int (s_number ("99999999999999999999", 0, UINT64_MAX, &value), -1,
            "20 digits are refused rather than overflowing");
    is_int (s_number ("00000000000000000001", 0, UINT64_MAX, &value), -1,
            "more than 19 digits are refused even with leading zeros");
}

//  ---- Batches ---------------------------------------------------------------

static void
test_batch (void)
{
    static byte big_payload [70000];
    for (size_t index = 0; index < sizeof big_payload; index++)
        big_payload [index] = (byte) (index * 7);
    byte long_key [255];
    memset (long_key, 0xAA, sizeof long_key);

    pf_record_t records [] = {
        s_record ("id-1", "orders.new", "user-42", 7, "hello", 5),
        s_record ("id-2", "orders.new", "", 0, "empty key", 9),
        s_record ("id-3", "t", "k", 1, "", 0),
        s_record ("id-4", "t", "", 0, "", 0),
        s_record ("id-5", "bin", "\x00\xFF", 2, "\x00\x01\x00", 3),
        s_record ("id-6", "big", long_key, 255, big_payload, sizeof big_payload)
    };
    size_t record_count = sizeof records / sizeof records [0];

    //  Layout of one record, byte for byte (SPEC 3)
    pf_buf_t buf = { 0 };
    pf_proto_put_push_record (&buf, &records [0]);
    const char layout [] = "\x04" "id-1" "\x0A" "orders.new" "\x07" "user-42" "\x00\x00\x00\x05" "hello";
    ok (buf.size == sizeof layout - 1 && memcmp (buf.data, layout, buf.size) == 0,
        "a PUSHB record is u8 id-len, id, u8 topic-len, topic, u8 key-len, key, "
        "u32 payload-len (big-endian), payload");
    pf_buf_reset (&buf);

    size_t boundary [8] = { 0 };
    for (size_t index = 0; index < record_count; index++) {
        pf_proto_put_push_record (&buf, &records [index]);
        boundary [index + 1] = buf.size;
    }
    size_t count = 0;
    const char *text = NULL;
    is_int (pf_proto_batch_check (buf.data, buf.size, false, &count, &text), PF_REASON_OK,
            "a batch of 6 records (empty keys, empty payloads, binary, 70000 bytes) checks OK");
    is_int (count, record_count, "batch_check counts 6 records");

    pf_reader_t reader;
    pf_reader_init (&reader, buf.data, buf.size);
    pf_record_t record;
    size_t index = 0;
    bool equal = true;
    while (pf_proto_batch_next (&reader, false, &record)) {
        equal = equal && index < record_count && s_record_equal (&record, &records [index], false);
        index++;
    }
    is_int (index, record_count, "batch_next returns each of the 6 records, then false");
    ok (equal, "every record comes back with its id, topic, key and payload");
    ok (pf_reader_done (&reader) && !reader.failed, "the reader ends done and not failed");
    ok (!pf_proto_batch_next (&reader, false, &record), "batch_next keeps returning false at the end");

    //  Cut at every length: inside a record it is truncated; at a record
    //  boundary it is a valid, shorter batch (records are self-delimiting)
    size_t inside = 0, inside_malformed = 0, at_boundary = 0, boundary_ok = 0;
    for (size_t cut = 1; cut < buf.size; cut++) {
        size_t complete = 0;
        while (complete < record_count && boundary [complete + 1] <= cut)
            complete++;
        count = 0;
        text = NULL;
        pf_reason_t reason = pf_proto_batch_check (buf.data, cut, false, &count, &text);
        if (boundary [complete] == cut) {
            at_boundary++;
            if (reason == PF_REASON_OK && count == complete)
                boundary_ok++;
        }
        else {
            inside++;
            if (reason == PF_REASON_MALFORMED && text && *text && count == 0)
                inside_malformed++;
        }
    }
    is_int (inside_malformed, inside,
            "a batch cut at any of %zu lengths inside a record is MALFORMED, with a text", inside);
    is_int (boundary_ok, at_boundary,
            "a batch cut at a record boundary checks OK with the records before the cut");

    pf_buf_put_u8 (&buf, 0);
    is_int (pf_proto_batch_check (buf.data, buf.size, false, &count, &text), PF_REASON_MALFORMED,
            "a batch with a stray byte after the last record is MALFORMED");

    text = NULL;
    count = 99;
    is_int (pf_proto_batch_check (buf.data, 0, false, &count, &text), PF_REASON_MALFORMED,
            "an empty batch is MALFORMED");
    ok (text && *text, "an empty batch is explained in text");
    is_int (count, 99, "a MALFORMED batch leaves count unchanged");
    is_int (pf_proto_batch_check (NULL, 0, false, &count, &text), PF_REASON_MALFORMED,
            "a NULL empty batch is MALFORMED");

    //  The record count limit
    pf_buf_reset (&buf);
    pf_record_t small = s_record ("i", "t", "", 0, "", 0);
    for (index = 0; index < PF_PROTO_BATCH_MAX; index++)
        pf_proto_put_push_record (&buf, &small);
    is_int (pf_proto_batch_check (buf.data, buf.size, false, &count, &text), PF_REASON_OK,
            "a batch of 10000 records checks OK");
    is_int (count, 10000, "batch_check counts 10000 records");
    pf_proto_put_push_record (&buf, &small);
    text = NULL;
    is_int (pf_proto_batch_check (buf.data, buf.size, false, &count, &text), PF_REASON_MALFORMED,
            "a batch of 10001 records is MALFORMED");
    ok (text && *text, "too many records is explained in text");
    for (index = 0; index < 5000; index++)
        pf_proto_put_push_record (&buf, &small);
    is_int (pf_proto_batch_check (buf.data, buf.size, false, &count, &text), PF_REASON_MALFORMED,
            "a batch of 15001 records is MALFORMED");

    //  Records are parsed, not judged: bad fields are left to check_record
    pf_buf_reset (&buf);
    pf_record_t bad = s_record ("", "bad topic!", "", 0, "", 0);
    pf_proto_put_push_record (&buf, &bad);
    is_int (pf_proto_batch_check (buf.data, buf.size, false, &count, &text), PF_REASON_OK,
            "a well-formed record with a bad id and topic still checks OK (judged on its own)");
    pf_reader_init (&reader, buf.data, buf.size);
    ok (pf_proto_batch_next (&reader, false, &record)
        && pf_proto_check_record (&record, S_MAX_PAYLOAD, &text) == PF_REASON_BAD_ID,
        "check_record then answers that record BAD_ID");

    //  A payload length larger than the frame
    const byte lying [] = "\x01" "i" "\x01" "t" "\x00" "\xFF\xFF\xFF\xFF" "abc";
    is_int (pf_proto_batch_check (lying, sizeof lying - 1, false, &count, &text), PF_REASON_MALFORMED,
            "a record whose payload length runs past the frame is MALFORMED");

    pf_buf_free (&buf);
}

static void
test_deliver_batch (void)
{
    pf_record_t records [] = {
        s_record ("id-1", "orders.new", "user-42", 7, "hello", 5),
        s_record ("id-2", "orders.new", "", 0, "", 0),
        s_record ("id-3", "t", "\x00", 1, "\xFF", 1)
    };
    records [0].attempt = 1;
    records [1].attempt = 2;
    records [2].attempt = UINT32_MAX;

    pf_buf_t buf = { 0 };
    pf_proto_put_deliver_record (&buf, &records [1]);
    const char layout [] = "\x04" "id-2" "\x0A" "orders.new" "\x00" "\x00\x00\x00\x02" "\x00\x00\x00\x00";
    ok (buf.size == sizeof layout - 1 && memcmp (buf.data, layout, buf.size) == 0,
        "a DELIVERB record is id, topic, key, u32 attempt, u32 payload-len, payload");
    pf_buf_reset (&buf);

    size_t boundary [4] = { 0 };
    for (size_t index = 0; index < 3; index++) {
        pf_proto_put_deliver_record (&buf, &records [index]);
        boundary [index + 1] = buf.size;
    }
    size_t count = 0;
    const char *text;
    is_int (pf_proto_batch_check (buf.data, buf.size, true, &count, &text), PF_REASON_OK,
            "a DELIVERB batch of 3 records checks OK");
    is_int (count, 3, "batch_check counts 3 DELIVERB records");

    pf_reader_t reader;
    pf_reader_init (&reader, buf.data, buf.size);
    pf_record_t record;
    size_t index = 0;
    bool equal = true;
    while (pf_proto_batch_next (&reader, true, &record)) {
        equal = equal && index < 3 && s_record_equal (&record, &records [index], true);
        index++;
    }
    is_int (index, 3, "batch_next returns the 3 DELIVERB records");
    ok (equal, "every DELIVERB record comes back with its fields and attempt (1, 2, 4294967295)");

    size_t inside = 0, inside_malformed = 0;
    for (size_t cut = 1; cut < buf.size; cut++) {
        if (cut == boundary [1] || cut == boundary [2])
            continue;
        inside++;
        if (pf_proto_batch_check (buf.data, cut, true, &count, &text) == PF_REASON_MALFORMED)
            inside_malformed++;
    }
    is_int (inside_malformed, inside, "a DELIVERB batch cut inside a record is MALFORMED");
    is_int (pf_proto_batch_check (buf.data, 0, true, &count, &text), PF_REASON_MALFORMED,
            "an empty DELIVERB batch is MALFORMED");

    pf_buf_reset (&buf);
    pf_record_t small = s_record ("i", "t", "", 0, "", 0);
    small.attempt = 1;
    for (index = 0; index < PF_PROTO_BATCH_MAX; index++)
        pf_proto_put_deliver_record (&buf, &small);
    is_int (pf_proto_batch_check (buf.data, buf.size, true, &count, &text), PF_REASON_OK,
            "a DELIVERB batch of 10000 records checks OK");
    pf_proto_put_deliver_record (&buf, &small);
    is_int (pf_proto_batch_check (buf.data, buf.size, true, &count, &text), PF_REASON_MALFORMED,
            "a DELIVERB batch of 10001 records is MALFORMED");
    pf_buf_free (&buf);
}

//  ---- Verdicts --------------------------------------------------------------

static void
test_verdicts (void)
{
    char long_text [301];
    memset (long_text, 'z', 300);
    long_text [300] = 0;

    pf_verdict_t verdicts [] = {
        { .status = 'A', .id = (const byte *) "id-1", .id_size = 4 },
        { .status = 'D', .id = (const byte *) "id-2", .id_size = 4 },
        { .status = 'N', .id = (const byte *) "id-3", .id_size = 4,
          .reason = PF_REASON_BAD_TOPIC, .text = "topic may hold only A-Z a-z 0-9 . _ -" },
        { .status = 'B', .id = (const byte *) "id-4", .id_size = 4, .retry_after = 250 },
        { .status = 'N', .id = (const byte *) "", .id_size = 0,
          .reason = PF_REASON_MALFORMED, .text = NULL },
        { .status = 'N', .id = (const byte *) "id-6", .id_size = 4,
          .reason = PF_REASON_FORBIDDEN, .text = long_text },
        { .status = 'B', .id = (const byte *) "id-7", .id_size = 4, .retry_after = UINT32_MAX }
    };
    size_t verdict_count = sizeof verdicts / sizeof verdicts [0];

    //  Layouts, byte for byte (SPEC 3)
    pf_buf_t buf = { 0 };
    pf_proto_put_verdict (&buf, &verdicts [0]);
    ok (buf.size == 6 && memcmp (buf.data, "A\x04id-1", 6) == 0, "an ACK verdict is 'A', u8 id-len, id");
    pf_buf_reset (&buf);
    pf_proto_put_verdict (&buf, &verdicts [1]);
    ok (buf.size == 6 && memcmp (buf.data, "D\x04id-2", 6) == 0, "a DUP verdict is 'D', u8 id-len, id");
    pf_buf_reset (&buf);
    pf_proto_put_verdict (&buf, &verdicts [3]);
    ok (buf.size == 10 && memcmp (buf.data, "B\x04id-4\x00\x00\x00\xFA", 10) == 0,
        "a BUSY verdict is 'B', u8 id-len, id, u32 retry-after-ms");
    pf_buf_reset (&buf);
    pf_verdict_t nack = { .status = 'N', .id = (const byte *) "x", .id_size = 1,
                          .reason = PF_REASON_BAD_ID, .text = "why" };
    pf_proto_put_verdict (&buf, &nack);
    ok (buf.size == 14 && memcmp (buf.data, "N\x01x\x06" "BAD_ID\x03why", 14) == 0,
        "a NACK verdict is 'N', u8 id-len, id, u8 reason-len, reason, u8 text-len, text");
    pf_buf_reset (&buf);

    size_t boundary [8] = { 0 };
    for (size_t index = 0; index < verdict_count; index++) {
        pf_proto_put_verdict (&buf, &verdicts [index]);
        boundary [index + 1] = buf.size;
    }
    pf_reader_t reader;
    pf_reader_init (&reader, buf.data, buf.size);
    pf_verdict_t got [8];
    for (size_t index = 0; index < verdict_count; index++)
        if (pf_proto_verdict_next (&reader, &got [index]) != 1)
            got [index].status = 0;

    ok (got [0].status == 'A' && s_same (got [0].id, got [0].id_size, "id-1", 4), "ACK round trip");
    ok (got [1].status == 'D' && s_same (got [1].id, got [1].id_size, "id-2", 4), "DUP round trip");
    ok (got [2].status == 'N' && s_same (got [2].id, got [2].id_size, "id-3", 4)
        && got [2].reason == PF_REASON_BAD_TOPIC
        && s_same ((const byte *) got [2].text, got [2].text_size, verdicts [2].text,
                   strlen (verdicts [2].text)),
        "NACK round trip with reason BAD_TOPIC and its text");
    ok (got [3].status == 'B' && s_same (got [3].id, got [3].id_size, "id-4", 4)
        && got [3].retry_after == 250,
        "BUSY round trip with retry-after 250");
    ok (got [4].status == 'N' && got [4].id_size == 0 && got [4].reason == PF_REASON_MALFORMED
        && got [4].text_size == 0,
        "NACK round trip with an empty id and no text");
    ok (got [5].status == 'N' && got [5].reason == PF_REASON_FORBIDDEN && got [5].text_size == 255
        && memcmp (got [5].text, long_text, 255) == 0,
        "a NACK text of 300 bytes is cut to 255");
    ok (got [6].status == 'B' && got [6].retry_after == UINT32_MAX, "BUSY round trip with retry-after 2^32-1");
    is_int (pf_proto_verdict_next (&reader, &got [7]), 0, "verdict_next returns 0 at the end");
    is_int (pf_proto_verdict_next (&reader, &got [7]), 0, "verdict_next keeps returning 0 at the end");

    //  Cut at every length inside a record: -1 at that record
    size_t inside = 0, inside_bad = 0;
    for (size_t cut = 1; cut < buf.size; cut++) {
        size_t complete = 0;
        while (complete < verdict_count && boundary [complete + 1] <= cut)
            complete++;
        if (boundary [complete] == cut)
            continue;
        inside++;
        pf_reader_init (&reader, buf.data, cut);
        size_t good = 0;
        int rc;
        pf_verdict_t verdict;
        while ((rc = pf_proto_verdict_next (&reader, &verdict)) == 1)
            good++;
        if (rc == -1 && good == complete)
            inside_bad++;
    }
    is_int (inside_bad, inside, "a VERDICTS frame cut inside a record gives -1 at that record");
    pf_buf_free (&buf);

    pf_verdict_t verdict;
    pf_reader_init (&reader, NULL, 0);
    is_int (pf_proto_verdict_next (&reader, &verdict), 0, "an empty VERDICTS frame has no verdicts");

    const byte bad_status [] = "X\x04id-1";
    pf_reader_init (&reader, bad_status, 6);
    is_int (pf_proto_verdict_next (&reader, &verdict), -1, "status byte 'X' is malformed (-1)");
    const byte zero_status [] = "\x00\x04id-1";
    pf_reader_init (&reader, zero_status, 6);
    is_int (pf_proto_verdict_next (&reader, &verdict), -1, "status byte 0 is malformed (-1)");
    const byte lower_status [] = "a\x04id-1";
    pf_reader_init (&reader, lower_status, 6);
    is_int (pf_proto_verdict_next (&reader, &verdict), -1, "status byte 'a' (lower case) is malformed (-1)");

    const byte unknown_reason [] = "N\x01x\x04NOPE\x00";
    pf_reader_init (&reader, unknown_reason, sizeof unknown_reason - 1);
    ok (pf_proto_verdict_next (&reader, &verdict) == 1 && verdict.reason == PF_REASON_MALFORMED,
        "a NACK verdict with an unknown reason name decodes with reason MALFORMED");

    const byte trailing [] = "A\x01x" "D";
    pf_reader_init (&reader, trailing, 4);
    ok (pf_proto_verdict_next (&reader, &verdict) == 1 && pf_proto_verdict_next (&reader, &verdict) == -1,
        "a lone status byte after a good verdict is malformed (-1)");
}

//  ---- Sending ---------------------------------------------------------------

static bool
s_next_is (zmsg_t *msg, const char *want)
{
    return s_frame_is (zmsg_next (msg), want, strlen (want));
}

static void
test_send (void)
{
    zsock_t *sender = zsock_new_pair ("@inproc://test-proto");
    zsock_t *receiver = zsock_new_pair (">inproc://test-proto");
    assert (sender && receiver);
    zsock_set_rcvtimeo (receiver, 2000);

    const void *arg [4] = { "id-1", "orders.new", "", "\x00hello" };
    size_t arg_size [4] = { 4, 10, 0, 6 };
    is_int (pf_proto_send (sender, NULL, PF_CMD_PUSH, 4, arg, arg_size), 0, "pf_proto_send of a PUSH returns 0");
    zmsg_t *msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 7, "a sent PUSH arrives as 7 frames");
    ok (msg && s_frame_is (zmsg_first (msg), "", 0) && s_next_is (msg, "PF1") && s_next_is (msg, "PUSH")
        && s_next_is (msg, "id-1") && s_next_is (msg, "orders.new") && s_next_is (msg, "")
        && s_frame_is (zmsg_next (msg), "\x00hello", 6),
        "the frames are \"\", \"PF1\", \"PUSH\", then the arguments byte for byte");
    pf_message_t message;
    const char *text;
    ok (msg && pf_proto_parse (msg, &message, &text) == PF_REASON_OK && message.cmd == PF_CMD_PUSH
        && message.argc == 4 && message.arg_size [3] == 6,
        "a sent PUSH parses back to the same PUSH");
    zmsg_destroy (&msg);

    is_int (pf_proto_send (sender, NULL, PF_CMD_PING, 0, NULL, NULL), 0, "pf_proto_send of a PING returns 0");
    msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 3 && s_frame_is (zmsg_first (msg), "", 0) && s_next_is (msg, "PF1")
        && s_next_is (msg, "PING"),
        "a PING arrives as \"\", \"PF1\", \"PING\"");
    zmsg_destroy (&msg);

    zframe_t *routing_id = zframe_new ("\x00\x01\x02\x03\x04", 5);
    const void *done_arg [1] = { "id-1" };
    size_t done_size [1] = { 4 };
    is_int (pf_proto_send (sender, routing_id, PF_CMD_ACK, 1, done_arg, done_size), 0,
            "pf_proto_send with a routing id returns 0");
    msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 5 && s_frame_is (zmsg_first (msg), "\x00\x01\x02\x03\x04", 5)
        && s_next_is (msg, "") && s_next_is (msg, "PF1") && s_next_is (msg, "ACK") && s_next_is (msg, "id-1"),
        "the routing id goes first, before \"\", \"PF1\", \"ACK\", id");
    ok (zframe_size (routing_id) == 5, "the caller keeps the routing id frame");
    zmsg_destroy (&msg);

    is_int (pf_proto_send_nack (sender, NULL, (const byte *) "id-2", 4, PF_REASON_BAD_TOPIC, "bad topic"), 0,
            "pf_proto_send_nack returns 0");
    msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 6 && s_frame_is (zmsg_first (msg), "", 0) && s_next_is (msg, "PF1")
        && s_next_is (msg, "NACK") && s_next_is (msg, "id-2") && s_next_is (msg, "BAD_TOPIC")
        && s_next_is (msg, "bad topic"),
        "a NACK arrives as \"\", \"PF1\", \"NACK\", id, reason name, text");
    zmsg_destroy (&msg);

    is_int (pf_proto_send_nack (sender, NULL, NULL, 0, PF_REASON_MALFORMED, "batch record is truncated"), 0,
            "pf_proto_send_nack with no id returns 0");
    msg = zmsg_recv (receiver);
    zmsg_first (msg);
    zmsg_next (msg);
    zmsg_next (msg);
    ok (msg && zmsg_size (msg) == 6 && s_next_is (msg, "") && s_next_is (msg, "MALFORMED"),
        "a NACK without an id has an empty id frame");
    zmsg_destroy (&msg);

    pf_buf_t buf = { 0 };
    pf_verdict_t verdict = { .status = 'A', .id = (const byte *) "id-1", .id_size = 4 };
    pf_proto_put_verdict (&buf, &verdict);
    is_int (pf_proto_send_buf (sender, NULL, PF_CMD_VERDICTS, &buf), 0, "pf_proto_send_buf returns 0");
    ok (buf.size == 0 && buf.data == NULL, "pf_proto_send_buf empties the buffer");
    msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 4 && s_frame_is (zmsg_first (msg), "", 0) && s_next_is (msg, "PF1")
        && s_next_is (msg, "VERDICTS") && s_frame_is (zmsg_next (msg), "A\x04id-1", 6),
        "a VERDICTS arrives as \"\", \"PF1\", \"VERDICTS\", the buffer's bytes");
    zmsg_destroy (&msg);

    pf_proto_put_verdict (&buf, &verdict);
    is_int (pf_proto_send_buf (sender, routing_id, PF_CMD_VERDICTS, &buf), 0,
            "pf_proto_send_buf with a routing id returns 0");
    msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 5 && s_frame_is (zmsg_first (msg), "\x00\x01\x02\x03\x04", 5),
        "pf_proto_send_buf puts the routing id first");
    zmsg_destroy (&msg);

    //  Failure: a socket that cannot send
    zsock_t *lonely = zsock_new_pair ("@inproc://test-proto-lonely");
    assert (lonely);
    zsock_set_sndtimeo (lonely, 0);
    errno = 0;
    is_int (pf_proto_send (lonely, NULL, PF_CMD_PING, 0, NULL, NULL), -1,
            "pf_proto_send returns -1 when the socket cannot send");
    is_int (errno, EAGAIN, "errno is EAGAIN when the send would block");
    pf_proto_put_verdict (&buf, &verdict);
    is_int (pf_proto_send_buf (lonely, NULL, PF_CMD_VERDICTS, &buf), -1,
            "pf_proto_send_buf returns -1 when the socket cannot send");
    is_int (buf.size, 0, "a failed pf_proto_send_buf drops the content");
    is_int (pf_proto_send_nack (lonely, NULL, (const byte *) "id", 2, PF_REASON_BAD_ID, "x"), -1,
            "pf_proto_send_nack returns -1 when the socket cannot send");
    zsock_destroy (&lonely);

    pf_buf_free (&buf);
    zframe_destroy (&routing_id);
    zsock_destroy (&receiver);
    zsock_destroy (&sender);
}

int
main (void)
{
    test_check_id ();
    test_check_topic ();
    test_check_record ();
    test_names ();
    test_topic_allowed ();
    test_parse_good ();
    test_parse_bad ();
    test_number ();
    test_batch ();
    test_deliver_batch ();
    test_verdicts ();
    test_send ();
    return done_testing ();
}
