//  test_config - pf_config: loading and checking the fabric configuration.
//  Each test writes a file into a scratch folder made with mkdtemp.

#include "pf_classes.h"
#include "../tap.h"

static char s_dir [] = "/tmp/pf-test-config.XXXXXX";

//  The smallest good fabric: fabric on line 1, edge e1 on lines 2-4, proc
//  p1 on lines 5-9. A line added after S_MIN is line 10, under p1.
#define S_FABRIC "fabric\n"
#define S_EDGE \
    "edge\n" \
    "    e1\n" \
    "        frontend = tcp://127.0.0.1:7600\n"
#define S_PROC \
    "proc\n" \
    "    p1\n" \
    "        endpoint = tcp://127.0.0.1:7610\n" \
    "        workers = tcp://127.0.0.1:7611\n" \
    "        db = p1.db\n"
#define S_MIN S_FABRIC S_EDGE S_PROC
#define S_PROC_P(name) \
    "    " name "\n" \
    "        endpoint = ipc://@" name "\n" \
    "        workers = ipc://@" name "-workers\n" \
    "        db = " name ".db\n"

//  A fuller file, line by line
static const char *s_good =
    "#   A test fabric\n"                                          //  1
    "fabric\n"                                                     //  2
    "    partitions = 64\n"                                        //  3
    "    max-payload = 0                 # smallest allowed\n"     //  4
    "\n"                                                           //  5
    "edge\n"                                                       //  6
    "    e1\n"                                                     //  7
    "        frontend = tcp://127.0.0.1:7600\n"                    //  8
    "        control = \"tcp://127.0.0.1:7609\"   # quoted\n"      //  9
    "        reply-timeout = 2500\n"                               //  10
    "        allow = 127.0.0.1, ::1\n"                             //  11
    "        deny =                      # nobody\n"               //  12
    "proc\n"                                                       //  13
    "    p1\n"                                                     //  14
    "        endpoint = tcp://127.0.0.1:7610\n"                    //  15
    "        workers = tcp://127.0.0.1:7611\n"                     //  16
    "        #   a comment inside a node\n"                        //  17
    "        db = data/p1.db\n"                                    //  18
    "        ordering = strict\n"                                  //  19
    "        max-pending = 1000000000\n"                           //  20
    "    p2\n"                                                     //  21
    "        endpoint = ipc:///tmp/p2.ipc\n"                       //  22
    "        workers = inproc://p2-workers\n"                      //  23
    "        db = \"/var/lib/pf/p#2.db\"\n"                        //  24
    "        log-level = debug\n"                                  //  25
    "        delivery-timeout = 100\n"                             //  26
    "retry\n"                                                      //  27
    "    r1\n"                                                     //  28
    "        endpoint = tcp://[::1]:7630\n"                        //  29
    "        db = data/r1.db\n"                                    //  30
    "        max-delay = 2147483647\n";                            //  31

