//  test_producer - the public producer API against a fake edge: a ROUTER,
//  CURVE server, driven in this thread between producer calls (and, for the
//  window test, a lazy edge in an actor that answers only when idle).

#include "pf_classes.h"
#include "../tap.h"

#define S_SEEN_MAX 512

//  Every verdict the callback got, in order.
typedef struct {
    pf_producer_t *producer;    //  to check the window from the callback
    size_t window;
    bool window_exceeded;
    size_t count;
    char id [S_SEEN_MAX][PF_PROTO_ID_MAX + 1];
    char status [S_SEEN_MAX];
    char reason [S_SEEN_MAX][32];
    char text [S_SEEN_MAX][64];
    void *hint [S_SEEN_MAX];
    unsigned sends [S_SEEN_MAX];
    int64_t latency [S_SEEN_MAX];
} s_seen_t;

static void
s_on_verdict (const pf_producer_verdict_t *verdict, void *arg)
{
    s_seen_t *seen = (s_seen_t *) arg;
    if (seen->producer && pf_producer_pending (seen->producer) >= seen->window)
        seen->window_exceeded = true;
    assert (seen->count < S_SEEN_MAX);
    size_t index = seen->count++;
    snprintf (seen->id [index], sizeof seen->id [index], "%s", verdict->id);
    seen->status [index] = verdict->status;
    snprintf (seen->reason [index], sizeof seen->reason [index], "%s", verdict->reason);
    snprintf (seen->text [index], sizeof seen->text [index], "%s", verdict->text);
    seen->hint [index] = verdict->hint;
    seen->sends [index] = verdict->sends;
    seen->latency [index] = verdict->latency_us;
}

//  Index of the verdict on id, -1 if none; *times how many there were.
static int
s_seen_find (s_seen_t *seen, const char *id, int *times)
{
    int found = -1;
    *times = 0;
    for (size_t index = 0; index < seen->count; index++)
        if (streq (seen->id [index], id)) {
            found = (int) index;
            (*times)++;
        }
    return found;
}

//  ---- The fake edge --------------------------------------------------------------

static zcert_t *s_server_cert;
static char *s_cert_path;       //  the client's secret file

static zsock_t *
s_edge_new (char **endpoint)
{
    zsock_t *edge = zsock_new (ZMQ_ROUTER);
    assert (edge);
    zcert_apply (s_server_cert, edge);
    zsock_set_curve_server (edge, 1);
    zsock_set_rcvtimeo (edge, 0);
    int port = zsock_bind (edge, "tcp://127.0.0.1:*");
    assert (port > 0);
    *endpoint = zsys_sprintf ("tcp://127.0.0.1:%d", port);
    return edge;
}

static pf_producer_t *
s_producer_new (pf_producer_options_t *options, const char *endpoint, s_seen_t *seen)
{
    options->endpoint = endpoint;
    options->server_public = zcert_public_txt (s_server_cert);
    options->cert_path = s_cert_path;
    options->on_verdict = s_on_verdict;
    options->arg = seen;
    char *error = NULL;
    pf_producer_t *producer = pf_producer_new (options, &error);
    if (!producer)
        diag ("pf_producer_new: %s", error);
    free (error);
    return producer;
}

//  One message at the edge: the frames after the routing id, which goes to
//  *routing. Serves the producer (if any) meanwhile. NULL after timeout_ms.
static zmsg_t *
s_edge_recv (zsock_t *edge, pf_producer_t *producer, zframe_t **routing, int timeout_ms)
{
    int64_t until = zclock_mono () + timeout_ms;
    while (true) {
        zmsg_t *msg = zmsg_recv (edge);
        if (msg) {
            *routing = zmsg_pop (msg);
            return msg;
        }
        if (zclock_mono () >= until)
            return NULL;
        if (producer)
            pf_producer_poll (producer, 0);
        zmq_pollitem_t item = { zsock_resolve (edge), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 5);
    }
}

//  The records of a PUSHB received at the edge: their ids into ids (up to
//  max), the count returned; -1 if msg is not a well-formed PUSHB.
static int
s_batch_ids (zmsg_t *msg, char ids [][PF_PROTO_ID_MAX + 1], size_t max, pf_record_t *first)
{
    pf_message_t message;
    const char *text;
    if (pf_proto_parse (msg, &message, &text) != PF_REASON_OK || message.cmd != PF_CMD_PUSHB)
        return -1;
    size_t count;
    if (pf_proto_batch_check (message.arg [0], message.arg_size [0], false, &count, &text)
        != PF_REASON_OK)
        return -1;
    pf_reader_t reader;
    pf_reader_init (&reader, message.arg [0], message.arg_size [0]);
    pf_record_t record;
    size_t index = 0;
    while (pf_proto_batch_next (&reader, false, &record)) {
        if (index == 0 && first)
            *first = record;
        if (index < max)
            snprintf (ids [index], PF_PROTO_ID_MAX + 1, "%.*s", (int) record.id_size,
                      (const char *) record.id);
        index++;
    }
    return (int) index;
}

