//  test_worker - the public worker API against fake procs: ROUTER sockets,
//  CURVE servers without ZAP, driven in this thread between calls that let
//  the worker run.

#include "pf_classes.h"
#include "../tap.h"

#define S_SEEN_MAX 256
#define S_QUIET_MS 200          //  how long "nothing arrives" is watched

//  Every delivery the handler got, in order, and how it should behave.
typedef struct {
    pf_worker_t *worker;        //  for stop, heartbeat and run from the handler
    size_t count;
    char id [S_SEEN_MAX][PF_PROTO_ID_MAX + 1];
    char topic [S_SEEN_MAX][64];
    byte key [S_SEEN_MAX][16];
    size_t key_size [S_SEEN_MAX];
    uint32_t attempt [S_SEEN_MAX];
    char payload [S_SEEN_MAX][64];
    size_t payload_size [S_SEEN_MAX];
    char endpoint [S_SEEN_MAX][64];
    int sleep_ms;               //  each call takes this long
    bool beat;                  //  calling pf_worker_heartbeat meanwhile
    size_t stop_at;             //  call pf_worker_stop at this count
    bool interrupt;             //  set zsys_interrupted
    bool call_run;              //  try pf_worker_run from inside
    int run_rc;                 //  what it returned
    int run_errno;
} s_seen_t;

//  DONE unless the payload starts with "fail": then FAIL "failed: PAYLOAD",
//  or with an empty reason for "fail-quietly".
static int
s_handler (const pf_delivery_t *delivery, void *arg, char *reason, size_t reason_size)
{
    s_seen_t *seen = (s_seen_t *) arg;
    assert (seen->count < S_SEEN_MAX);
    size_t index = seen->count++;
    snprintf (seen->id [index], sizeof seen->id [index], "%s", delivery->id);
    snprintf (seen->topic [index], sizeof seen->topic [index], "%s", delivery->topic);
    seen->key_size [index] = delivery->key_size;
    memcpy (seen->key [index], delivery->key,
            delivery->key_size < 16 ? delivery->key_size : 16);
    seen->attempt [index] = delivery->attempt;
    seen->payload_size [index] = delivery->payload_size;
    snprintf (seen->payload [index], sizeof seen->payload [index], "%.*s",
              (int) delivery->payload_size, (const char *) delivery->payload);
    snprintf (seen->endpoint [index], sizeof seen->endpoint [index], "%s",
              delivery->endpoint);
    for (int slept = 0; slept < seen->sleep_ms; slept += 20) {
        zclock_sleep (20);
        if (seen->beat)
            pf_worker_heartbeat (seen->worker);
    }
    if (seen->stop_at && seen->count == seen->stop_at)
        pf_worker_stop (seen->worker);
    if (seen->interrupt)
        zsys_interrupted = 1;
    if (seen->call_run) {
        seen->run_rc = pf_worker_run (seen->worker, 0);
        seen->run_errno = errno;
    }
    if (strncmp (seen->payload [index], "fail-quietly", 12) == 0)
        return 1;
    if (strncmp (seen->payload [index], "fail", 4) == 0) {
        snprintf (reason, reason_size, "failed: %s", seen->payload [index]);
        return -1;
    }
    return 0;
}

//  ---- The fake proc ------------------------------------------------------------------

static zcert_t *s_server_cert;
static char *s_cert_path;       //  the worker's secret file

typedef struct {
    zsock_t *router;            //  CURVE server
    char *endpoint;
    zframe_t *peer;             //  routing id of the last sender
    bool pong;                  //  answer PING (default)
} s_proc_t;

//  A fake proc on endpoint, or on a fresh port if NULL.
static s_proc_t *
s_proc_new (const char *endpoint)
{
    s_proc_t *proc = (s_proc_t *) zmalloc (sizeof (s_proc_t));
    proc->router = zsock_new (ZMQ_ROUTER);
    assert (proc->router);
    zcert_apply (s_server_cert, proc->router);
    zsock_set_curve_server (proc->router, 1);
    zsock_set_rcvtimeo (proc->router, 0);
    zsock_set_linger (proc->router, 0);
    if (endpoint) {
        //  The socket that had it closes in the background: try for a while
        int rc, tries = 0;
        while ((rc = zsock_bind (proc->router, "%s", endpoint)) == -1 && tries++ < 100)
            zclock_sleep (10);
        assert (rc != -1);
        proc->endpoint = strdup (endpoint);
    }
    else {
        int port = zsock_bind (proc->router, "tcp://127.0.0.1:*");
        assert (port > 0);
        proc->endpoint = zsys_sprintf ("tcp://127.0.0.1:%d", port);
    }
    proc->pong = true;
    return proc;
}

static void
s_proc_destroy (s_proc_t **proc_p)
{
    s_proc_t *proc = *proc_p;
    zsock_destroy (&proc->router);
    zframe_destroy (&proc->peer);
    free (proc->endpoint);
    free (proc);
    *proc_p = NULL;
}

