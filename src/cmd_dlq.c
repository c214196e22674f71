//  cmd_dlq - `pushfabric dlq list|show|replay|purge`: the dead-letter store,
//  through the control endpoint of a retry node (pf_control).

#include "cmd.h"

static const char *s_usage =
    "usage: pushfabric dlq list [--json] [--node NAME] [-c FILE] [-v]\n"
    "       pushfabric dlq show ID [--node NAME] [-c FILE] [-v]\n"
    "       pushfabric dlq replay ID|--all [--node NAME] [-c FILE] [-v]\n"
    "       pushfabric dlq purge ID|--all [--node NAME] [-c FILE] [-v]\n"
    "\n"
    "Works on the dead letters of a retry node: the messages that used all their\n"
    "attempts. 'list' prints them as a table, or with --json as a JSON array of\n"
    "objects (id, topic, key in hex, attempts, reason, dead_at in Unix seconds, size,\n"
    "replaying). 'show' writes one's payload to standard output. 'replay' sends them\n"
    "back to delivery, starting again at attempt 1; each leaves the store once its\n"
    "proc has taken it. 'purge' deletes them for good. ID is a message id as 'list'\n"
    "shows it.\n"
    "\n"
    "options:\n"
    "  --all               every dead letter (replay and purge)\n"
    "  --json              list as JSON\n"
    "  --node NAME         the retry node to ask (default: the first of the config)\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log at debug level\n"
    "  -h, --help          print this help\n";

//  The fields of one line of DLQ-LIST tsv, in order
enum { S_ID, S_TOPIC, S_KEY, S_ATTEMPTS, S_DEAD_AT, S_SIZE, S_REPLAYING, S_REASON, S_FIELDS };

//  Columns printed, with their headings and widest lengths
static const char *s_headings [] = { "ID", "TOPIC", "KEY", "ATTEMPTS", "DEAD AT (UTC)",
                                     "SIZE", "STATE", "REASON" };
#define S_CELL_MAX 48

//  Split a tsv line into fields (in place); false if it has too few.
static bool
s_split (char *line, char **fields)
{
    for (int index = 0; index < S_FIELDS; index++) {
        fields [index] = line;
        if (index < S_FIELDS - 1) {
            char *tab = line ? strchr (line, '\t') : NULL;
            if (!tab)
                return false;
            *tab = 0;
            line = tab + 1;
        }
    }
    return true;
}

//  The text of one cell, cut to S_CELL_MAX characters.
static void
s_cell (char **fields, int column, char *cell, size_t size)
{
    const char *text = fields [column];
    char when [32];
    if (column == S_DEAD_AT) {
        time_t at = (time_t) atoll (text);
        struct tm tm;
        gmtime_r (&at, &tm);
        strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        text = when;
    }
    else
    if (column == S_REPLAYING)
        text = streq (text, "1") ? "replaying" : "dead";
    snprintf (cell, size, "%s", text);
    if (strlen (cell) > S_CELL_MAX)
        strcpy (cell + S_CELL_MAX - 3, "...");
}

static void
s_print_table (char *text)
{
    zlistx_t *rows = zlistx_new ();
    size_t widths [S_FIELDS];
    for (int column = 0; column < S_FIELDS; column++)
        widths [column] = strlen (s_headings [column]);
    char *saved = NULL;
    for (char *line = strtok_r (text, "\n", &saved); line; line = strtok_r (NULL, "\n", &saved)) {
        char **fields = (char **) calloc (S_FIELDS, sizeof (char *));
        assert (fields);
        if (!s_split (line, fields)) {
            free (fields);
            continue;
        }
        for (int column = 0; column < S_FIELDS; column++) {
            char cell [S_CELL_MAX + 1];
            s_cell (fields, column, cell, sizeof cell);
            if (strlen (cell) > widths [column])
                widths [column] = strlen (cell);
        }
        zlistx_add_end (rows, fields);
    }
    if (zlistx_size (rows) == 0)
        printf ("no dead letters\n");
    else {
        for (int column = 0; column < S_FIELDS - 1; column++) {
            bool number = column == S_ATTEMPTS || column == S_SIZE;
            printf (number ? "%*s  " : "%-*s  ", (int) widths [column], s_headings [column]);
        }
        printf ("%s\n", s_headings [S_FIELDS - 1]);
        for (char **fields = (char **) zlistx_first (rows); fields;
             fields = (char **) zlistx_next (rows)) {
            for (int column = 0; column < S_FIELDS; column++) {
                char cell [S_CELL_MAX + 1];
                s_cell (fields, column, cell, sizeof cell);
                bool number = column == S_ATTEMPTS || column == S_SIZE;
                if (column == S_FIELDS - 1)
                    printf ("%s\n", cell);
                else
                    printf (number ? "%*s  " : "%-*s  ", (int) widths [column], cell);
            }
            free (fields);
        }
    }
    zlistx_destroy (&rows);
}

