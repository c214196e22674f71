//  cmd_demo - the sample producer and worker of `pushfabric up --demo`.

#include "cmd.h"
#include "cmd_demo.h"
#include "cmd_fabric.h"

//  Orders whose number ends in 3 fail their first two attempts; every
//  25th order always fails and ends as a dead letter
#define S_FAIL_TWICE(n)     ((n) % 10 == 3)
#define S_ALWAYS_FAILS(n)   ((n) % 25 == 0)

struct _cmd_demo_t {
    pf_producer_t *producer;
    pf_worker_t *worker;
    pf_worker_proc_t *procs;    //  every proc's workers endpoint and key
    size_t proc_count;
    uint32_t max_attempts;      //  of the retry node: a FAIL then is final
    size_t sent, accepted, refused, done, failed, dead;
    zhashx_t *retrying;         //  ids failed and not yet done or dead
    int64_t reported_at;
};

static void
s_on_verdict (const pf_producer_verdict_t *verdict, void *arg)
{
    cmd_demo_t *self = (cmd_demo_t *) arg;
    if (verdict->status == 'A' || verdict->status == 'D')
        self->accepted++;
    else
        self->refused++;
}

static int
s_on_delivery (const pf_delivery_t *delivery, void *arg, char *reason, size_t reason_size)
{
    cmd_demo_t *self = (cmd_demo_t *) arg;
    size_t order = 0;
    sscanf ((const char *) delivery->payload, "{\"order\":%zu", &order);
    bool fail = S_ALWAYS_FAILS (order) || (S_FAIL_TWICE (order) && delivery->attempt <= 2);
    if (!fail) {
        if (delivery->attempt > 1)
            printf ("  order %zu done at attempt %u\n", order, delivery->attempt);
        zhashx_delete (self->retrying, delivery->id);
        self->done++;
        return 0;
    }
    self->failed++;
    if (delivery->attempt >= self->max_attempts) {
        printf ("  order %zu failed attempt %u of %u: now a dead letter "
                "(pushfabric dlq list)\n", order, delivery->attempt, self->max_attempts);
        zhashx_delete (self->retrying, delivery->id);
        self->dead++;
    }
    else {
        printf ("  order %zu failed attempt %u, retrying with backoff\n", order,
                delivery->attempt);
        zhashx_update (self->retrying, delivery->id, (void *) 1);
    }
    fflush (stdout);
    snprintf (reason, reason_size, "demo worker refuses order %zu", order);
    return 1;
}

static int
s_connect (cmd_demo_t *self, pf_config_t *config)
{
    cmd_fabric_edge_t edge;
    cmd_fabric_edge (config, NULL, &edge);
    char *client = pf_keys_path (config, "secret/client.cert_secret");
    char *worker_cert = pf_keys_path (config, "secret/worker.cert_secret");
    pf_producer_options_t producer = {
        .endpoint = edge.endpoint, .server_public = edge.server_public,
        .cert_path = client, .window = 100, .on_verdict = s_on_verdict, .arg = self
    };
    char *error = NULL;
    self->producer = pf_producer_new (&producer, &error);
    int heartbeat_ms;
    self->procs = cmd_fabric_procs (config, &self->proc_count, &heartbeat_ms);
    if (self->producer) {
        pf_worker_options_t worker = {
            .procs = self->procs, .proc_count = self->proc_count, .cert_path = worker_cert,
            .topics = "demo.", .credit = 10, .heartbeat_ms = heartbeat_ms,
            .handler = s_on_delivery, .arg = self
        };
        self->worker = pf_worker_new (&worker, &error);
    }
    if (error)
        pf_error ("demo: %s", error);
    free (error);
    free (client);
    free (worker_cert);
    cmd_fabric_edge_free (&edge);
    return self->producer && self->worker ? 0 : -1;
}

