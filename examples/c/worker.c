//  worker.c - handle deliveries from the procs of a fabric with the
//  pushfabric C API.
//
//      worker CERT_SECRET_PATH ENDPOINT SERVER_PUBLIC_Z85 [ENDPOINT SERVER_PUBLIC_Z85]...
//             [--topics P1,P2] [--fail-every N] [--count N] [--batch N]
//
//  Serves every proc given (its `workers` endpoint and public key), prints
//  one line per delivery, "DONE id attempt" or "FAIL id attempt", and fails
//  every Nth delivery with --fail-every, to show retries. Stops after
//  --count deliveries, or on Ctrl-C.
//
//  Against a fabric made by `pushfabric init demo` and started with
//  `pushfabric up -c demo/fabric.cfg`:
//
//      key () { sed -n 's/.*public-key = "\(.*\)"/\1/p' demo/keys/nodes/$1.cert; }
//      cert=demo/keys/secret/worker.cert_secret
//      worker $cert tcp://127.0.0.1:7611 "$(key p1)" tcp://127.0.0.1:7621 "$(key p2)"
//
//  (the endpoints are the `workers` keys of the procs in fabric.cfg).
//
//  Build: cc worker.c $(pkg-config --cflags --libs libpushfabric)

#include <pushfabric.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROCS 64

typedef struct {
    long fail_every;            //  fail every Nth delivery; 0 never
    long count;                 //  stop after this many; 0 never
    long handled;               //  deliveries so far
    pf_worker_t *worker;        //  to stop it from the handler
} state_t;

//  Called once per delivery. Returns 0 for DONE, else FAIL with a reason.
static int
handler (const pf_delivery_t *delivery, void *arg, char *reason, size_t reason_size)
{
    state_t *state = (state_t *) arg;
    state->handled++;
    //  The payload is bytes, not a C string: print it with its size
    bool fail = state->fail_every > 0 && state->handled % state->fail_every == 0;
    printf ("%s %s %u\n", fail ? "FAIL" : "DONE", delivery->id, delivery->attempt);
    fprintf (stderr, "worker: %s topic=%s payload=%.*s\n", delivery->id, delivery->topic,
             (int) (delivery->payload_size > 60 ? 60 : delivery->payload_size),
             (const char *) delivery->payload);
    fflush (stdout);
    if (state->count > 0 && state->handled >= state->count)
        pf_worker_stop (state->worker);
    if (fail) {
        snprintf (reason, reason_size, "example failure %ld", state->handled);
        return 1;
    }
    return 0;
}

static long
number (const char *text)
{
    char *end = NULL;
    long value = strtol (text, &end, 10);
    return *text && !*end && value >= 0 ? value : -1;
}

int
main (int argc, char *argv [])
{
    pf_worker_proc_t procs [MAX_PROCS];
    size_t proc_count = 0;
    state_t state = { 0 };
    pf_worker_options_t options = { .handler = handler, .arg = &state };
    for (int index = 1; index < argc; index++) {
        const char *option = argv [index];
        const char *value = index + 1 < argc ? argv [index + 1] : NULL;
        if (strncmp (option, "--", 2) == 0) {
            if (!value)
                goto usage;
            index++;
            if (strcmp (option, "--topics") == 0)
                options.topics = value;
            else
            if (number (value) < 0)
                goto usage;
            else
            if (strcmp (option, "--fail-every") == 0)
                state.fail_every = number (value);
            else
            if (strcmp (option, "--count") == 0)
                state.count = number (value);
            else
            if (strcmp (option, "--batch") == 0)
                options.batch_size = (size_t) number (value);
            else
                goto usage;
        }
        else
        if (!options.cert_path)
            options.cert_path = option;
        else
        if (value && proc_count < MAX_PROCS) {
            procs [proc_count++] = (pf_worker_proc_t) { option, value };
            index++;
        }
        else
            goto usage;
    }
    if (proc_count == 0)
        goto usage;
    options.procs = procs;
    options.proc_count = proc_count;
    //  Enough credit for a batch, and some in hand while we work
    options.credit = options.batch_size > 10 ? options.batch_size : 10;

    char *error = NULL;
    state.worker = pf_worker_new (&options, &error);
    if (!state.worker) {
        fprintf (stderr, "worker: %s\n", error);
        free (error);
        return 1;
    }
    //  Serve until --count is reached (the handler stops us) or Ctrl-C
    int rc = pf_worker_run (state.worker, -1);
    pf_worker_destroy (&state.worker);
    fprintf (stderr, "worker: %ld deliveries handled%s\n", state.handled,
             rc == -1 && errno == EINTR ? ", interrupted" : "");
    return 0;

usage:
    fprintf (stderr, "usage: worker CERT_SECRET_PATH ENDPOINT SERVER_PUBLIC_Z85 "
                     "[ENDPOINT SERVER_PUBLIC_Z85]... [--topics P1,P2] [--fail-every N] "
                     "[--count N] [--batch N]\n");
    return 2;
}