static void
s_put_verdict (pf_buf_t *buf, char status, const char *id, pf_reason_t reason,
               const char *text, uint32_t retry_after)
{
    pf_verdict_t verdict = {
        .status = status, .id = (const byte *) id, .id_size = strlen (id),
        .reason = reason, .text = text, .retry_after = retry_after
    };
    pf_proto_put_verdict (buf, &verdict);
}

static void
s_send_verdicts (zsock_t *edge, zframe_t *routing, pf_buf_t *buf)
{
    int rc = pf_proto_send_buf (edge, routing, PF_CMD_VERDICTS, buf);
    assert (rc == 0);
}

static void
s_send_id (zsock_t *edge, zframe_t *routing, pf_cmd_t cmd, const char *id, const char *extra)
{
    const void *arg [2] = { id, extra };
    size_t arg_size [2] = { strlen (id), extra ? strlen (extra) : 0 };
    int rc = pf_proto_send (edge, routing, cmd, extra ? 2 : 1, arg, arg_size);
    assert (rc == 0);
}

//  Poll the producer until it has delivered `want` verdicts in all, or 2 s.
static void
s_poll_until (pf_producer_t *producer, s_seen_t *seen, size_t want)
{
    int64_t until = zclock_mono () + 2000;
    while (seen->count < want && zclock_mono () < until)
        pf_producer_poll (producer, 50);
}

//  ---- Tests --------------------------------------------------------------------

//  True if pf_producer_new refuses options; *error holds the reason.
static bool
s_refused (pf_producer_options_t *options, char **error)
{
    pf_producer_t *producer = pf_producer_new (options, error);
    pf_producer_destroy (&producer);
    return producer == NULL && *error != NULL;
}

static void
s_test_new_errors (const char *dir)
{
    s_seen_t seen = { 0 };
    pf_producer_options_t options = { 0 };
    char *error = NULL;
    bool refused;

    options = (pf_producer_options_t) {
        .endpoint = "tcp://127.0.0.1:1", .server_public = "short",
        .cert_path = s_cert_path, .on_verdict = s_on_verdict, .arg = &seen
    };
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "Z85"),
        "a server key that is not 40 characters of Z85 is refused: %s", error);
    zstr_free (&error);

    char *missing = zsys_sprintf ("%s/nobody.cert_secret", dir);
    options.server_public = zcert_public_txt (s_server_cert);
    options.cert_path = missing;
    char *want = zsys_sprintf ("cannot read certificate '%s'", missing);
    refused = s_refused (&options, &error);
    ok (refused && strncmp (error, want, strlen (want)) == 0,
        "a missing certificate is named: %s", error);
    zstr_free (&error);
    zstr_free (&want);
    zstr_free (&missing);

    zcert_t *public_only = zcert_new ();
    char *public_path = zsys_sprintf ("%s/public.cert", dir);
    zcert_save_public (public_only, public_path);
    options.cert_path = public_path;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "secret"),
        "a certificate without a secret key is refused: %s", error);
    zstr_free (&error);
    zstr_free (&public_path);
    zcert_destroy (&public_only);

    options.cert_path = s_cert_path;
    options.on_verdict = NULL;
    refused = s_refused (&options, &error);
    ok (refused, "on_verdict is required: %s", error);
    zstr_free (&error);

    options.on_verdict = s_on_verdict;
    options.endpoint = "nonsense";
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "nonsense"),
        "a bad endpoint is refused: %s", error);
    zstr_free (&error);

    options.endpoint = "tcp://127.0.0.1:1";
    options.batch_records = PF_PROTO_BATCH_MAX + 1;
    refused = s_refused (&options, &error);
    ok (refused, "batch_records above 10000 is refused: %s", error);
    zstr_free (&error);
}

