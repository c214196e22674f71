//  test_link - pf_link: the node-to-node hand-off codec. MSGS records
//  (ticket, partition, PUSHB record), link VERDICTS records, and the
//  "PL1" command body framing, parsed and sent over a socket.

#include "pf_classes.h"
#include "../tap.h"

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
s_msg_equal (const pf_link_msg_t *got, uint64_t ticket, uint32_t partition, const pf_record_t *want)
{
    return got->ticket == ticket && got->partition == partition
        && s_same (got->record.id, got->record.id_size, want->id, want->id_size)
        && s_same (got->record.topic, got->record.topic_size, want->topic, want->topic_size)
        && s_same (got->record.key, got->record.key_size, want->key, want->key_size)
        && s_same (got->record.payload, got->record.payload_size, want->payload, want->payload_size);
}

static bool
s_frame_is (zframe_t *frame, const void *want, size_t size)
{
    return frame && zframe_size (frame) == size
        && (size == 0 || memcmp (zframe_data (frame), want, size) == 0);
}

static void
test_msgs (void)
{
    pf_record_t records [] = {
        s_record ("id-1", "orders.new", "user-42", 7, "hello", 5),
        s_record ("id-2", "orders.new", "", 0, "empty key", 9),
        s_record ("id-3", "t", "k", 1, "", 0),
        s_record ("id-4", "bin", "\x00\xFF", 2, "\x00\x01\x00", 3)
    };
    const uint64_t tickets [] = { 1, 2, 0x0102030405060708ULL, UINT64_MAX };
    const uint32_t partitions [] = { 0, 11, 65535, UINT32_MAX };
    const size_t msg_count = 4;

    //  Layout of one record, byte for byte
    pf_buf_t buf = { 0 };
    pf_link_put_msg (&buf, 0x0102030405060708ULL, 0x0A0B0C0D, &records [2]);
    const char layout [] = "\x01\x02\x03\x04\x05\x06\x07\x08" "\x0A\x0B\x0C\x0D"
                           "\x04" "id-3" "\x01" "t" "\x01" "k" "\x00\x00\x00\x00";
    ok (buf.size == sizeof layout - 1 && memcmp (buf.data, layout, buf.size) == 0,
        "a MSGS record is u64 ticket, u32 partition (big-endian), then a PUSHB record");
    pf_buf_reset (&buf);

    size_t boundary [5] = { 0 };
    for (size_t index = 0; index < msg_count; index++) {
        pf_link_put_msg (&buf, tickets [index], partitions [index], &records [index]);
        boundary [index + 1] = buf.size;
    }
    size_t count = 0;
    is_int (pf_link_msgs_check (buf.data, buf.size, &count), 0, "a MSGS body of 4 records checks OK");
    is_int (count, 4, "msgs_check counts 4 records");

    pf_reader_t reader;
    pf_reader_init (&reader, buf.data, buf.size);
    pf_link_msg_t msg;
    size_t index = 0;
    bool equal = true;
    while (pf_link_msgs_next (&reader, &msg)) {
        equal = equal && index < msg_count
             && s_msg_equal (&msg, tickets [index], partitions [index], &records [index]);
        index++;
    }
    is_int (index, msg_count, "msgs_next returns each of the 4 records, then false");
    ok (equal, "every record comes back with its ticket (up to 2^64-1), partition (up to 2^32-1), "
               "id, topic, key (empty too) and payload (empty too)");
    ok (pf_reader_done (&reader) && !reader.failed, "the reader ends done and not failed");

    //  Cut at every length: inside a record it is truncated; at a record
    //  boundary it is a valid, shorter body
    size_t inside = 0, inside_refused = 0, at_boundary = 0, boundary_ok = 0;
    for (size_t cut = 1; cut < buf.size; cut++) {
        size_t complete = 0;
        while (complete < msg_count && boundary [complete + 1] <= cut)
            complete++;
        count = 0;
        int rc = pf_link_msgs_check (buf.data, cut, &count);
        if (boundary [complete] == cut) {
            at_boundary++;
            if (rc == 0 && count == complete)
                boundary_ok++;
        }
        else {
            inside++;
            if (rc == -1 && count == 0)
                inside_refused++;
        }
    }
    is_int (inside_refused, inside, "a MSGS body cut at any of %zu lengths inside a record is refused (-1)",
            inside);
    is_int (boundary_ok, at_boundary, "a MSGS body cut at a record boundary checks OK with the records before");

    //  The cut that leaves a whole ticket and partition but no record
    is_int (pf_link_msgs_check (buf.data, 12, &count), -1,
            "a body of only a ticket and a partition is refused");
    is_int (pf_link_msgs_check (buf.data, boundary [1] + 12, &count), -1,
            "a good record followed by only a ticket and a partition is refused");

    count = 99;
    is_int (pf_link_msgs_check (buf.data, 0, &count), -1, "an empty MSGS body is refused");
    is_int (count, 99, "a refused body leaves count unchanged");
    is_int (pf_link_msgs_check (NULL, 0, &count), -1, "a NULL empty MSGS body is refused");

    pf_buf_put_u8 (&buf, 0);
    is_int (pf_link_msgs_check (buf.data, buf.size, &count), -1,
            "a MSGS body with a stray byte after the last record is refused");
    pf_buf_free (&buf);
}