//  Writes text into the scratch folder; returns the file's path.
static char *
s_write (const char *name, const char *text, size_t size)
{
    char *path = zsys_sprintf ("%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    assert (file);
    fwrite (text, 1, size, file);
    fclose (file);
    return path;
}

static pf_config_t *
s_load (const char *text)
{
    char *path = s_write ("fabric.cfg", text, strlen (text));
    char *error = NULL;
    pf_config_t *config = pf_config_load (path, &error);
    if (error)
        diag ("%s", error);
    free (error);
    free (path);
    return config;
}

//  True when loading path fails with exactly "PATH" + expected.
static bool
s_path_fails_with (const char *path, const char *expected)
{
    char *error = NULL;
    pf_config_t *config = pf_config_load (path, &error);
    char *want = zsys_sprintf ("%s%s", path, expected);
    bool pass = !config && error && streq (error, want);
    if (!pass) {
        diag ("got:  %s", error ? error : "(no error)");
        diag ("want: %s", want);
    }
    pf_config_destroy (&config);
    free (want);
    free (error);
    return pass;
}

static bool
s_fails_with (const char *text, const char *expected)
{
    char *path = s_write ("fabric.cfg", text, strlen (text));
    bool pass = s_path_fails_with (path, expected);
    free (path);
    return pass;
}

//  "p1 0-31, p2 32-63": who owns what, as runs.
static char *
s_ownership (pf_config_t *config)
{
    const char **owners = pf_config_partition_owners (config);
    uint32_t partitions = (uint32_t) pf_config_int (config, "fabric/partitions");
    char *text = strdup ("");
    uint32_t start = 0;
    for (uint32_t partition = 1; partition <= partitions; partition++) {
        if (partition < partitions && owners [partition] == owners [start])
            continue;
        const char *comma = *text ? "," : "";
        char *run = partition - 1 == start
                  ? zsys_sprintf ("%s%s %s %u", text, comma, owners [start], start)
                  : zsys_sprintf ("%s%s %s %u-%u", text, comma, owners [start],
                                  start, partition - 1);
        free (text);
        text = run;
        start = partition;
    }
    return text;
}

static bool
s_owns (const char *text, const char *expected)
{
    pf_config_t *config = s_load (text);
    if (!config)
        return false;
    char *ownership = s_ownership (config);
    bool pass = streq (ownership, expected);
    if (!pass)
        diag ("got '%s', want '%s'", ownership, expected);
    free (ownership);
    pf_config_destroy (&config);
    return pass;
}

static void
test_values (void)
{
    static char stale [] = "stale";
    char *error = stale;
    char *path = s_write ("fabric.cfg", s_good, strlen (s_good));
    pf_config_t *config = pf_config_load (path, &error);
    ok (config, "a good file loads");
    ok (error == NULL, "a good file sets *error to NULL");
    if (!config) {
        diag ("%s", error);
        free (error);
        free (path);
        return;
    }

    is_int (pf_config_int (config, "fabric/partitions"), 64,
            "an int key gives its value");
    is_int (pf_config_int (config, "fabric/max-payload"), 0,
            "an int key at its minimum is accepted, with a comment after it");
    is_int (pf_config_int (config, "proc/p1/max-pending"), 1000000000,
            "an int key at its maximum is accepted");
    is_int (pf_config_int (config, "retry/r1/max-delay"), 2147483647,
            "retry/*/max-delay takes 2147483647");
    is_int (pf_config_int (config, "edge/e1/reply-timeout"), 2500,
            "edge/*/reply-timeout gives the value given");

    is_int (pf_config_int (config, "fabric/dedupe-window"), 86400,
            "absent fabric/dedupe-window defaults to 86400");
    is_int (pf_config_int (config, "fabric/max-batch"), 4194304,
            "absent fabric/max-batch defaults to 4194304");
    is_int (pf_config_int (config, "proc/p2/max-pending"), 1000000,
            "absent proc/*/max-pending defaults to 1000000");
    is_int (pf_config_int (config, "proc/p1/delivery-timeout"), 30000,
            "absent proc/*/delivery-timeout defaults to 30000");
    is_int (pf_config_int (config, "proc/p1/heartbeat-timeout"), 10000,
            "absent proc/*/heartbeat-timeout defaults to 10000");
    is_int (pf_config_int (config, "retry/r1/base-delay"), 1000,
            "absent retry/*/base-delay defaults to 1000");
    is_int (pf_config_int (config, "retry/r1/max-attempts"), 8,
            "absent retry/*/max-attempts defaults to 8");
    is_int (pf_config_int (config, "proc/nosuch/max-pending"), 1000000,
            "a node that does not exist gives the defaults too");

    ok (streq (pf_config_str (config, "proc/p1/ordering"), "strict"),
        "an enum key gives its word");
    ok (streq (pf_config_str (config, "proc/p2/ordering"), "relaxed"),
        "absent proc/*/ordering defaults to relaxed");
    ok (streq (pf_config_str (config, "proc/p1/synchronous"), "normal"),
        "absent proc/*/synchronous defaults to normal");
    ok (streq (pf_config_str (config, "proc/p2/log-level"), "debug"),
        "log-level is a key of every node");
    ok (streq (pf_config_str (config, "edge/e1/log-level"), "info"),
        "absent log-level defaults to info");
    ok (streq (pf_config_str (config, "edge/e1/frontend"), "tcp://127.0.0.1:7600"),
        "an endpoint key gives its text");
    ok (streq (pf_config_str (config, "edge/e1/control"), "tcp://127.0.0.1:7609"),
        "a quoted value loses its quotes and its comment");
    ok (streq (pf_config_str (config, "proc/p2/db"), "/var/lib/pf/p#2.db"),
        "a quoted value may hold '#'");
    ok (streq (pf_config_str (config, "proc/p1/control"), ""),
        "an absent optional key without default gives \"\"");
    ok (streq (pf_config_str (config, "edge/e1/allow"), "127.0.0.1, ::1"),
        "an IP list gives its text");
    ok (streq (pf_config_str (config, "edge/e1/deny"), ""),
        "an empty value followed by a comment is empty, not the comment");
    ok (streq (pf_config_str (config, "fabric/keys"), "keys"),
        "absent fabric/keys defaults to 'keys'");
    ok (streq (pf_config_str (config, "fabric/partitions"), "64"),
        "pf_config_str gives an int key's text");

    zlistx_t *procs = pf_config_nodes (config, "proc");
    ok (zlistx_size (procs) == 2
        && streq ((char *) zlistx_first (procs), "p1")
        && streq ((char *) zlistx_next (procs), "p2"),
        "pf_config_nodes lists a role's nodes in file order");
    zlistx_t *retries = pf_config_nodes (config, "retry");
    ok (zlistx_size (retries) == 1 && streq ((char *) zlistx_first (retries), "r1"),
        "pf_config_nodes lists retry nodes");
    ok (streq (pf_config_role_of (config, "e1"), "edge"),
        "pf_config_role_of knows an edge");
    ok (streq (pf_config_role_of (config, "p2"), "proc"),
        "pf_config_role_of knows a proc");
    ok (streq (pf_config_role_of (config, "r1"), "retry"),
        "pf_config_role_of knows a retry");
    ok (pf_config_role_of (config, "p3") == NULL,
        "pf_config_role_of gives NULL for a name no node has");

    ok (streq (pf_config_path (config), path), "pf_config_path is the path as given");
    char *real = realpath (s_dir, NULL);
    ok (streq (pf_config_dir (config), real),
        "pf_config_dir is the file's folder, absolute");
    char *file = pf_config_file (config, "proc/p1/db");
    char *want = zsys_sprintf ("%s/data/p1.db", real);
    ok (streq (file, want), "pf_config_file resolves a relative path against the folder");
    free (file);
    free (want);
    file = pf_config_file (config, "proc/p2/db");
    ok (streq (file, "/var/lib/pf/p#2.db"), "pf_config_file keeps an absolute path");
    free (file);
    file = pf_config_file (config, "fabric/keys");
    want = zsys_sprintf ("%s/keys", real);
    ok (streq (file, want), "pf_config_file resolves a default path too");
    free (file);
    free (want);
    pf_config_destroy (&config);
    ok (config == NULL, "pf_config_destroy sets the pointer to NULL");
    pf_config_destroy (&config);
    ok (1, "pf_config_destroy of NULL does nothing");

    //  Without retry, and found through a relative path
    char *folder = zsys_sprintf ("%s/conf", s_dir);
    zsys_dir_create (folder);
    char *relative = s_write ("conf/fabric.cfg", S_MIN, strlen (S_MIN));
    char cwd [4096];
    assert (getcwd (cwd, sizeof (cwd)));
    assert (chdir (s_dir) == 0);
    config = pf_config_load ("conf/fabric.cfg", NULL);
    ok (config, "a file loads through a relative path, with error NULL");
    if (config) {
        ok (zlistx_size (pf_config_nodes (config, "retry")) == 0,
            "retry is optional: pf_config_nodes gives an empty list");
        ok (streq (pf_config_path (config), "conf/fabric.cfg"),
            "pf_config_path keeps a relative path as given");
        want = zsys_sprintf ("%s/conf", real);
        ok (streq (pf_config_dir (config), want),
            "pf_config_dir of a relative path is absolute");
        free (want);
        assert (chdir ("/") == 0);
        file = pf_config_file (config, "proc/p1/db");
        want = zsys_sprintf ("%s/conf/p1.db", real);
        ok (streq (file, want),
            "pf_config_file stays right after the working folder changes");
        free (want);
        free (file);
        pf_config_destroy (&config);
    }
    assert (chdir (s_dir) == 0);
    ok (s_path_fails_with ("conf/nosuch.cfg", ": cannot read: No such file or directory"),
        "an error names the file as given, relative too");
    assert (chdir (cwd) == 0);
    free (relative);
    free (folder);
    free (real);
    free (path);

    const char *crlf =
        "fabric\r\n    partitions = 8\r\n"
        "edge\r\n    e1\r\n        frontend = tcp://127.0.0.1:7600\r\n"
        "proc\r\n    p1\r\n        endpoint = tcp://127.0.0.1:7610\r\n"
        "        workers = tcp://127.0.0.1:7611\r\n        db = p1.db\r\n";
    config = s_load (crlf);
    ok (config && pf_config_int (config, "fabric/partitions") == 8,
        "a file with CRLF line ends loads");
    pf_config_destroy (&config);

    config = s_load (S_MIN "        log-level = warning\n"
                     "retry\n    r1\n        endpoint = tcp://127.0.0.1:7630\n"
                     "        db = r1.db\n        log-level = error\n");
    ok (config, "log-level is accepted under a retry node");
    pf_config_destroy (&config);

    config = s_load (S_MIN "        metrics = 127.0.0.1:9100\n        backlog-alert = 5000\n"
                     "        p99-alert = 250\n        alert-window = 2000\n");
    ok (config && streq (pf_config_str (config, "proc/p1/metrics"), "127.0.0.1:9100")
        && pf_config_int (config, "proc/p1/backlog-alert") == 5000
        && pf_config_int (config, "proc/p1/p99-alert") == 250
        && pf_config_int (config, "proc/p1/alert-window") == 2000,
        "metrics, backlog-alert, p99-alert and alert-window are proc keys");
    ok (config && pf_config_int (config, "proc/p1/max-pending") == 1000000,
        "and the other keys keep their defaults");
    pf_config_destroy (&config);

    struct sockaddr_storage address;
    ok (pf_config_hostport ("*:9100", &address) == 0 && address.ss_family == AF_INET
        && ntohs (((struct sockaddr_in *) &address)->sin_port) == 9100,
        "ADDRESS:PORT: * is every IPv4 interface");
    ok (pf_config_hostport ("[::1]:9100", &address) == 0 && address.ss_family == AF_INET6,
        "ADDRESS:PORT: an IPv6 address in brackets");
    const char *bad [] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                           ":9100", "localhost:9100", "::1:9100", "[::1]", "1.2.3.4:91x" };
    bool refused = true;
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++)
        refused = refused && pf_config_hostport (bad [index], &address) == -1;
    ok (refused, "ADDRESS:PORT: no port, port 0 or over 65535, a name, bare IPv6: refused");
}