static void
s_test_fields (void)
{
    s_seen_t seen = { 0 };
    pf_producer_options_t options = { 0 };
    //  Nothing listens there: the pushes stay queued, which is all we need
    pf_producer_t *producer = s_producer_new (&options, "tcp://127.0.0.1:1", &seen);
    ok (producer != NULL, "producer connects (lazily) to an absent edge");
    if (!producer)
        return;
    char long_id [PF_PROTO_ID_MAX + 2];
    memset (long_id, 'a', sizeof long_id);
    long_id [PF_PROTO_ID_MAX + 1] = 0;
    char long_topic [PF_PROTO_TOPIC_MAX + 2];
    memset (long_topic, 't', sizeof long_topic);
    long_topic [PF_PROTO_TOPIC_MAX + 1] = 0;
    byte key [PF_PROTO_KEY_MAX + 1] = { 0 };

    struct {
        const char *id;
        const char *topic;
        size_t key_size;
        const char *what;
    } bad [] = {
        { "", "t", 0, "an empty id" },
        { long_id, "t", 0, "an id of 129 bytes" },
        { "has space", "t", 0, "an id with a space" },
        { "tab\there", "t", 0, "an id with a control byte" },
        { "\x7f", "t", 0, "an id with DEL" },
        { "ok", "", 0, "an empty topic" },
        { "ok", "bad/topic", 0, "a topic with '/'" },
        { "ok", long_topic, 0, "a topic of 256 bytes" },
        { "ok", "t", PF_PROTO_KEY_MAX + 1, "a key of 256 bytes" },
        { NULL, "t", 0, "a NULL id" }
    };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++) {
        errno = 0;
        int rc = pf_producer_push (producer, bad [index].id, bad [index].topic, key,
                                   bad [index].key_size, "p", 1, NULL);
        ok (rc == -1 && errno == EINVAL, "%s gives EINVAL", bad [index].what);
    }
    is_int (pf_producer_pending (producer), 0, "nothing invalid was queued");

    long_id [PF_PROTO_ID_MAX] = 0;
    long_topic [PF_PROTO_TOPIC_MAX] = 0;
    ok (pf_producer_push (producer, long_id, long_topic, key, PF_PROTO_KEY_MAX, NULL, 0, NULL)
        == 0, "id of 128 bytes, topic of 255 and key of 255 are taken");
    ok (pf_producer_push (producer, "dup-1", "t.a-b_C9", NULL, 0, "x", 1, NULL) == 0,
        "a first push of dup-1 is taken");
    errno = 0;
    ok (pf_producer_push (producer, "dup-1", "t", NULL, 0, "y", 1, NULL) == -1
        && errno == EEXIST, "a second push of dup-1 while pending gives EEXIST");
    is_int (pf_producer_pending (producer), 2, "two messages are pending");

    zsys_interrupted = 1;
    errno = 0;
    ok (pf_producer_push (producer, "late", "t", NULL, 0, "z", 1, NULL) == -1
        && errno == EINTR, "push after an interrupt gives EINTR");
    is_int (pf_producer_poll (producer, 10), -1, "poll after an interrupt gives -1");
    zsys_interrupted = 0;

    errno = 0;
    ok (pf_producer_flush (producer, 50) == -1 && errno == ETIMEDOUT,
        "flush gives up with ETIMEDOUT when no edge answers");
    pf_producer_destroy (&producer);
    ok (producer == NULL && seen.count == 0,
        "destroy drops pending messages without verdicts");
}