static void
test_verdicts (void)
{
    pf_buf_t buf = { 0 };
    pf_link_verdict_t verdict = { .ticket = 0x0102030405060708ULL, .status = 'B', .retry_after = 0x0A0B0C0D };
    pf_link_put_verdict (&buf, &verdict);
    ok (buf.size == 13 && memcmp (buf.data, "\x01\x02\x03\x04\x05\x06\x07\x08" "B" "\x0A\x0B\x0C\x0D", 13) == 0,
        "a link verdict is u64 ticket, u8 status, u32 retry-after-ms (big-endian)");
    pf_buf_reset (&buf);

    const pf_link_verdict_t verdicts [] = {
        { .ticket = 1, .status = 'A' },
        { .ticket = 2, .status = 'D' },
        { .ticket = 3, .status = 'B', .retry_after = 200 },
        { .ticket = UINT64_MAX, .status = 'B', .retry_after = UINT32_MAX }
    };
    for (size_t index = 0; index < 4; index++)
        pf_link_put_verdict (&buf, &verdicts [index]);

    pf_reader_t reader;
    pf_reader_init (&reader, buf.data, buf.size);
    pf_link_verdict_t got [4];
    for (size_t index = 0; index < 4; index++)
        if (pf_link_verdict_next (&reader, &got [index]) != 1)
            got [index].status = 0;
    ok (got [0].ticket == 1 && got [0].status == 'A', "an accepted verdict round trips");
    ok (got [1].ticket == 2 && got [1].status == 'D', "a duplicate verdict round trips");
    ok (got [2].ticket == 3 && got [2].status == 'B' && got [2].retry_after == 200,
        "a busy verdict round trips with its retry-after");
    ok (got [3].ticket == UINT64_MAX && got [3].status == 'B' && got [3].retry_after == UINT32_MAX,
        "ticket 2^64-1 and retry-after 2^32-1 round trip");
    pf_link_verdict_t last;
    is_int (pf_link_verdict_next (&reader, &last), 0, "verdict_next returns 0 at the end");

    size_t inside = 0, inside_bad = 0;
    for (size_t cut = 1; cut < buf.size; cut++) {
        if (cut % 13 == 0)
            continue;
        inside++;
        pf_reader_init (&reader, buf.data, cut);
        size_t good = 0;
        int rc;
        while ((rc = pf_link_verdict_next (&reader, &last)) == 1)
            good++;
        if (rc == -1 && good == cut / 13)
            inside_bad++;
    }
    is_int (inside_bad, inside, "a verdicts body cut inside a record gives -1 at that record");
    pf_buf_free (&buf);

    pf_reader_init (&reader, NULL, 0);
    is_int (pf_link_verdict_next (&reader, &last), 0, "an empty verdicts body has no verdicts");

    const char *bad = "NXa";
    for (const char *status = bad; *status; status++) {
        pf_link_verdict_t wrong = { .ticket = 9, .status = *status };
        pf_link_put_verdict (&buf, &wrong);
        pf_reader_init (&reader, buf.data, buf.size);
        is_int (pf_link_verdict_next (&reader, &last), -1, "status byte '%c' is malformed (-1)", *status);
        pf_buf_reset (&buf);
    }
    pf_link_verdict_t zero = { .ticket = 9, .status = 0 };
    pf_link_put_verdict (&buf, &zero);
    pf_reader_init (&reader, buf.data, buf.size);
    is_int (pf_link_verdict_next (&reader, &last), -1, "status byte 0 is malformed (-1)");
    pf_buf_free (&buf);
}