//  The retry node to ask: --node, else the first of the config.
static const char *
s_node (pf_config_t *config, const char *name)
{
    if (name) {
        const char *role = pf_config_role_of (config, name);
        if (!role || !streq (role, "retry"))
            cmd_fatal ("%s: no retry node named '%s'", pf_config_path (config), name);
        return name;
    }
    const char *first = (const char *) zlistx_first (pf_config_nodes (config, "retry"));
    if (!first)
        cmd_fatal ("%s: the fabric has no retry node", pf_config_path (config));
    return first;
}

int
cmd_dlq (int argc, char **argv)
{
    static struct option options [] = {
        CMD_COMMON_LONG,
        { "all", no_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'j' },
        { "node", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL, *node = NULL;
    bool all = false, json = false;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        if (option == 'a')
            all = true;
        else
        if (option == 'j')
            json = true;
        else
        if (option == 'n')
            node = optarg;
        else
        if (!cmd_common_option (option, s_usage, &config_path))
            cmd_usage_error (s_usage, "unknown option");
    }
    if (optind >= argc)
        cmd_usage_error (s_usage, "dlq needs a command: list, show, replay or purge");
    const char *action = argv [optind];
    const char *id = optind + 1 < argc ? argv [optind + 1] : NULL;
    size_t positional = (size_t) (argc - optind);
    const char *command = NULL;
    if (streq (action, "list")) {
        if (positional != 1 || all)
            cmd_usage_error (s_usage, "dlq list takes no ID and no --all");
        command = "DLQ-LIST";
    }
    else
    if (streq (action, "show")) {
        if (positional != 2 || all || json)
            cmd_usage_error (s_usage, "dlq show takes exactly one ID");
        command = "DLQ-SHOW";
    }
    else
    if (streq (action, "replay") || streq (action, "purge")) {
        if (json || positional != (all ? 1u : 2u))
            cmd_usage_error (s_usage, "dlq %s takes one ID or --all", action);
        command = streq (action, "replay") ? "DLQ-REPLAY" : "DLQ-PURGE";
        if (all)
            id = "--all";
    }
    else
        cmd_usage_error (s_usage, "unknown dlq command '%s'", action);
    if (json && !streq (action, "list"))
        cmd_usage_error (s_usage, "--json is for dlq list");

    pf_config_t *config = cmd_load_config (cmd_config_path (config_path));
    node = s_node (config, node);
    char *error = NULL;
    zmsg_t *reply = streq (action, "list")
        ? pf_control_call (config, node, "admin", PF_CONTROL_TIMEOUT, &error, command,
                           json ? "json" : "tsv", NULL)
        : pf_control_call (config, node, "admin", PF_CONTROL_TIMEOUT, &error, command, id,
                           NULL);
    pf_config_destroy (&config);
    if (!reply) {
        fprintf (stderr, "pushfabric: %s\n", error);
        free (error);
        return 1;
    }
    zframe_t *frame = zmsg_first (reply);
    const byte *data = frame ? zframe_data (frame) : (const byte *) "";
    size_t size = frame ? zframe_size (frame) : 0;
    if (streq (action, "list") && json)
        printf ("%.*s\n", (int) size, (const char *) data);
    else
    if (streq (action, "list")) {
        char *text = frame ? zframe_strdup (frame) : strdup ("");
        s_print_table (text);
        free (text);
    }
    else
    if (streq (action, "show"))
        fwrite (data, 1, size, stdout);
    else {
        char *text = frame ? zframe_strdup (frame) : NULL;
        long long count = text ? atoll (text) : 0;
        free (text);
        if (streq (action, "replay") && !all && count == 0)
            printf ("dead letter '%s' is already being replayed\n", id);
        else
            printf ("%s %lld dead letter%s%s\n", streq (action, "replay") ? "replaying" : "purged",
                    count, count == 1 ? "" : "s",
                    streq (action, "replay") ? " (each leaves the store once its proc takes it)"
                                             : "");
    }
    zmsg_destroy (&reply);
    return fflush (stdout) == 0 ? 0 : 1;
}