static void
s_test_batch (void)
{
    s_seen_t seen = { 0 };
    char *endpoint;
    zsock_t *edge = s_edge_new (&endpoint);
    //  A long linger: batches leave only when full or polled
    pf_producer_options_t options = { .linger_ms = 60000, .batch_records = 100 };
    pf_producer_t *producer = s_producer_new (&options, endpoint, &seen);
    assert (producer);
    int hints [3];
    ok (pf_producer_push (producer, "b-1", "orders", "k1", 2, "one", 3, &hints [0]) == 0
     && pf_producer_push (producer, "b-2", "orders", "k2", 2, "two", 3, &hints [1]) == 0
     && pf_producer_push (producer, "b-3", "orders", "", 0, "", 0, &hints [2]) == 0,
        "three messages are queued");

    zframe_t *routing = NULL;
    zmsg_t *msg = s_edge_recv (edge, NULL, &routing, 200);
    ok (msg == NULL, "a batch short of batch_records waits for linger_ms");
    msg = s_edge_recv (edge, producer, &routing, 2000);
    char ids [8][PF_PROTO_ID_MAX + 1];
    pf_record_t first = { 0 };
    int count = msg ? s_batch_ids (msg, ids, 8, &first) : -1;
    is_int (count, 3, "poll sends the three as one PUSHB that pf_proto_batch_check accepts");
    ok (count == 3 && streq (ids [0], "b-1") && streq (ids [1], "b-2") && streq (ids [2], "b-3"),
        "the records keep push order");
    ok (count == 3 && first.topic_size == 6 && memcmp (first.topic, "orders", 6) == 0
        && first.key_size == 2 && memcmp (first.key, "k1", 2) == 0
        && first.payload_size == 3 && memcmp (first.payload, "one", 3) == 0,
        "a record carries topic, key and payload");
    zmsg_destroy (&msg);

    pf_buf_t buf = { 0 };
    s_put_verdict (&buf, 'A', "b-1", PF_REASON_OK, NULL, 0);
    s_put_verdict (&buf, 'D', "b-2", PF_REASON_OK, NULL, 0);
    s_put_verdict (&buf, 'N', "b-3", PF_REASON_BAD_TOPIC, "topic is not allowed", 0);
    s_send_verdicts (edge, routing, &buf);
    s_poll_until (producer, &seen, 3);
    int times, at;
    at = s_seen_find (&seen, "b-1", &times);
    ok (at >= 0 && times == 1 && seen.status [at] == 'A' && seen.hint [at] == &hints [0]
        && seen.sends [at] == 1 && seen.latency [at] > 0,
        "ACK reaches the callback once, with its hint, one send and a latency");
    at = s_seen_find (&seen, "b-2", &times);
    ok (at >= 0 && times == 1 && seen.status [at] == 'D' && seen.hint [at] == &hints [1],
        "DUP reaches the callback once, with its hint");
    at = s_seen_find (&seen, "b-3", &times);
    ok (at >= 0 && times == 1 && seen.status [at] == 'N' && seen.hint [at] == &hints [2]
        && streq (seen.reason [at], "BAD_TOPIC") && streq (seen.text [at], "topic is not allowed"),
        "NACK reaches the callback once, with its hint, reason and text");
    is_int (pf_producer_pending (producer), 0, "nothing is pending after final verdicts");

    //  The same verdicts again, and single-form ones: all late
    s_put_verdict (&buf, 'A', "b-1", PF_REASON_OK, NULL, 0);
    s_put_verdict (&buf, 'N', "b-3", PF_REASON_BAD_TOPIC, "again", 0);
    s_send_verdicts (edge, routing, &buf);
    s_send_id (edge, routing, PF_CMD_DUP, "b-2", NULL);
    pf_producer_poll (producer, 100);
    is_int (seen.count, 3, "late verdicts for answered ids are ignored");

    //  Two batches answered by one VERDICTS, and one batch by two
    size_t before = seen.count;
    pf_producer_push (producer, "c-1", "orders", NULL, 0, "1", 1, NULL);
    pf_producer_push (producer, "c-2", "orders", NULL, 0, "2", 1, NULL);
    zframe_destroy (&routing);
    msg = s_edge_recv (edge, producer, &routing, 2000);
    int first_count = msg ? s_batch_ids (msg, ids, 8, NULL) : -1;
    zmsg_destroy (&msg);
    pf_producer_push (producer, "c-3", "orders", NULL, 0, "3", 1, NULL);
    zframe_destroy (&routing);
    msg = s_edge_recv (edge, producer, &routing, 2000);
    int second_count = msg ? s_batch_ids (msg, ids, 8, NULL) : -1;
    zmsg_destroy (&msg);
    ok (first_count == 2 && second_count == 1, "two polls send two batches (2 and 1 records)");
    s_put_verdict (&buf, 'A', "c-1", PF_REASON_OK, NULL, 0);
    s_put_verdict (&buf, 'A', "c-3", PF_REASON_OK, NULL, 0);
    s_send_verdicts (edge, routing, &buf);
    s_poll_until (producer, &seen, before + 2);
    is_int (seen.count - before, 2, "one VERDICTS answers records of two batches");
    s_put_verdict (&buf, 'D', "c-2", PF_REASON_OK, NULL, 0);
    s_send_verdicts (edge, routing, &buf);
    s_poll_until (producer, &seen, before + 3);
    at = s_seen_find (&seen, "c-2", &times);
    ok (at >= 0 && times == 1 && seen.status [at] == 'D',
        "the rest of a batch is answered by a later VERDICTS");
    zframe_destroy (&routing);
    pf_producer_destroy (&producer);

    //  Batch limits: at most batch_records records and batch_bytes bytes
    options = (pf_producer_options_t) { .linger_ms = 60000, .batch_records = 2 };
    producer = s_producer_new (&options, endpoint, &seen);
    char id [16];
    for (int index = 0; index < 5; index++) {
        snprintf (id, sizeof id, "r-%d", index);
        pf_producer_push (producer, id, "t", NULL, 0, "x", 1, NULL);
    }
    pf_producer_poll (producer, 0);
    bool within = true;
    int total = 0;
    while ((msg = s_edge_recv (edge, producer, &routing, total < 5 ? 2000 : 100))) {
        count = s_batch_ids (msg, ids, 8, NULL);
        within = within && count >= 1 && count <= 2;
        total += count > 0 ? count : 0;
        zmsg_destroy (&msg);
        zframe_destroy (&routing);
    }
    ok (within && total == 5, "batch_records=2 sends 5 records in PUSHBs of at most 2");
    pf_producer_destroy (&producer);

    char payload [40];
    memset (payload, 'p', sizeof payload);
    options = (pf_producer_options_t) { .linger_ms = 60000, .batch_bytes = 100 };
    producer = s_producer_new (&options, endpoint, &seen);
    for (int index = 0; index < 3; index++) {
        snprintf (id, sizeof id, "s-%d", index);
        pf_producer_push (producer, id, "t", NULL, 0, payload, sizeof payload, NULL);
    }
    within = true;
    total = 0;
    while ((msg = s_edge_recv (edge, producer, &routing, total < 3 ? 2000 : 100))) {
        zframe_t *frame = zmsg_last (msg);
        count = s_batch_ids (msg, ids, 8, NULL);
        within = within && count == 1 && zframe_size (frame) <= 100;
        total += count > 0 ? count : 0;
        zmsg_destroy (&msg);
        zframe_destroy (&routing);
    }
    ok (within && total == 3, "batch_bytes=100 sends records of 51 bytes one per PUSHB");
    pf_producer_destroy (&producer);

    //  Linger: a partial batch leaves with the first push after linger_ms
    options = (pf_producer_options_t) { .linger_ms = 100 };
    producer = s_producer_new (&options, endpoint, &seen);
    pf_producer_push (producer, "l-1", "t", NULL, 0, "x", 1, NULL);
    pf_producer_flush (producer, 0);        //  connects and sends
    msg = s_edge_recv (edge, producer, &routing, 2000);
    zmsg_destroy (&msg);
    s_send_id (edge, routing, PF_CMD_ACK, "l-1", NULL);
    zframe_destroy (&routing);
    pf_producer_flush (producer, 2000);
    pf_producer_push (producer, "l-2", "t", NULL, 0, "x", 1, NULL);
    msg = s_edge_recv (edge, NULL, &routing, 150);
    ok (msg == NULL, "a partial batch is held for linger_ms");
    pf_producer_push (producer, "l-3", "t", NULL, 0, "x", 1, NULL);
    msg = s_edge_recv (edge, NULL, &routing, 2000);
    count = msg ? s_batch_ids (msg, ids, 8, NULL) : -1;
    is_int (count, 2, "a push after linger_ms sends the held batch without a poll");
    zmsg_destroy (&msg);
    zframe_destroy (&routing);
    pf_producer_destroy (&producer);

    pf_buf_free (&buf);
    zsock_destroy (&edge);
    free (endpoint);
}