typedef struct {
    const char *text;
    const char *error;          //  after the file's path
    const char *description;
} s_case_t;

static s_case_t s_errors [] = {
    //  Reading and syntax
    { "", ": missing section 'fabric'",
      "an empty file lacks the fabric section" },
    { S_FABRIC "   partitions = 8\n" S_EDGE S_PROC,
      ":2: syntax error: indent by 4 spaces per level",
      "an indent that is not a multiple of 4 is a syntax error with its line" },
    { S_FABRIC "\tpartitions = 8\n" S_EDGE S_PROC,
      ":2: syntax error: indent with spaces, not tabs",
      "a tab indent is a syntax error" },
    { S_FABRIC "        partitions = 8\n" S_EDGE S_PROC,
      ":2: syntax error: indented more than one level (4 spaces) below the line above",
      "indenting two levels at once is a syntax error" },
    { S_MIN "        control = \"tcp://127.0.0.1:7619\n",
      ":10: syntax error: missing closing \"", "a quote left open is a syntax error" },
    { S_MIN "        control = 'tcp://127.0.0.1:7619' x\n",
      ":10: syntax error: unexpected text after the closing quote",
      "text after a quoted value is a syntax error" },
    { S_MIN "        max-pending 5\n",
      ":10: syntax error: expected '=' after 'max-pending'",
      "a name and a value without '=' is a syntax error" },
    { S_MIN "    ! = 1\n", ":10: syntax error: unexpected '! = 1'",
      "a line that starts with no name is a syntax error" },
    { S_MIN "    p/\n", ":10: syntax error: a name cannot start or end with '/'",
      "a name ending in '/' is a syntax error" },

    //  Unknown keys and sections
    { S_MIN "        max-pendin = 5\n", ":10: unknown key 'proc/p1/max-pendin'",
      "a misspelt key is unknown, with its line and path" },
    { S_FABRIC "    partition = 8\n" S_EDGE S_PROC, ":2: unknown key 'fabric/partition'",
      "an unknown fabric key is named" },
    { S_MIN "        frontend = tcp://127.0.0.1:7620\n",
      ":10: unknown key 'proc/p1/frontend'", "a key of another role is unknown" },
    { S_FABRIC "    log-level = info\n" S_EDGE S_PROC,
      ":2: unknown key 'fabric/log-level'", "log-level is for nodes, not for fabric" },
    { S_MIN "        metrics = localhost:9100\n",
      ":10: 'proc/p1/metrics' must be ADDRESS:PORT (an IPv4 address, [IPv6] or *, and a "
      "port from 1 to 65535), not 'localhost:9100'", "metrics takes an address, not a name" },
    { S_MIN "        backlog-alert = -1\n",
      ":10: 'proc/p1/backlog-alert' must be a whole number from 0 to 1000000000, not '-1'",
      "a negative backlog-alert is refused" },
    { S_MIN "        alert-window = 999\n",
      ":10: 'proc/p1/alert-window' must be a whole number from 1000 to 3600000, not '999'",
      "an alert-window under a second is refused" },
    { S_MIN "            journal = on\n", ":10: unknown key 'proc/p1/db/journal'",
      "a key below a key is unknown" },
    { S_FABRIC "    keys = k\n        extra = 1\n" S_EDGE S_PROC,
      ":3: unknown key 'fabric/keys/extra'", "a fabric key takes no children" },
    { S_MIN "fabrik\n",
      ":10: unknown section 'fabrik' (sections are fabric, edge, proc and retry)",
      "an unknown top-level section is named" },
    { "partitions = 8\n" S_MIN,
      ":1: unknown section 'partitions' (sections are fabric, edge, proc and retry)",
      "a fabric key at the top level is an unknown section" },
    { S_MIN "retry = r1\n",
      ":10: section 'retry' takes no value; its keys go on the lines below it",
      "a section takes no value" },
    { S_MIN "    p2 = x\n",
      ":10: node 'proc/p2' takes no value; its keys go on the lines below it",
      "a node takes no value" },
    { S_MIN "fabric\n", ":10: section 'fabric' is given twice (first on line 1)",
      "a section given twice is an error" },

    //  Required sections and keys
    { S_EDGE S_PROC, ": missing section 'fabric'", "the fabric section is required" },
    { S_FABRIC S_PROC,
      ": missing section 'edge': the fabric needs at least one edge node",
      "the edge section is required" },
    { S_FABRIC S_EDGE,
      ": missing section 'proc': the fabric needs at least one proc node",
      "the proc section is required" },
    { S_FABRIC "edge\n" S_PROC,
      ":2: section 'edge' has no node: the fabric needs at least one",
      "an edge section without a node is an error" },
    { S_FABRIC S_EDGE "proc\n    p1\n        endpoint = tcp://127.0.0.1:7610\n"
      "        workers = tcp://127.0.0.1:7611\n",
      ": missing key 'proc/p1/db'", "proc/*/db is required" },
    { S_FABRIC "edge\n    e1\n        control = tcp://127.0.0.1:7609\n" S_PROC,
      ": missing key 'edge/e1/frontend'", "edge/*/frontend is required" },
    { S_FABRIC S_EDGE "proc\n    p1\n        workers = tcp://127.0.0.1:7611\n"
      "        db = p1.db\n",
      ": missing key 'proc/p1/endpoint'", "proc/*/endpoint is required" },
    { S_FABRIC S_EDGE "proc\n    p1\n        endpoint = tcp://127.0.0.1:7610\n"
      "        db = p1.db\n",
      ": missing key 'proc/p1/workers'", "proc/*/workers is required" },
    { S_MIN "retry\n    r1\n        db = r1.db\n",
      ": missing key 'retry/r1/endpoint'", "retry/*/endpoint is required" },
    { S_MIN "retry\n    r1\n        endpoint = tcp://127.0.0.1:7630\n",
      ": missing key 'retry/r1/db'", "retry/*/db is required" },

    //  Duplicates and node names
    { S_MIN "        db = other.db\n",
      ":10: 'proc/p1/db' is given twice (first on line 9)",
      "a key given twice is an error" },
    { S_MIN "    p1\n", ":10: node 'proc/p1' is given twice (first on line 6)",
      "a node given twice is an error" },
    { S_MIN "retry\n    e1\n",
      ":11: node name 'retry/e1' is already used by 'edge/e1' on line 3; "
      "node names must be unique", "a node name used in two roles is an error" },
    { S_MIN "    p/2\n", ":10: node name 'proc/p/2' must start with a letter or digit "
      "and hold only letters, digits, '.', '_' and '-'",
      "a node name with '/' is refused" },
    { S_MIN "    -p2\n", ":10: node name 'proc/-p2' must start with a letter or digit "
      "and hold only letters, digits, '.', '_' and '-'",
      "a node name that looks like an option is refused" },
    { S_MIN "    client\n",
      ":10: node name 'proc/client' is reserved: keys/secret/client.cert_secret "
      "is the client key pair", "the names client, worker and admin are reserved" },

    //  Whole numbers
    { S_MIN "        max-pending = abc\n",
      ":10: 'proc/p1/max-pending' must be a whole number from 1 to 1000000000, not 'abc'",
      "an int key that is not a number is refused" },
    { S_EDGE S_FABRIC "    reply-timeout = 9\n",
      ":5: unknown key 'fabric/reply-timeout'", "keys belong to the section above them" },
    { S_FABRIC "edge\n    e1\n        frontend = tcp://127.0.0.1:7600\n"
      "        reply-timeout = 9\n" S_PROC,
      ":5: 'edge/e1/reply-timeout' must be a whole number from 10 to 600000, not '9'",
      "an int key below its minimum is refused" },
    { S_FABRIC "    partitions = 65537\n" S_EDGE S_PROC,
      ":2: 'fabric/partitions' must be a whole number from 1 to 65536, not '65537'",
      "an int key above its maximum is refused" },
    { S_FABRIC "    partitions = 0\n" S_EDGE S_PROC,
      ":2: 'fabric/partitions' must be a whole number from 1 to 65536, not '0'",
      "fabric/partitions of 0 is refused" },
    { S_FABRIC "    max-payload = -1\n" S_EDGE S_PROC,
      ":2: 'fabric/max-payload' must be a whole number from 0 to 268435456, not '-1'",
      "a negative number is refused where the minimum is 0" },
    { S_FABRIC "    max-batch = 1023\n" S_EDGE S_PROC,
      ":2: 'fabric/max-batch' must be a whole number from 1024 to 268435456, not '1023'",
      "fabric/max-batch below 1024 is refused" },
    { S_FABRIC "    dedupe-window = 1.5\n" S_EDGE S_PROC,
      ":2: 'fabric/dedupe-window' must be a whole number from 1 to 31536000, not '1.5'",
      "a decimal fraction is not a whole number" },
    { S_MIN "        max-pending = 1e6\n",
      ":10: 'proc/p1/max-pending' must be a whole number from 1 to 1000000000, not '1e6'",
      "an exponent is not a whole number" },
    { S_MIN "        max-pending = +5\n",
      ":10: 'proc/p1/max-pending' must be a whole number from 1 to 1000000000, not '+5'",
      "a plus sign is not accepted" },
    { S_MIN "        max-pending = 0x10\n",
      ":10: 'proc/p1/max-pending' must be a whole number from 1 to 1000000000, "
      "not '0x10'",
      "a hexadecimal number is not accepted" },
    { S_MIN "        max-pending\n",
      ":10: 'proc/p1/max-pending' must be a whole number from 1 to 1000000000, not ''",
      "an int key without a value is refused" },
    { S_MIN "        max-pending = 99999999999999999999\n",
      ":10: 'proc/p1/max-pending' must be a whole number from 1 to 1000000000, "
      "not '99999999999999999999'", "a number beyond 64 bits is refused" },
    { S_MIN "        heartbeat-timeout = 3600001\n",
      ":10: 'proc/p1/heartbeat-timeout' must be a whole number from 100 to 3600000, "
      "not '3600001'", "proc/*/heartbeat-timeout above 3600000 is refused" },
    { S_MIN "retry\n    r1\n        endpoint = tcp://127.0.0.1:7630\n        db = r1.db\n"
      "        max-attempts = 1001\n",
      ":14: 'retry/r1/max-attempts' must be a whole number from 1 to 1000, not '1001'",
      "retry/*/max-attempts above 1000 is refused" },

    //  Words
    { S_MIN "        synchronous = FULL\n",
      ":10: 'proc/p1/synchronous' must be normal or full, not 'FULL'",
      "an enum word is case-sensitive" },
    { S_MIN "        ordering = sloppy\n",
      ":10: 'proc/p1/ordering' must be relaxed or strict, not 'sloppy'",
      "a bad ordering word is refused" },
    { S_MIN "        log-level = verbose\n",
      ":10: 'proc/p1/log-level' must be debug, info, notice, warning or error, "
      "not 'verbose'", "a bad log-level word is refused" },

    //  Endpoints
    { S_MIN "        control = http://127.0.0.1:7619\n",
      ":10: 'proc/p1/control' must be an endpoint (tcp://HOST:PORT, ipc://PATH or "
      "inproc://NAME), not 'http://127.0.0.1:7619'",
      "an endpoint of another scheme is refused" },
    { S_MIN "        control = tcp://127.0.0.1\n",
      ":10: 'proc/p1/control' must be an endpoint (tcp://HOST:PORT, ipc://PATH or "
      "inproc://NAME), not 'tcp://127.0.0.1'",
      "a tcp endpoint without a port is refused" },
    { S_MIN "        control = tcp://127.0.0.1:65536\n",
      ":10: 'proc/p1/control' must be an endpoint (tcp://HOST:PORT, ipc://PATH or "
      "inproc://NAME), not 'tcp://127.0.0.1:65536'",
      "a tcp port above 65535 is refused" },
    { S_MIN "        control = ipc://\n",
      ":10: 'proc/p1/control' must be an endpoint (tcp://HOST:PORT, ipc://PATH or "
      "inproc://NAME), not 'ipc://'", "an ipc endpoint without a path is refused" },
    { S_MIN "        control =\n",
      ":10: 'proc/p1/control' must be an endpoint (tcp://HOST:PORT, ipc://PATH or "
      "inproc://NAME), not ''", "an empty endpoint is refused" },

    //  Paths
    { S_FABRIC S_EDGE "proc\n    p1\n        endpoint = tcp://127.0.0.1:7610\n"
      "        workers = tcp://127.0.0.1:7611\n        db =\n",
      ":9: 'proc/p1/db' must be a path, not empty", "an empty path is refused" },

    //  IP lists
    { S_FABRIC S_EDGE "        allow = 127.0.0.1, localhost\n" S_PROC,
      ":5: 'edge/e1/allow' must be a comma-separated list of IPv4 or IPv6 addresses, "
      "and 'localhost' is not one", "a host name in an IP list is refused" },
    { S_FABRIC S_EDGE "        deny = 10.0.0.1,\n" S_PROC,
      ":5: 'edge/e1/deny' must be a comma-separated list of IPv4 or IPv6 addresses, "
      "and '' is not one", "an empty item in an IP list is refused" },
    { S_FABRIC S_EDGE "        deny = 10.0.0.0/8\n" S_PROC,
      ":5: 'edge/e1/deny' must be a comma-separated list of IPv4 or IPv6 addresses, "
      "and '10.0.0.0/8' is not one", "a network in an IP list is refused" },

    //  Partition ranges and ownership
    { S_MIN "        partitions = 0-64\n",
      ":10: 'proc/p1/partitions' must be partition ranges like 0-31,40 with each number "
      "below 64, not '0-64'", "a range past fabric/partitions is refused" },
    { "fabric\n    partitions = 8\n" S_EDGE S_PROC "        partitions = 0-8\n",
      ":11: 'proc/p1/partitions' must be partition ranges like 0-31,40 with each number "
      "below 8, not '0-8'", "ranges are checked against fabric/partitions" },
    { S_MIN "        partitions\n",
      ":10: 'proc/p1/partitions' must be partition ranges like 0-31,40 with each number "
      "below 64, not ''", "an empty range list is refused" },
    { S_MIN "        partitions = 0-40\n" S_PROC_P ("p2") "        partitions = 32-63\n",
      ":15: partition 32 is owned by both 'p1' and 'p2'",
      "ranges that overlap are refused, naming both procs" },
    { S_MIN "        partitions = 0-31\n" S_PROC_P ("p2") "        partitions = 33-63\n",
      ": partition 32 has no proc: add it to a proc's 'partitions', or leave one "
      "proc without 'partitions'", "a partition left without a proc is refused" },
};