//  The next message at proc, parsed into message (cmd PF_CMD_NONE if
//  malformed), letting worker run meanwhile. NULL after timeout_ms.
static zmsg_t *
s_recv (s_proc_t *proc, pf_worker_t *worker, int timeout_ms, pf_message_t *message)
{
    int64_t until = zclock_mono () + timeout_ms;
    while (true) {
        zmsg_t *msg = zmsg_recv (proc->router);
        if (msg) {
            zframe_destroy (&proc->peer);
            proc->peer = zmsg_pop (msg);
            const char *text;
            if (pf_proto_parse (msg, message, &text) != PF_REASON_OK)
                message->cmd = PF_CMD_NONE;
            if (message->cmd == PF_CMD_PING && proc->pong) {
                int rc = pf_proto_send (proc->router, proc->peer, PF_CMD_PONG, 0, NULL, NULL);
                assert (rc == 0);
            }
            return msg;
        }
        if (zclock_mono () >= until)
            return NULL;
        if (worker)
            pf_worker_run (worker, 5);
        else
            zclock_sleep (5);
    }
}

//  The next message other than PING and PONG, if it comes within timeout_ms.
static zmsg_t *
s_expect (s_proc_t *proc, pf_worker_t *worker, int timeout_ms, pf_message_t *message)
{
    int64_t until = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = until - zclock_mono ();
        zmsg_t *msg = s_recv (proc, worker, left > 0 ? (int) left : 0, message);
        if (!msg)
            return NULL;
        if (message->cmd != PF_CMD_PING && message->cmd != PF_CMD_PONG)
            return msg;
        zmsg_destroy (&msg);
    }
}

//  Expect a message of command cmd; returns it, or NULL (and says what came).
static zmsg_t *
s_expect_cmd (s_proc_t *proc, pf_worker_t *worker, pf_cmd_t cmd, int timeout_ms,
              pf_message_t *message)
{
    zmsg_t *msg = s_expect (proc, worker, timeout_ms, message);
    if (msg && message->cmd != cmd) {
        diag ("wanted %s, got %s", pf_cmd_name (cmd),
              message->cmd ? pf_cmd_name (message->cmd) : "a malformed message");
        zmsg_destroy (&msg);
    }
    else
    if (!msg)
        diag ("wanted %s, got nothing", pf_cmd_name (cmd));
    return msg;
}

static bool
s_arg_is (const pf_message_t *message, size_t index, const char *text)
{
    return index < message->argc && message->arg_size [index] == strlen (text)
        && memcmp (message->arg [index], text, message->arg_size [index]) == 0;
}

static void
s_send (s_proc_t *proc, pf_cmd_t cmd, size_t argc, const void **arg, const size_t *arg_size)
{
    int rc = pf_proto_send (proc->router, proc->peer, cmd, argc, arg, arg_size);
    assert (rc == 0);
}

static void
s_deliver (s_proc_t *proc, const char *id, const char *topic, const void *key,
           size_t key_size, const char *attempt, const char *payload)
{
    const void *arg [5] = { id, topic, key, attempt, payload };
    size_t arg_size [5] = { strlen (id), strlen (topic), key_size, strlen (attempt),
                            strlen (payload) };
    s_send (proc, PF_CMD_DELIVER, 5, arg, arg_size);
}

static void
s_put_record (pf_buf_t *buf, const char *id, const char *topic, const char *key,
              uint32_t attempt, const char *payload)
{
    pf_record_t record = {
        .id = (const byte *) id, .id_size = strlen (id),
        .topic = (const byte *) topic, .topic_size = strlen (topic),
        .key = (const byte *) key, .key_size = strlen (key),
        .attempt = attempt,
        .payload = (const byte *) payload, .payload_size = strlen (payload)
    };
    pf_proto_put_deliver_record (buf, &record);
}

static void
s_send_batch (s_proc_t *proc, pf_buf_t *buf)
{
    int rc = pf_proto_send_buf (proc->router, proc->peer, PF_CMD_DELIVERB, buf);
    assert (rc == 0);
}

//  The ids of a DONEB, joined by spaces, into text.
static void
s_doneb_ids (const pf_message_t *message, char *text, size_t size)
{
    pf_reader_t reader;
    pf_reader_init (&reader, message->arg [0], message->arg_size [0]);
    const byte *id;
    size_t id_size;
    text [0] = 0;
    while (!pf_reader_done (&reader) && pf_reader_short (&reader, &id, &id_size))
        snprintf (text + strlen (text), size - strlen (text), "%s%.*s", *text ? " " : "",
                  (int) id_size, (const char *) id);
    if (reader.failed)
        snprintf (text, size, "(malformed)");
}

//  ---- Workers ---------------------------------------------------------------------