static void
test_parse (void)
{
    const char *command = NULL;
    size_t command_size = 0;
    zframe_t *body = NULL;

    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "PL1");
    zmsg_addstr (msg, "MSGS");
    zmsg_addmem (msg, "\x00\x01\x02", 3);
    is_int (pf_link_parse (msg, &command, &command_size, &body), 0, "PL1 MSGS body parses");
    ok (pf_link_is (command, command_size, "MSGS"), "the command is MSGS");
    ok (body == zmsg_last (msg) && s_frame_is (body, "\x00\x01\x02", 3),
        "the body is the third frame, borrowed from msg");
    ok (!pf_link_is (command, command_size, "MSG"), "pf_link_is refuses a prefix of the command");
    ok (!pf_link_is (command, command_size, "MSGSX"), "pf_link_is refuses a longer name");
    ok (!pf_link_is (command, command_size, "msgs"), "pf_link_is is case-sensitive");
    ok (!pf_link_is (command, command_size, "VERDICTS"), "pf_link_is refuses another command");
    zmsg_destroy (&msg);

    msg = zmsg_new ();
    zmsg_addstr (msg, "PL1");
    zmsg_addstr (msg, "VERDICTS");
    zmsg_addmem (msg, "", 0);
    ok (pf_link_parse (msg, &command, &command_size, &body) == 0
        && pf_link_is (command, command_size, "VERDICTS") && zframe_size (body) == 0,
        "PL1 VERDICTS with an empty body parses (the body is checked on its own)");
    zmsg_destroy (&msg);

    const char *versions [] = { "PL2", "PF1", "pl1", "PL", "PL1 ", "" };
    for (size_t index = 0; index < sizeof versions / sizeof versions [0]; index++) {
        msg = zmsg_new ();
        zmsg_addstr (msg, versions [index]);
        zmsg_addstr (msg, "MSGS");
        zmsg_addstr (msg, "body");
        is_int (pf_link_parse (msg, &command, &command_size, &body), -1,
                "version frame '%s' is refused", versions [index]);
        zmsg_destroy (&msg);
    }

    msg = zmsg_new ();
    is_int (pf_link_parse (msg, &command, &command_size, &body), -1, "a message of no frames is refused");
    zmsg_addstr (msg, "PL1");
    is_int (pf_link_parse (msg, &command, &command_size, &body), -1, "a message of 1 frame is refused");
    zmsg_addstr (msg, "MSGS");
    is_int (pf_link_parse (msg, &command, &command_size, &body), -1,
            "a message of 2 frames (no body) is refused");
    zmsg_addstr (msg, "body");
    zmsg_addstr (msg, "extra");
    is_int (pf_link_parse (msg, &command, &command_size, &body), -1, "a message of 4 frames is refused");
    zmsg_destroy (&msg);

    //  A PF1 message is not a link message
    msg = zmsg_new ();
    zmsg_addmem (msg, "", 0);
    zmsg_addstr (msg, "PF1");
    zmsg_addstr (msg, "PING");
    is_int (pf_link_parse (msg, &command, &command_size, &body), -1,
            "a 3-frame PF1 message (\"\", PF1, PING) is refused");
    zmsg_destroy (&msg);
}