static void
test_errors (void)
{
    for (size_t index = 0; index < sizeof (s_errors) / sizeof (s_errors [0]); index++)
        ok (s_fails_with (s_errors [index].text, s_errors [index].error),
            "%s", s_errors [index].description);

    char *missing = zsys_sprintf ("%s/nosuch.cfg", s_dir);
    ok (s_path_fails_with (missing, ": cannot read: No such file or directory"),
        "a missing file cannot be read");
    free (missing);
    ok (s_path_fails_with (s_dir, ": cannot read: Is a directory"),
        "a folder cannot be read");

    char *path = s_write ("fabric.cfg", S_MIN "\0", sizeof (S_MIN));
    ok (s_path_fails_with (path, ": cannot read: not a text file"),
        "a file with a NUL byte is not a text file");
    free (path);

    char *line = (char *) zmalloc (1100);
    memset (line, '#', 1099);
    char *text = zsys_sprintf ("%s%s\n", S_MIN, line);
    ok (s_fails_with (text, ":10: line is longer than 1024 characters"),
        "a line longer than 1024 characters is refused, not cut");
    free (text);
    free (line);

    char *error = NULL;
    path = s_write ("fabric.cfg", "fabric\n", 7);
    ok (pf_config_load (path, &error) == NULL
        && strncmp (error, path, strlen (path)) == 0,
        "every error starts with the file's path");
    free (error);
    free (path);
}