static pf_worker_t *
s_worker_new (pf_worker_options_t *options, s_proc_t **procs, size_t count, s_seen_t *seen)
{
    static pf_worker_proc_t list [4];
    assert (count <= 4);
    for (size_t index = 0; index < count; index++)
        list [index] = (pf_worker_proc_t) {
            procs [index]->endpoint, zcert_public_txt (s_server_cert)
        };
    options->procs = list;
    options->proc_count = count;
    options->cert_path = s_cert_path;
    options->handler = s_handler;
    options->arg = seen;
    if (!options->heartbeat_ms)
        options->heartbeat_ms = 10000;     //  no PINGs unless a test wants them
    char *error = NULL;
    pf_worker_t *worker = pf_worker_new (options, &error);
    if (!worker)
        diag ("pf_worker_new: %s", error);
    free (error);
    seen->worker = worker;
    return worker;
}

//  A worker serving one fresh fake proc, past its first READY.
static pf_worker_t *
s_connected (pf_worker_options_t *options, s_proc_t **proc, s_seen_t *seen)
{
    *proc = s_proc_new (NULL);
    pf_worker_t *worker = s_worker_new (options, proc, 1, seen);
    pf_message_t message;
    zmsg_t *msg = s_expect_cmd (*proc, worker, PF_CMD_READY, 3000, &message);
    assert (msg);
    zmsg_destroy (&msg);
    return worker;
}

//  ---- Tests -----------------------------------------------------------------------

static bool
s_refused (pf_worker_options_t *options, char **error)
{
    *error = NULL;
    pf_worker_t *worker = pf_worker_new (options, error);
    pf_worker_destroy (&worker);
    return worker == NULL && *error != NULL;
}

static void
s_test_options (const char *dir)
{
    s_seen_t seen = { 0 };
    pf_worker_proc_t proc = { "tcp://127.0.0.1:1", zcert_public_txt (s_server_cert) };
    pf_worker_options_t good = {
        .procs = &proc, .proc_count = 1, .cert_path = s_cert_path,
        .handler = s_handler, .arg = &seen
    };
    pf_worker_options_t options;
    char *error = NULL;
    bool refused;

    options = good;
    options.handler = NULL;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "handler"),
        "a handler is required: %s", error);
    zstr_free (&error);

    options = good;
    options.proc_count = 0;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "proc"),
        "at least one proc is required: %s", error);
    zstr_free (&error);

    pf_worker_proc_t bad_key = { "tcp://127.0.0.1:1", "short" };
    options = good;
    options.procs = &bad_key;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "Z85"),
        "a proc key that is not 40 characters of Z85 is refused: %s", error);
    zstr_free (&error);

    pf_worker_proc_t bad_endpoint = { "nonsense", zcert_public_txt (s_server_cert) };
    options = good;
    options.procs = &bad_endpoint;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "nonsense"),
        "a bad endpoint is named: %s", error);
    zstr_free (&error);

    options = good;
    options.credit = 10001;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "credit"),
        "credit above 10000 is refused: %s", error);
    zstr_free (&error);

    options = good;
    options.batch_size = 10001;
    options.credit = 10000;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "batch_size"),
        "batch_size above 10000 is refused: %s", error);
    zstr_free (&error);

    options = good;
    options.batch_size = 200;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "credit=100"),
        "batch_size above the credit (default 100) is refused: %s", error);
    zstr_free (&error);

    options = good;
    options.topics = "orders.,bad topic";
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "topics"),
        "topics with a space are refused: %s", error);
    zstr_free (&error);

    options = good;
    options.heartbeat_ms = -1;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "heartbeat_ms"),
        "a negative heartbeat is refused: %s", error);
    zstr_free (&error);

    options = good;
    options.heartbeat_ms = 3600001;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "heartbeat_ms"),
        "a heartbeat above an hour is refused: %s", error);
    zstr_free (&error);

    char *missing = zsys_sprintf ("%s/nobody.cert_secret", dir);
    options = good;
    options.cert_path = missing;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "cannot read certificate"),
        "a missing certificate is named: %s", error);
    zstr_free (&error);
    zstr_free (&missing);

    zcert_t *public_only = zcert_new ();
    char *public_path = zsys_sprintf ("%s/public.cert", dir);
    zcert_save_public (public_only, public_path);
    options = good;
    options.cert_path = public_path;
    refused = s_refused (&options, &error);
    ok (refused && strstr (error, "secret"),
        "a certificate without a secret key is refused: %s", error);
    zstr_free (&error);
    remove (public_path);
    zstr_free (&public_path);
    zcert_destroy (&public_only);

    pf_worker_t *worker = pf_worker_new (&good, NULL);
    ok (worker != NULL, "a worker may start before its proc is up");
    is_int (pf_worker_run (worker, 50), 0, "and waits for it, handling nothing");
    pf_worker_destroy (&worker);
    pf_worker_destroy (&worker);
    ok (worker == NULL, "destroy sets the pointer to NULL and may be repeated");
}