static void
s_test_busy_and_resend (void)
{
    s_seen_t seen = { 0 };
    char *endpoint;
    zsock_t *edge = s_edge_new (&endpoint);
    pf_producer_options_t options = { .resend_ms = 300 };
    pf_producer_t *producer = s_producer_new (&options, endpoint, &seen);
    assert (producer);

    //  BUSY in a VERDICTS record
    pf_producer_push (producer, "busy-1", "t", "key", 3, "payload", 7, NULL);
    zframe_t *routing = NULL;
    zmsg_t *msg = s_edge_recv (edge, producer, &routing, 2000);
    char ids [4][PF_PROTO_ID_MAX + 1];
    ok (msg && s_batch_ids (msg, ids, 4, NULL) == 1, "busy-1 arrives");
    zmsg_destroy (&msg);
    pf_buf_t buf = { 0 };
    s_put_verdict (&buf, 'B', "busy-1", PF_REASON_OK, NULL, 50);
    int64_t busy_at = zclock_mono ();
    s_send_verdicts (edge, routing, &buf);
    zframe_destroy (&routing);
    msg = s_edge_recv (edge, producer, &routing, 2000);
    int64_t waited = zclock_mono () - busy_at;
    pf_record_t record = { 0 };
    int count = msg ? s_batch_ids (msg, ids, 4, &record) : -1;
    ok (count == 1 && streq (ids [0], "busy-1") && record.key_size == 3
        && memcmp (record.key, "key", 3) == 0 && record.payload_size == 7
        && memcmp (record.payload, "payload", 7) == 0,
        "a BUSY message is resent with the same id, key and payload");
    ok (waited >= 45 && waited < 300, "after the retry-after (waited %d ms)", (int) waited);
    zmsg_destroy (&msg);
    is_int (seen.count, 0, "BUSY is not a final verdict");
    s_put_verdict (&buf, 'A', "busy-1", PF_REASON_OK, NULL, 0);
    s_send_verdicts (edge, routing, &buf);
    zframe_destroy (&routing);
    s_poll_until (producer, &seen, 1);
    ok (seen.count == 1 && seen.status [0] == 'A' && seen.sends [0] == 2,
        "then its ACK is final, after 2 sends");

    //  No answer: resent after resend_ms
    pf_producer_push (producer, "quiet-1", "t", NULL, 0, "x", 1, NULL);
    msg = s_edge_recv (edge, producer, &routing, 2000);
    int64_t sent_at = zclock_mono ();
    zmsg_destroy (&msg);
    zframe_destroy (&routing);
    msg = s_edge_recv (edge, producer, &routing, 2000);
    waited = zclock_mono () - sent_at;
    count = msg ? s_batch_ids (msg, ids, 4, NULL) : -1;
    ok (count == 1 && streq (ids [0], "quiet-1") && waited >= 290,
        "an unanswered message is resent after resend_ms (waited %d ms)", (int) waited);
    zmsg_destroy (&msg);
    //  The edge answers both sends; only one verdict counts
    s_send_id (edge, routing, PF_CMD_ACK, "quiet-1", NULL);
    s_send_id (edge, routing, PF_CMD_DUP, "quiet-1", NULL);
    zframe_destroy (&routing);
    s_poll_until (producer, &seen, 2);
    pf_producer_poll (producer, 50);
    int times;
    int at = s_seen_find (&seen, "quiet-1", &times);
    ok (at >= 0 && times == 1 && seen.status [at] == 'A' && seen.sends [at] == 2,
        "answers to both sends give one final verdict");

    //  A whole-batch MALFORMED NACK: logged, the records resent by timeout
    pf_producer_push (producer, "mal-1", "t", NULL, 0, "x", 1, NULL);
    msg = s_edge_recv (edge, producer, &routing, 2000);
    zmsg_destroy (&msg);
    pf_proto_send_nack (edge, routing, (const byte *) "", 0, PF_REASON_MALFORMED,
                        "batch record is truncated");
    zframe_destroy (&routing);
    msg = s_edge_recv (edge, producer, &routing, 2000);
    count = msg ? s_batch_ids (msg, ids, 4, NULL) : -1;
    ok (count == 1 && streq (ids [0], "mal-1") && s_seen_find (&seen, "mal-1", &times) == -1,
        "after a whole-batch NACK the record is resent, with no verdict yet");
    zmsg_destroy (&msg);
    s_send_id (edge, routing, PF_CMD_ACK, "mal-1", NULL);
    zframe_destroy (&routing);
    ok (pf_producer_flush (producer, 2000) == 0, "flush returns once all are final");
    pf_producer_destroy (&producer);

    //  Deadline
    options = (pf_producer_options_t) { .resend_ms = 100, .deadline_ms = 350 };
    producer = s_producer_new (&options, endpoint, &seen);
    size_t before = seen.count;
    int64_t started = zclock_mono ();
    pf_producer_push (producer, "late-1", "t", NULL, 0, "x", 1, NULL);
    int rc = pf_producer_flush (producer, 3000);
    int64_t took = zclock_mono () - started;
    at = s_seen_find (&seen, "late-1", &times);
    ok (rc == 0 && at >= 0 && times == 1 && seen.status [at] == 'E'
        && streq (seen.reason [at], "DEADLINE") && seen.count == before + 1,
        "with no verdict by deadline_ms the message ends 'E' DEADLINE");
    ok (took >= 340 && took < 1500 && seen.sends [at] >= 3,
        "after the deadline (%d ms) and resends every resend_ms (%u sends)", (int) took,
        at >= 0 ? seen.sends [at] : 0);
    pf_producer_destroy (&producer);

    pf_buf_free (&buf);
    zsock_destroy (&edge);
    free (endpoint);
}