static void
test_partitions (void)
{
    ok (s_owns (S_MIN S_PROC_P ("p2"), " p1 0-31, p2 32-63"),
        "64 partitions over 2 procs without ranges: p1 0-31, p2 32-63");
    ok (s_owns ("fabric\n    partitions = 10\n" S_EDGE S_PROC
                S_PROC_P ("p2") S_PROC_P ("p3"),
                " p1 0-3, p2 4-6, p3 7-9"),
        "10 over 3 procs: contiguous runs, the first procs take one more");
    ok (s_owns ("fabric\n    partitions = 1\n" S_EDGE S_PROC S_PROC_P ("p2"), " p1 0"),
        "1 partition over 2 procs: the second proc owns none");
    ok (s_owns (S_MIN "        partitions = 0-31\n" S_PROC_P ("p2")
                "        partitions = 32-63\n", " p1 0-31, p2 32-63"),
        "explicit ranges that cover everything");
    ok (s_owns (S_MIN "        partitions = 48-63\n" S_PROC_P ("p2"),
                " p2 0-47, p1 48-63"),
        "a proc without ranges takes what the others leave");
    ok (s_owns ("fabric\n    partitions = 32\n" S_EDGE S_PROC S_PROC_P ("p2")
                "        partitions = 0-9,20\n" S_PROC_P ("p3"),
                " p2 0-9, p1 10-19, p2 20, p1 21, p3 22-31"),
        "the rest is spread in file order around explicit ranges");
    ok (s_owns (S_PROC S_FABRIC "    partitions = 4\n" S_EDGE, " p1 0-3"),
        "sections may come in any order");
}

int
main (void)
{
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    test_values ();
    test_errors ();
    test_partitions ();
    zdir_t *dir = zdir_new (s_dir, NULL);
    zdir_remove (dir, true);
    zdir_destroy (&dir);
    return done_testing ();
}