static void
s_test_ready (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc = s_proc_new (NULL);
    pf_worker_options_t options = { .topics = "orders.,audit", .credit = 7 };
    pf_worker_t *worker = s_worker_new (&options, &proc, 1, &seen);
    pf_message_t message;
    zmsg_t *msg = s_expect_cmd (proc, worker, PF_CMD_READY, 3000, &message);
    ok (msg != NULL, "the worker sends READY once connected");
    ok (msg && message.argc == 2 && s_arg_is (&message, 0, "orders.,audit")
        && s_arg_is (&message, 1, "7"),
        "READY carries the prefixes and the credit, and no batch size for batch_size 1");
    zmsg_destroy (&msg);
    msg = s_expect (proc, worker, S_QUIET_MS, &message);
    ok (msg == NULL, "and only one READY");
    zmsg_destroy (&msg);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);

    proc = s_proc_new (NULL);
    options = (pf_worker_options_t) { .batch_size = 50 };
    worker = s_worker_new (&options, &proc, 1, &seen);
    msg = s_expect_cmd (proc, worker, PF_CMD_READY, 3000, &message);
    ok (msg && message.argc == 3 && s_arg_is (&message, 0, "")
        && s_arg_is (&message, 1, "100") && s_arg_is (&message, 2, "50"),
        "with batch_size 50: READY \"\" 100 50 (all topics, default credit)");
    zmsg_destroy (&msg);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_deliver (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { 0 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;

    static const byte key [] = { 'k', 0, 0xFF };
    s_deliver (proc, "id-1", "orders.new", key, sizeof key, "3", "hello");
    zmsg_t *msg = s_expect_cmd (proc, worker, PF_CMD_DONE, 3000, &message);
    ok (msg && s_arg_is (&message, 0, "id-1"), "DELIVER, handler returns 0: DONE id");
    zmsg_destroy (&msg);
    ok (seen.count == 1 && streq (seen.id [0], "id-1") && streq (seen.topic [0], "orders.new")
        && seen.attempt [0] == 3 && streq (seen.payload [0], "hello")
        && seen.payload_size [0] == 5 && seen.key_size [0] == 3
        && memcmp (seen.key [0], key, 3) == 0 && streq (seen.endpoint [0], proc->endpoint),
        "the handler gets id, topic, binary key, attempt, payload and the proc's endpoint");

    s_deliver (proc, "id-2", "orders.new", "", 0, "1", "fail-on-purpose");
    msg = s_expect_cmd (proc, worker, PF_CMD_FAIL, 3000, &message);
    ok (msg && s_arg_is (&message, 0, "id-2")
        && s_arg_is (&message, 1, "failed: fail-on-purpose"),
        "handler returns non-zero: FAIL id with the reason it wrote");
    zmsg_destroy (&msg);

    s_deliver (proc, "id-3", "orders.new", "", 0, "1", "fail-quietly");
    msg = s_expect_cmd (proc, worker, PF_CMD_FAIL, 3000, &message);
    ok (msg && s_arg_is (&message, 1, "handler failed"),
        "a handler that writes no reason fails with \"handler failed\"");
    zmsg_destroy (&msg);

    s_deliver (proc, "id-4", "orders.new", "", 0, "", "payload");
    msg = s_expect_cmd (proc, worker, PF_CMD_FAIL, 3000, &message);
    ok (msg && s_arg_is (&message, 0, "id-4") && message.arg_size [1] > 0
        && memcmp (message.arg [1], "malformed delivery", 18) == 0,
        "a DELIVER with a bad attempt is answered FAIL \"malformed delivery...\"");
    zmsg_destroy (&msg);
    is_int (seen.count, 3, "without calling the handler");

    s_deliver (proc, "bad id", "orders.new", "", 0, "1", "payload");
    s_deliver (proc, "id-5", "orders.new", "", 0, "1", "");
    msg = s_expect_cmd (proc, worker, PF_CMD_DONE, 3000, &message);
    ok (msg && s_arg_is (&message, 0, "id-5"),
        "a DELIVER with a bad id gets no answer (none can name it); the next one is served");
    zmsg_destroy (&msg);
    ok (seen.count == 4 && seen.payload_size [3] == 0, "an empty payload is delivered");

    const void *arg [1] = { "x" };
    size_t arg_size [1] = { 1 };
    s_send (proc, PF_CMD_DONE, 1, arg, arg_size);
    s_deliver (proc, "id-6", "t", "", 0, "1", "x");
    msg = s_expect_cmd (proc, worker, PF_CMD_DONE, 3000, &message);
    ok (msg && s_arg_is (&message, 0, "id-6"),
        "a command a proc does not send is ignored");
    zmsg_destroy (&msg);

    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_batch (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { .batch_size = 5, .credit = 10 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;

    pf_buf_t buf = { 0 };
    s_put_record (&buf, "b-1", "t.a", "k1", 1, "one");
    s_put_record (&buf, "b-2", "t.a", "k2", 2, "fail-two");
    s_put_record (&buf, "b-3", "t.b", "", 1, "three");
    s_put_record (&buf, "b-4", "t.b", "k1", 7, "fail-four");
    s_put_record (&buf, "b-5", "t.c", "k5", 1, "five");
    s_send_batch (proc, &buf);

    char fails [256] = "", dones [256] = "";
    size_t donebs = 0;
    while (true) {
        zmsg_t *msg = s_expect (proc, worker, 3000, &message);
        if (!msg)
            break;
        if (message.cmd == PF_CMD_FAIL)
            snprintf (fails + strlen (fails), sizeof fails - strlen (fails), "%s%.*s:%.*s",
                      *fails ? " " : "", (int) message.arg_size [0],
                      (const char *) message.arg [0], (int) message.arg_size [1],
                      (const char *) message.arg [1]);
        else
        if (message.cmd == PF_CMD_DONEB) {
            s_doneb_ids (&message, dones, sizeof dones);
            donebs++;
        }
        zmsg_destroy (&msg);
        if (donebs)
            break;
    }
    ok (streq (fails, "b-2:failed: fail-two b-4:failed: fail-four"),
        "DELIVERB: each failed record is answered FAIL with its reason (%s)", fails);
    ok (donebs == 1 && streq (dones, "b-1 b-3 b-5"),
        "and the DONEs are collected into one DONEB (%s)", dones);
    ok (seen.count == 5 && streq (seen.id [0], "b-1") && streq (seen.id [4], "b-5")
        && seen.attempt [3] == 7 && streq (seen.topic [2], "t.b")
        && streq (seen.payload [0], "one") && seen.key_size [2] == 0,
        "the handler gets every record in order, with its attempt and fields");

    //  A truncated batch cannot be answered record by record: it is ignored
    s_put_record (&buf, "c-1", "t", "", 1, "x");
    buf.size -= 1;
    s_send_batch (proc, &buf);
    s_put_record (&buf, "c-2", "t", "", 1, "x");
    s_send_batch (proc, &buf);
    zmsg_t *msg = s_expect_cmd (proc, worker, PF_CMD_DONEB, 3000, &message);
    s_doneb_ids (&message, dones, sizeof dones);
    ok (msg && streq (dones, "c-2"),
        "a truncated DELIVERB is ignored; the next batch is served (%s)", dones);
    zmsg_destroy (&msg);
    is_int (seen.count, 6, "the handler saw nothing of the truncated batch");

    s_deliver (proc, "single", "t", "", 0, "1", "x");
    msg = s_expect_cmd (proc, worker, PF_CMD_DONE, 3000, &message);
    ok (msg != NULL, "a batch worker still answers a single DELIVER with DONE");
    zmsg_destroy (&msg);

    pf_buf_free (&buf);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_ping (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { 0 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;

    s_send (proc, PF_CMD_PING, 0, NULL, NULL);
    zmsg_t *msg = s_recv (proc, worker, 3000, &message);
    ok (msg && message.cmd == PF_CMD_PONG, "a PING from the proc is answered PONG");
    zmsg_destroy (&msg);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);

    options = (pf_worker_options_t) { .heartbeat_ms = 100 };
    worker = s_connected (&options, &proc, &seen);
    int64_t start = zclock_mono ();
    int64_t times [3];
    size_t pings = 0;
    while (pings < 3 && (msg = s_recv (proc, worker, 1000, &message))) {
        if (message.cmd == PF_CMD_PING)
            times [pings++] = zclock_mono ();
        zmsg_destroy (&msg);
    }
    ok (pings == 3, "an idle worker sends PING");
    ok (pings == 3 && times [0] - start >= 80 && times [0] - start <= 300
        && times [1] - times [0] >= 80 && times [2] - times [1] >= 80
        && times [2] - times [1] <= 300,
        "every heartbeat_ms (100): after %d, %d, %d ms", (int) (times [0] - start),
        (int) (times [1] - times [0]), (int) (times [2] - times [1]));
    msg = s_expect (proc, worker, 500, &message);
    ok (msg == NULL, "and nothing else while the proc answers PONG");
    zmsg_destroy (&msg);

    //  A busy worker's answers are its signs of life. Start just after a
    //  PING, so that the next is not due before the first DONE
    while ((msg = s_recv (proc, worker, 1000, &message)) && message.cmd != PF_CMD_PING)
        zmsg_destroy (&msg);
    zmsg_destroy (&msg);
    start = zclock_mono ();
    pings = 0;
    size_t dones = 0;
    int count = 0;
    while (zclock_mono () - start < 400) {
        char id [16];
        snprintf (id, sizeof id, "busy-%d", count++);
        s_deliver (proc, id, "t", "", 0, "1", "x");
        while ((msg = s_recv (proc, worker, 40, &message))) {
            pings += message.cmd == PF_CMD_PING;
            dones += message.cmd == PF_CMD_DONE;
            zmsg_destroy (&msg);
            if (dones == (size_t) count)
                break;
        }
    }
    ok (pings == 0 && dones == (size_t) count,
        "a worker answering deliveries sends no PING (%zu DONEs, %zu PINGs)", dones, pings);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_disconnect (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { .topics = "a.", .credit = 3 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;

    //  Both arrive before the worker looks: the delivery is forgotten
    s_deliver (proc, "held", "a.b", "", 0, "1", "x");
    s_send (proc, PF_CMD_DISCONNECT, 0, NULL, NULL);
    zclock_sleep (100);
    zmsg_t *msg = s_expect (proc, worker, 3000, &message);
    ok (msg && message.cmd == PF_CMD_READY && s_arg_is (&message, 0, "a.")
        && s_arg_is (&message, 1, "3"),
        "DISCONNECT: the worker sends READY again, with the same prefixes and credit");
    zmsg_destroy (&msg);
    msg = s_expect (proc, worker, S_QUIET_MS, &message);
    ok (msg == NULL && seen.count == 0,
        "and forgets what it held from that proc: no handler call, no answer");
    zmsg_destroy (&msg);

    //  A proc that keeps refusing gets READY at most once per heartbeat
    //  (here 1 s), not in a busy loop
    int64_t start = zclock_mono ();
    size_t readies = 0;
    while (zclock_mono () - start < 1500) {
        s_send (proc, PF_CMD_DISCONNECT, 0, NULL, NULL);
        msg = s_expect (proc, worker, 100, &message);
        if (msg && message.cmd == PF_CMD_READY)
            readies++;
        zmsg_destroy (&msg);
    }
    ok (readies >= 1 && readies <= 2,
        "DISCONNECT after DISCONNECT: %zu READYs in 1.5 s", readies);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_silence (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { .heartbeat_ms = 100 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;
    proc->pong = false;
    int64_t start = zclock_mono ();
    zmsg_t *msg = s_expect (proc, worker, 2000, &message);
    int64_t after = zclock_mono () - start;
    ok (msg && message.cmd == PF_CMD_READY && after >= 250 && after <= 800,
        "a proc that answers no PING gets READY again after 3 heartbeats (%d ms)",
        (int) after);
    zmsg_destroy (&msg);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_restart (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { .credit = 5 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;
    char *endpoint = strdup (proc->endpoint);

    //  A delivery waiting at the worker when the proc restarts is not
    //  handled: the proc delivers it again. (libzmq reconnects by itself;
    //  the worker sees it all at its next turn.)
    s_deliver (proc, "lost", "t", "", 0, "1", "x");
    zclock_sleep (50);
    s_proc_destroy (&proc);
    proc = s_proc_new (endpoint);
    zclock_sleep (500);
    zmsg_t *msg = s_expect (proc, worker, 5000, &message);
    ok (msg && message.cmd == PF_CMD_READY && s_arg_is (&message, 1, "5"),
        "a restarted proc gets READY on the new connection");
    zmsg_destroy (&msg);
    s_deliver (proc, "after", "t", "", 0, "1", "x");
    msg = s_expect_cmd (proc, worker, PF_CMD_DONE, 3000, &message);
    ok (msg && s_arg_is (&message, 0, "after"), "and is served");
    zmsg_destroy (&msg);
    ok (seen.count == 1 && streq (seen.id [0], "after"),
        "what came over the old connection was not handled");
    free (endpoint);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

//  The fake proc keeps up to credit messages in flight, like a real one, and
//  checks that each answer is for a message in flight, and comes once.
static void
s_test_credit (size_t credit, size_t batch_size)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { .credit = credit, .batch_size = batch_size };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;
    enum { TOTAL = 40 };
    bool inflight [TOTAL] = { false };
    bool answered [TOTAL] = { false };
    size_t sent = 0, outstanding = 0, most = 0, answers = 0, wrong = 0;
    pf_buf_t buf = { 0 };
    int64_t until = zclock_mono () + 10000;
    while (answers < TOTAL && zclock_mono () < until) {
        while (sent < TOTAL && outstanding < credit) {
            size_t room = credit - outstanding;
            size_t records = batch_size < room ? batch_size : room;
            if (records > TOTAL - sent)
                records = TOTAL - sent;
            for (size_t index = 0; index < records; index++) {
                char id [16], payload [16];
                snprintf (id, sizeof id, "m-%zu", sent);
                snprintf (payload, sizeof payload, "%s", sent % 3 ? "ok" : "fail");
                if (batch_size > 1)
                    s_put_record (&buf, id, "t", "", 1, payload);
                else
                    s_deliver (proc, id, "t", "", 0, "1", payload);
                inflight [sent++] = true;
                outstanding++;
            }
            if (batch_size > 1)
                s_send_batch (proc, &buf);
        }
        if (outstanding > most)
            most = outstanding;
        zmsg_t *msg = s_expect (proc, worker, 1000, &message);
        if (!msg)
            continue;
        //  One id, or a DONEB's ids
        pf_reader_t reader;
        const byte *id = message.arg [0];
        size_t id_size = message.arg_size [0];
        bool many = message.cmd == PF_CMD_DONEB;
        if (many)
            pf_reader_init (&reader, message.arg [0], message.arg_size [0]);
        if (message.cmd == PF_CMD_DONE || message.cmd == PF_CMD_FAIL || many)
            while (!many || (!pf_reader_done (&reader)
                          && pf_reader_short (&reader, &id, &id_size))) {
                char text [32];
                snprintf (text, sizeof text, "%.*s", (int) id_size, (const char *) id);
                size_t index = (size_t) atoi (text + 2);
                if (strncmp (text, "m-", 2) || index >= TOTAL || !inflight [index]
                ||  answered [index])
                    wrong++;
                else {
                    answered [index] = true;
                    inflight [index] = false;
                    outstanding--;
                    answers++;
                }
                if (!many)
                    break;
            }
        else
            wrong++;
        zmsg_destroy (&msg);
    }
    ok (answers == TOTAL && wrong == 0 && seen.count == TOTAL,
        "credit %zu, batch %zu: %d deliveries, each answered once, for a message in flight "
        "(%zu answers, %zu wrong, %zu handled)", credit, batch_size, TOTAL, answers, wrong,
        seen.count);
    ok (most <= credit && most >= batch_size,
        "never more than the credit unanswered (most %zu)", most);
    pf_buf_free (&buf);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_slow_handler (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { .heartbeat_ms = 100 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;

    for (int beat = 1; beat >= 0; beat--) {
        //  Just after a PING, so that the next one is not due before the
        //  handler starts
        zmsg_t *msg;
        while ((msg = s_recv (proc, worker, 1000, &message)) && message.cmd != PF_CMD_PING)
            zmsg_destroy (&msg);
        zmsg_destroy (&msg);
        seen.sleep_ms = 420;
        seen.beat = beat;
        s_deliver (proc, beat ? "slow-beat" : "slow", "t", "", 0, "1", "x");
        size_t pings = 0;
        while ((msg = s_recv (proc, worker, 3000, &message)) && message.cmd == PF_CMD_PING) {
            pings++;
            zmsg_destroy (&msg);
        }
        bool done = msg && message.cmd == PF_CMD_DONE;
        zmsg_destroy (&msg);
        if (beat)
            ok (done && pings >= 3,
                "a slow handler calling pf_worker_heartbeat keeps PINGs going (%zu)", pings);
        else
            ok (done && pings == 0,
                "without it the proc hears nothing until the DONE (%zu PINGs)", pings);
        seen.sleep_ms = 0;
        msg = s_expect (proc, worker, 400, &message);
        ok (msg == NULL, "and no READY again: the proc answers PINGs afterwards");
        zmsg_destroy (&msg);
    }
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_stop_and_interrupt (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *proc;
    pf_worker_options_t options = { .batch_size = 4, .credit = 8 };
    pf_worker_t *worker = s_connected (&options, &proc, &seen);
    pf_message_t message;
    char dones [256];

    pf_buf_t buf = { 0 };
    s_put_record (&buf, "s-1", "t", "", 1, "x");
    s_put_record (&buf, "s-2", "t", "", 1, "x");
    s_put_record (&buf, "s-3", "t", "", 1, "x");
    s_put_record (&buf, "s-4", "t", "", 1, "x");
    s_send_batch (proc, &buf);
    zclock_sleep (50);
    seen.stop_at = 2;
    int rc = pf_worker_run (worker, 3000);
    is_int (rc, 2, "pf_worker_stop in the handler: run returns after that delivery");
    zmsg_t *msg = s_expect_cmd (proc, NULL, PF_CMD_DONEB, 1000, &message);
    s_doneb_ids (&message, dones, sizeof dones);
    ok (msg && streq (dones, "s-1 s-2"), "with the DONEs so far sent (%s)", dones);
    zmsg_destroy (&msg);
    seen.stop_at = 0;
    msg = s_expect_cmd (proc, worker, PF_CMD_DONEB, 3000, &message);
    s_doneb_ids (&message, dones, sizeof dones);
    ok (msg && streq (dones, "s-3 s-4") && seen.count == 4,
        "the next run handles the rest of the batch (%s)", dones);
    zmsg_destroy (&msg);

    pf_worker_stop (worker);
    int64_t start = zclock_mono ();
    rc = pf_worker_run (worker, 3000);
    ok (rc == 0 && zclock_mono () - start < 100, "pf_worker_stop before run: it returns at once");

    s_deliver (proc, "i-1", "t", "", 0, "1", "x");
    zclock_sleep (50);
    zsys_interrupted = 1;
    errno = 0;
    rc = pf_worker_run (worker, 1000);
    ok (rc == -1 && errno == EINTR && seen.count == 4,
        "once interrupted, run returns -1 EINTR without calling the handler");
    zsys_interrupted = 0;
    msg = s_expect_cmd (proc, worker, PF_CMD_DONE, 3000, &message);
    ok (msg && s_arg_is (&message, 0, "i-1"), "after the interrupt is cleared it serves again");
    zmsg_destroy (&msg);

    seen.interrupt = true;
    s_deliver (proc, "i-2", "t", "", 0, "1", "fail-interrupted");
    s_deliver (proc, "i-3", "t", "", 0, "1", "x");
    zclock_sleep (50);
    rc = pf_worker_run (worker, 1000);
    int saved = errno;
    zsys_interrupted = 0;
    seen.interrupt = false;
    msg = s_expect (proc, NULL, S_QUIET_MS, &message);
    ok (rc == -1 && saved == EINTR && msg == NULL && seen.count == 6,
        "a FAIL from the handler the interrupt came during is not sent, nor anything more");
    zmsg_destroy (&msg);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);

    worker = s_connected (&options, &proc, &seen);
    seen.interrupt = true;
    s_deliver (proc, "i-4", "t", "", 0, "1", "x");
    zclock_sleep (50);
    rc = pf_worker_run (worker, 1000);
    zsys_interrupted = 0;
    seen.interrupt = false;
    msg = s_expect_cmd (proc, NULL, PF_CMD_DONE, 1000, &message);
    ok (rc == -1 && msg && s_arg_is (&message, 0, "i-4"),
        "a DONE from the handler the interrupt came during is sent");
    zmsg_destroy (&msg);

    seen.call_run = true;
    s_deliver (proc, "r-1", "t", "", 0, "1", "x");
    msg = s_expect_cmd (proc, worker, PF_CMD_DONE, 3000, &message);
    ok (msg && seen.run_rc == -1 && seen.run_errno == EBUSY,
        "pf_worker_run from the handler fails with EBUSY");
    zmsg_destroy (&msg);
    seen.call_run = false;

    pf_buf_free (&buf);
    pf_worker_destroy (&worker);
    s_proc_destroy (&proc);
}

static void
s_test_two_procs (void)
{
    s_seen_t seen = { 0 };
    s_proc_t *procs [2] = { s_proc_new (NULL), s_proc_new (NULL) };
    pf_worker_options_t options = { 0 };
    pf_worker_t *worker = s_worker_new (&options, procs, 2, &seen);
    pf_message_t message;
    zmsg_t *one = s_expect_cmd (procs [0], worker, PF_CMD_READY, 3000, &message);
    zmsg_t *two = s_expect_cmd (procs [1], worker, PF_CMD_READY, 3000, &message);
    ok (one && two, "a worker sends READY to every proc");
    zmsg_destroy (&one);
    zmsg_destroy (&two);
    s_deliver (procs [0], "from-1", "t", "", 0, "1", "x");
    s_deliver (procs [1], "from-2", "t", "", 0, "1", "fail");
    one = s_expect_cmd (procs [0], worker, PF_CMD_DONE, 3000, &message);
    bool right_one = one && s_arg_is (&message, 0, "from-1");
    two = s_expect_cmd (procs [1], worker, PF_CMD_FAIL, 3000, &message);
    bool right_two = two && s_arg_is (&message, 0, "from-2");
    ok (right_one && right_two, "and answers each delivery to the proc it came from");
    zmsg_destroy (&one);
    zmsg_destroy (&two);
    pf_worker_destroy (&worker);
    s_proc_destroy (&procs [0]);
    s_proc_destroy (&procs [1]);
}

int
main (void)
{
    zsys_init ();
    pf_log_set_level (PF_LOG_ERROR);    //  the bad-input tests log warnings
    char dir [] = "/tmp/test_worker.XXXXXX";
    assert (mkdtemp (dir));
    s_server_cert = zcert_new ();
    zcert_t *worker_cert = zcert_new ();
    char *worker_path = zsys_sprintf ("%s/worker.cert", dir);
    zcert_save (worker_cert, worker_path);      //  worker.cert and worker.cert_secret
    s_cert_path = zsys_sprintf ("%s_secret", worker_path);

    s_test_options (dir);
    s_test_ready ();
    s_test_deliver ();
    s_test_batch ();
    s_test_ping ();
    s_test_disconnect ();
    s_test_silence ();
    s_test_restart ();
    s_test_credit (3, 1);
    s_test_credit (6, 3);
    s_test_slow_handler ();
    s_test_stop_and_interrupt ();
    s_test_two_procs ();

    remove (s_cert_path);
    remove (worker_path);
    rmdir (dir);
    zstr_free (&s_cert_path);
    zstr_free (&worker_path);
    zcert_destroy (&worker_cert);
    zcert_destroy (&s_server_cert);
    return done_testing ();
}