static void
s_test_single (void)
{
    s_seen_t seen = { 0 };
    char *endpoint;
    zsock_t *edge = s_edge_new (&endpoint);
    pf_producer_options_t options = { .single = true };
    pf_producer_t *producer = s_producer_new (&options, endpoint, &seen);
    assert (producer);
    int hint = 7;
    pf_producer_push (producer, "one", "t.single", "k", 1, "first", 5, &hint);
    pf_producer_push (producer, "two", "t.single", NULL, 0, "second", 6, NULL);
    pf_producer_push (producer, "three", "t.single", NULL, 0, "third", 5, NULL);

    zframe_t *routing [3] = { NULL, NULL, NULL };
    zmsg_t *msg [3] = { NULL, NULL, NULL };
    bool all_push = true;
    for (int index = 0; index < 3; index++) {
        msg [index] = s_edge_recv (edge, producer, &routing [index], 2000);
        pf_message_t message;
        const char *text;
        all_push = all_push && msg [index]
                && pf_proto_parse (msg [index], &message, &text) == PF_REASON_OK
                && message.cmd == PF_CMD_PUSH;
        if (index == 0 && all_push) {
            pf_record_t record;
            pf_proto_push_record (&message, &record);
            ok (record.id_size == 3 && memcmp (record.id, "one", 3) == 0
                && record.topic_size == 8 && record.key_size == 1
                && record.payload_size == 5 && memcmp (record.payload, "first", 5) == 0,
                "a single PUSH carries id, topic, key and payload frames");
        }
    }
    ok (all_push, "with single, each message is one PUSH");
    s_send_id (edge, routing [0], PF_CMD_ACK, "one", NULL);
    pf_proto_send_nack (edge, routing [1], (const byte *) "two", 3, PF_REASON_TOO_LARGE,
                        "payload is larger than max-payload");
    s_send_id (edge, routing [2], PF_CMD_BUSY, "three", "20");
    s_poll_until (producer, &seen, 2);
    int times;
    int at = s_seen_find (&seen, "one", &times);
    ok (at >= 0 && times == 1 && seen.status [at] == 'A' && seen.hint [at] == &hint,
        "a single ACK reaches the callback with its hint");
    at = s_seen_find (&seen, "two", &times);
    ok (at >= 0 && times == 1 && seen.status [at] == 'N' && streq (seen.reason [at], "TOO_LARGE")
        && streq (seen.text [at], "payload is larger than max-payload"),
        "a single NACK carries reason and text");
    zframe_t *again_routing = NULL;
    zmsg_t *again = s_edge_recv (edge, producer, &again_routing, 2000);
    pf_message_t message;
    const char *text;
    ok (again && pf_proto_parse (again, &message, &text) == PF_REASON_OK
        && message.cmd == PF_CMD_PUSH && message.arg_size [0] == 5
        && memcmp (message.arg [0], "three", 5) == 0,
        "a single BUSY is resent as a PUSH with the same id");
    s_send_id (edge, again_routing, PF_CMD_DUP, "three", NULL);
    ok (pf_producer_flush (producer, 2000) == 0, "and its DUP ends the flush");
    at = s_seen_find (&seen, "three", &times);
    ok (at >= 0 && seen.status [at] == 'D' && seen.sends [at] == 2, "DUP after 2 sends");
    zmsg_destroy (&again);
    zframe_destroy (&again_routing);
    for (int index = 0; index < 3; index++) {
        zmsg_destroy (&msg [index]);
        zframe_destroy (&routing [index]);
    }
    pf_producer_destroy (&producer);
    zsock_destroy (&edge);
    free (endpoint);
}