cmd_demo_t *
cmd_demo_new (pf_config_t *config)
{
    cmd_demo_t *self = (cmd_demo_t *) zmalloc (sizeof (cmd_demo_t));
    self->retrying = zhashx_new ();
    zlistx_t *retries = pf_config_nodes (config, "retry");
    const char *retry = (const char *) zlistx_first (retries);
    char key [256];
    snprintf (key, sizeof key, "retry/%s/max-attempts", retry ? retry : "");
    self->max_attempts = retry ? (uint32_t) pf_config_int (config, key) : UINT32_MAX;
    if (s_connect (self, config)) {
        cmd_demo_destroy (&self);
        return NULL;
    }
    printf ("demo: pushing orders to topic demo.orders; orders ending in 3 fail twice, "
            "every 25th always fails\n");
    return self;
}

void
cmd_demo_turn (cmd_demo_t *self, int timeout_ms)
{
    for (int count = 0; count < 2; count++) {
        char id [37], user [32], payload [96];
        pf_producer_uuid (id);
        snprintf (user, sizeof user, "user-%zu", self->sent % 7);
        snprintf (payload, sizeof payload, "{\"order\":%zu,\"user\":\"%s\"}", self->sent, user);
        if (pf_producer_push (self->producer, id, "demo.orders", user, strlen (user), payload,
                              strlen (payload), NULL) == 0)
            self->sent++;
    }
    int64_t until = zclock_mono () + timeout_ms;
    while (zclock_mono () < until && !zsys_interrupted) {
        pf_producer_poll (self->producer, 0);
        pf_worker_run (self->worker, 20);
    }
}

void
cmd_demo_report (cmd_demo_t *self, bool force)
{
    int64_t now = zclock_mono ();
    if (!force && now - self->reported_at < 1000)
        return;
    self->reported_at = now;
    printf ("demo: sent=%zu accepted=%zu done=%zu retrying=%zu dead=%zu refused=%zu\n",
            self->sent, self->accepted, self->done, zhashx_size (self->retrying), self->dead,
            self->refused);
    fflush (stdout);
}

void
cmd_demo_destroy (cmd_demo_t **self_p)
{
    cmd_demo_t *self = *self_p;
    if (!self)
        return;
    if (self->producer)
        pf_producer_flush (self->producer, 3000);
    pf_producer_destroy (&self->producer);
    pf_worker_destroy (&self->worker);
    cmd_fabric_procs_free (&self->procs, self->proc_count);
    zhashx_destroy (&self->retrying);
    free (self);
    *self_p = NULL;
}

//  text with every from replaced by to (caller frees; text is freed).
static char *
s_replace_all (char *text, const char *from, const char *to)
{
    char *at;
    size_t offset = 0;
    while ((at = strstr (text + offset, from))) {
        size_t prefix = (size_t) (at - text);
        char *next = zsys_sprintf ("%.*s%s%s", (int) prefix, text, to, at + strlen (from));
        free (text);
        text = next;
        offset = prefix + strlen (to);
    }
    return text;
}

int
cmd_demo_tune (const char *config_path)
{
    //  Plain text edits of the file init wrote: its values are known
    FILE *in = fopen (config_path, "r");
    if (!in)
        return -1;
    char *text = NULL;
    size_t size = 0;
    FILE *buffer = open_memstream (&text, &size);
    char chunk [4096];
    size_t got;
    while ((got = fread (chunk, 1, sizeof chunk, in)) > 0)
        fwrite (chunk, 1, got, buffer);
    fclose (in);
    fclose (buffer);
    text = s_replace_all (text, "base-delay = 1000", "base-delay = 250");
    text = s_replace_all (text, "max-attempts = 8", "max-attempts = 4");
    text = s_replace_all (text, "heartbeat-timeout = 10000", "heartbeat-timeout = 3000");
    FILE *out = fopen (config_path, "w");
    int rc = out && fputs (text, out) >= 0 ? 0 : -1;
    if (out && fclose (out) != 0)
        rc = -1;
    free (text);
    return rc;
}
