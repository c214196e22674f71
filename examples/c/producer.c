//  producer.c - push COUNT messages to an edge with the pushfabric C API.
//
//      producer ENDPOINT SERVER_PUBLIC_Z85 CERT_SECRET_PATH TOPIC COUNT
//
//  Each message gets a fresh UUIDv4 id. Prints one line per final verdict
//  (ACK id, DUP id, NACK id REASON text, FAIL id DEADLINE) and a summary;
//  exits 0 if every message was accepted (ACK or DUP).
//
//  Against a fabric made by `pushfabric init demo` and started with
//  `pushfabric up -c demo/fabric.cfg`:
//
//      key=$(sed -n 's/.*public-key = "\(.*\)"/\1/p' demo/keys/nodes/e1.cert)
//      cert=demo/keys/secret/client.cert_secret
//      producer tcp://127.0.0.1:7600 "$key" "$cert" demo.events 1000
//
//  Build: cc producer.c $(pkg-config --cflags --libs libpushfabric)

#include <pushfabric.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t accepted;            //  ACK or DUP
    size_t refused;             //  NACK
    size_t failed;              //  no final answer before the deadline
} totals_t;

//  Called once per message with its final verdict.
static void
on_verdict (const pf_producer_verdict_t *verdict, void *arg)
{
    totals_t *totals = (totals_t *) arg;
    switch (verdict->status) {
        case 'A':
            printf ("ACK %s\n", verdict->id);
            totals->accepted++;
            break;
        case 'D':
            printf ("DUP %s\n", verdict->id);
            totals->accepted++;
            break;
        case 'N':
            printf ("NACK %s %s %s\n", verdict->id, verdict->reason, verdict->text);
            totals->refused++;
            break;
        default:
            printf ("FAIL %s %s after %u sends\n", verdict->id, verdict->reason,
                    verdict->sends);
            totals->failed++;
    }
}

int
main (int argc, char *argv [])
{
    char *end = NULL;
    long count = argc == 6 ? strtol (argv [5], &end, 10) : -1;
    if (argc != 6 || *end || count < 0) {
        fprintf (stderr, "usage: producer ENDPOINT SERVER_PUBLIC_Z85 CERT_SECRET_PATH "
                         "TOPIC COUNT\n");
        return 2;
    }
    const char *topic = argv [4];

    totals_t totals = { 0 };
    pf_producer_options_t options = {
        .endpoint = argv [1],
        .server_public = argv [2],
        .cert_path = argv [3],
        .on_verdict = on_verdict,
        .arg = &totals
    };
    char *error = NULL;
    pf_producer_t *producer = pf_producer_new (&options, &error);
    if (!producer) {
        fprintf (stderr, "producer: %s\n", error);
        free (error);
        return 1;
    }

    long pushed = 0;
    for (; pushed < count; pushed++) {
        char id [37];
        char payload [64];
        pf_producer_uuid (id);
        int size = snprintf (payload, sizeof payload, "message %ld of %ld", pushed + 1, count);
        //  Copies the message; blocks (serving verdicts) only while the window is full
        if (pf_producer_push (producer, id, topic, NULL, 0, payload, (size_t) size, NULL)) {
            fprintf (stderr, "producer: cannot push: %s\n",
                     errno == EINVAL ? "topic outside the PF1 limits" : strerror (errno));
            break;
        }
    }
    //  Wait for the last verdicts; the deadline (60 s by default) bounds this
    if (pf_producer_flush (producer, -1))
        fprintf (stderr, "producer: interrupted with %zu messages unanswered\n",
                 pf_producer_pending (producer));
    pf_producer_destroy (&producer);

    printf ("%ld pushed: %zu accepted, %zu refused, %zu failed\n", pushed, totals.accepted,
            totals.refused, totals.failed);
    return totals.accepted == (size_t) count ? 0 : 1;
}