//  A lazy edge: answers ACK to everything it holds once no PUSHB came for a
//  few milliseconds, and counts the most records it held unanswered.
static void
s_lazy_edge (zsock_t *pipe, void *args)
{
    char *endpoint;
    zsock_t *edge = s_edge_new (&endpoint);
    zsock_signal (pipe, 0);
    zstr_send (pipe, endpoint);
    zhashx_t *held = zhashx_new ();
    zframe_t *routing = NULL;
    size_t most = 0, records = 0;
    zpoller_t *poller = zpoller_new (pipe, edge, NULL);
    while (true) {
        void *which = zpoller_wait (poller, 3);
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool stop = !command || streq (command, "$TERM");
            if (!stop)
                zsock_send (pipe, "88", (uint64_t) most, (uint64_t) records);
            zstr_free (&command);
            if (stop)
                break;
        }
        else
        if (which == edge) {
            zmsg_t *msg = zmsg_recv (edge);
            zframe_destroy (&routing);
            routing = zmsg_pop (msg);
            pf_message_t message;
            const char *text;
            size_t count;
            if (pf_proto_parse (msg, &message, &text) == PF_REASON_OK
            &&  message.cmd == PF_CMD_PUSHB
            &&  pf_proto_batch_check (message.arg [0], message.arg_size [0], false, &count,
                                      &text) == PF_REASON_OK) {
                pf_reader_t reader;
                pf_reader_init (&reader, message.arg [0], message.arg_size [0]);
                pf_record_t record;
                while (pf_proto_batch_next (&reader, false, &record)) {
                    char id [PF_PROTO_ID_MAX + 1];
                    snprintf (id, sizeof id, "%.*s", (int) record.id_size,
                              (const char *) record.id);
                    zhashx_insert (held, id, (void *) 1);
                    records++;
                }
                if (zhashx_size (held) > most)
                    most = zhashx_size (held);
            }
            zmsg_destroy (&msg);
        }
        else
        if (zhashx_size (held) > 0 && routing) {
            pf_buf_t buf = { 0 };
            for (void *item = zhashx_first (held); item; item = zhashx_next (held))
                s_put_verdict (&buf, 'A', (const char *) zhashx_cursor (held), PF_REASON_OK,
                               NULL, 0);
            s_send_verdicts (edge, routing, &buf);
            zhashx_purge (held);
        }
    }
    zframe_destroy (&routing);
    zpoller_destroy (&poller);
    zhashx_destroy (&held);
    zsock_destroy (&edge);
    free (endpoint);
}