static void
test_send (void)
{
    zsock_t *sender = zsock_new_pair ("@inproc://test-link");
    zsock_t *receiver = zsock_new_pair (">inproc://test-link");
    assert (sender && receiver);
    zsock_set_rcvtimeo (receiver, 2000);

    pf_record_t record = s_record ("id-1", "orders.new", "user-42", 7, "hello", 5);
    pf_buf_t body = { 0 };
    pf_link_put_msg (&body, 77, 11, &record);
    pf_link_put_msg (&body, 78, 12, &record);
    size_t body_size = body.size;
    is_int (pf_link_send (sender, NULL, "MSGS", &body), 0, "pf_link_send returns 0");
    ok (body.size == 0 && body.data == NULL, "pf_link_send empties the body (no copy)");

    zmsg_t *msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 3 && s_frame_is (zmsg_first (msg), "PL1", 3)
        && s_frame_is (zmsg_next (msg), "MSGS", 4),
        "a link message arrives as \"PL1\", the command, the body");
    const char *command;
    size_t command_size;
    zframe_t *frame = NULL;
    ok (msg && pf_link_parse (msg, &command, &command_size, &frame) == 0
        && pf_link_is (command, command_size, "MSGS") && zframe_size (frame) == body_size,
        "the sent message parses back to MSGS with the whole body");
    size_t count = 0;
    pf_reader_t reader;
    pf_link_msg_t got [2];
    bool round_trip = false;
    if (frame && pf_link_msgs_check (zframe_data (frame), zframe_size (frame), &count) == 0 && count == 2) {
        pf_reader_init (&reader, zframe_data (frame), zframe_size (frame));
        round_trip = pf_link_msgs_next (&reader, &got [0]) && pf_link_msgs_next (&reader, &got [1])
                  && s_msg_equal (&got [0], 77, 11, &record) && s_msg_equal (&got [1], 78, 12, &record);
    }
    ok (round_trip, "both records arrive with their tickets, partitions and fields");
    zmsg_destroy (&msg);

    pf_link_verdict_t verdict = { .ticket = 77, .status = 'A' };
    pf_link_put_verdict (&body, &verdict);
    zframe_t *routing_id = zframe_new ("edge-1", 6);
    is_int (pf_link_send (sender, routing_id, "VERDICTS", &body), 0, "pf_link_send with a routing id returns 0");
    msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 4 && s_frame_is (zmsg_first (msg), "edge-1", 6)
        && s_frame_is (zmsg_next (msg), "PL1", 3) && s_frame_is (zmsg_next (msg), "VERDICTS", 8)
        && zframe_size (zmsg_next (msg)) == 13,
        "the routing id goes first, before \"PL1\", the command, the body");
    zframe_t *first = msg ? zmsg_pop (msg) : NULL;
    zframe_destroy (&first);
    ok (msg && pf_link_parse (msg, &command, &command_size, &frame) == 0
        && pf_link_is (command, command_size, "VERDICTS"),
        "without its routing id it parses as a link VERDICTS");
    zmsg_destroy (&msg);

    //  An empty body is sent as an empty frame
    is_int (pf_link_send (sender, NULL, "MSGS", &body), 0, "pf_link_send of an empty body returns 0");
    msg = zmsg_recv (receiver);
    ok (msg && zmsg_size (msg) == 3 && zframe_size (zmsg_last (msg)) == 0,
        "an empty body arrives as an empty third frame");
    zmsg_destroy (&msg);

    //  Never blocks
    zsock_t *lonely = zsock_new_pair ("@inproc://test-link-lonely");
    assert (lonely);
    pf_link_put_msg (&body, 1, 1, &record);
    errno = 0;
    int rc = pf_link_send (lonely, NULL, "MSGS", &body);
    int error = errno;
    is_int (rc, -1, "pf_link_send returns -1 at once when the socket cannot take the message");
    is_int (error, EAGAIN, "errno is EAGAIN when the send would block");
    is_int (body.size, 0, "the body is dropped when the send fails");
    zsock_destroy (&lonely);

    pf_buf_free (&body);
    zframe_destroy (&routing_id);
    zsock_destroy (&receiver);
    zsock_destroy (&sender);
}

int
main (void)
{
    test_msgs ();
    test_verdicts ();
    test_parse ();
    test_send ();
    return done_testing ();
}
