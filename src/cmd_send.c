//  cmd_send - `pushfabric send`: push messages through the public producer
//  API, one output line per final verdict.

#include "cmd.h"
#include "cmd_fabric.h"

static const char *s_usage =
    "usage: pushfabric send [--edge NAME] --topic T [--key K] [--id ID] [PAYLOAD... | -]\n"
    "\n"
    "Pushes each PAYLOAD argument (or, with -, each line of standard input) as one\n"
    "message to an edge of the fabric, each with a fresh UUIDv4 id unless --id is\n"
    "given, and prints one line per message: ACK id, DUP id or NACK id REASON text.\n"
    "Messages answered BUSY are resent with the same id. Exits 1 if any message was\n"
    "refused or got no verdict within the timeout.\n"
    "\n"
    "options:\n"
    "  --edge NAME         edge to connect to (default: the first in the config)\n"
    "  --topic T           topic of the messages (required)\n"
    "  --key K             ordering and partitioning key (default: empty)\n"
    "  --id ID             message id (only with a single payload)\n"
    "  --cert FILE         client key pair (default: KEYS/secret/client.cert_secret)\n"
    "  --timeout MS        give up on a message after MS milliseconds (default 30000)\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log more\n"
    "  -h, --help          print this help\n";

typedef struct {
    size_t refused;             //  NACK or no verdict
} s_send_t;

static void
s_on_verdict (const pf_producer_verdict_t *verdict, void *arg)
{
    s_send_t *self = (s_send_t *) arg;
    switch (verdict->status) {
        case 'A':
            printf ("ACK %s\n", verdict->id);
            break;
        case 'D':
            printf ("DUP %s\n", verdict->id);
            break;
        case 'N':
            printf ("NACK %s %s %s\n", verdict->id, verdict->reason, verdict->text);
            self->refused++;
            break;
        default:
            printf ("FAIL %s %s no final verdict after %u sends\n", verdict->id,
                    verdict->reason, verdict->sends);
            self->refused++;
    }
    fflush (stdout);
}

static void
s_push (pf_producer_t *producer, const char *id, const char *topic, const char *key,
        const char *payload, size_t payload_size)
{
    char uuid [37];
    if (!id) {
        pf_producer_uuid (uuid);
        id = uuid;
    }
    if (pf_producer_push (producer, id, topic, key, strlen (key), payload, payload_size,
                          NULL) == -1) {
        if (errno == EINTR)
            cmd_fatal ("interrupted");
        cmd_fatal ("cannot push '%s': %s", id,
                   errno == EEXIST ? "that id is already in flight"
                                   : "id, topic or key outside the PF1 limits");
    }
}

static void
s_push_lines (pf_producer_t *producer, const char *topic, const char *key)
{
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline (&line, &capacity, stdin)) != -1) {
        if (length > 0 && line [length - 1] == '\n')
            line [--length] = 0;
        s_push (producer, NULL, topic, key, line, (size_t) length);
    }
    free (line);
}

//  Where to connect: the edge's frontend and public key, and our key pair.
static pf_producer_t *
s_connect (pf_config_t *config, const char *name, const char *cert_path, int timeout,
           s_send_t *self)
{
    cmd_fabric_edge_t edge;
    cmd_fabric_edge (config, name, &edge);
    char *default_cert = pf_keys_path (config, "secret/client.cert_secret");
    pf_producer_options_t options = {
        .endpoint = edge.endpoint,
        .server_public = edge.server_public,
        .cert_path = cert_path ? cert_path : default_cert,
        .deadline_ms = timeout,
        .on_verdict = s_on_verdict,
        .arg = self
    };
    char *error = NULL;
    pf_producer_t *producer = pf_producer_new (&options, &error);
    cmd_fabric_edge_free (&edge);
    free (default_cert);
    if (!producer)
        cmd_fatal ("%s", error);
    return producer;
}

int
cmd_send (int argc, char **argv)
{
    static struct option options [] = {
        CMD_COMMON_LONG,
        { "edge", required_argument, NULL, 'e' },
        { "topic", required_argument, NULL, 't' },
        { "key", required_argument, NULL, 'k' },
        { "id", required_argument, NULL, 'i' },
        { "cert", required_argument, NULL, 'C' },
        { "timeout", required_argument, NULL, 'T' },
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL, *edge = NULL, *topic = NULL, *key = "", *id = NULL;
    const char *cert_path = NULL;
    int timeout = 30000;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        switch (option) {
            case 'e': edge = optarg; break;
            case 't': topic = optarg; break;
            case 'k': key = optarg; break;
            case 'i': id = optarg; break;
            case 'C': cert_path = optarg; break;
            case 'T': timeout = (int) cmd_number (s_usage, "--timeout", optarg, 1, 86400000); break;
            default:
                if (!cmd_common_option (option, s_usage, &config_path))
                    cmd_usage_error (s_usage, "unknown option");
        }
    }
    if (!topic)
        cmd_usage_error (s_usage, "--topic is required");
    int payloads = argc - optind;
    bool from_stdin = payloads == 1 && streq (argv [optind], "-");
    if (payloads == 0)
        cmd_usage_error (s_usage, "give at least one PAYLOAD, or - to read lines from stdin");
    if (id && (payloads != 1 || from_stdin))
        cmd_usage_error (s_usage, "--id takes exactly one PAYLOAD");

    pf_config_t *config = cmd_load_config (cmd_config_path (config_path));
    s_send_t self = { 0 };
    pf_producer_t *producer = s_connect (config, edge, cert_path, timeout, &self);
    if (from_stdin)
        s_push_lines (producer, topic, key);
    else
        for (int index = optind; index < argc; index++)
            s_push (producer, id, topic, key, argv [index], strlen (argv [index]));
    int rc = pf_producer_flush (producer, -1);
    pf_producer_destroy (&producer);
    pf_config_destroy (&config);
    if (rc == -1)
        cmd_fatal ("interrupted with messages in flight");
    return self.refused ? 1 : 0;
}