static void
s_test_window (void)
{
    zactor_t *actor = zactor_new (s_lazy_edge, NULL);
    char *endpoint = zstr_recv (actor);
    s_seen_t seen = { 0 };
    pf_producer_options_t options = { .window = 7, .batch_records = 3 };
    pf_producer_t *producer = s_producer_new (&options, endpoint, &seen);
    assert (producer);
    seen.producer = producer;
    seen.window = 7;
    bool pushed = true, bounded = true;
    for (int index = 0; index < 300; index++) {
        char id [37];
        pf_producer_uuid (id);
        pushed = pushed && pf_producer_push (producer, id, "t", NULL, 0, "x", 1, NULL) == 0;
        bounded = bounded && pf_producer_pending (producer) <= 7;
    }
    ok (pushed && bounded, "300 pushes through a window of 7 (pending never above 7)");
    ok (pf_producer_flush (producer, 10000) == 0, "flush gets every verdict");
    size_t acked = 0;
    for (size_t index = 0; index < seen.count; index++)
        acked += seen.status [index] == 'A';
    is_int (acked, 300, "all 300 are ACKed");
    ok (!seen.window_exceeded, "the callback never sees more than the window pending");
    zstr_send (actor, "STATS");
    uint64_t most = 0, records = 0;
    zsock_recv (actor, "88", &most, &records);
    ok (most <= 7 && most >= 3, "the edge never held more than 7 unanswered (most %d)",
        (int) most);
    is_int (records, 300, "the edge got each record once");
    pf_producer_destroy (&producer);
    zactor_destroy (&actor);
    free (endpoint);
}

static void
s_test_uuid (void)
{
    char one [37], two [37];
    pf_producer_uuid (one);
    pf_producer_uuid (two);
    bool shape = strlen (one) == 36;
    for (int index = 0; index < 36 && shape; index++) {
        char c = one [index];
        if (index == 8 || index == 13 || index == 18 || index == 23)
            shape = c == '-';
        else
            shape = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
    ok (shape, "uuid is 36 characters of lowercase hex and dashes: %s", one);
    ok (one [14] == '4' && strchr ("89ab", one [19]), "uuid is version 4, RFC 4122 variant");
    ok (!streq (one, two), "two uuids differ");
}

int
main (void)
{
    zsys_init ();
    pf_log_set_level (PF_LOG_ERROR);        //  the MALFORMED test logs a warning
    char dir [] = "/tmp/test_producer.XXXXXX";
    assert (mkdtemp (dir));
    s_server_cert = zcert_new ();
    zcert_t *client = zcert_new ();
    char *client_path = zsys_sprintf ("%s/client.cert", dir);
    zcert_save (client, client_path);       //  client.cert and client.cert_secret
    s_cert_path = zsys_sprintf ("%s_secret", client_path);

    s_test_uuid ();
    s_test_new_errors (dir);
    s_test_fields ();
    s_test_batch ();
    s_test_busy_and_resend ();
    s_test_single ();
    s_test_window ();

    char *path = zsys_sprintf ("%s/public.cert", dir);
    remove (path);
    zstr_free (&path);
    remove (s_cert_path);
    remove (client_path);
    rmdir (dir);
    zstr_free (&s_cert_path);
    zstr_free (&client_path);
    zcert_destroy (&client);
    zcert_destroy (&s_server_cert);
    return done_testing ();
}
