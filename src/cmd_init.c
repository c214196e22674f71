//  cmd_init - 'pushfabric init DIR': writes a working single-machine fabric
//  into a folder: CURVE key pairs under DIR/keys, DIR/data, and DIR/fabric.cfg,
//  written last so that a fabric.cfg is only ever there with its keys.
//  'pushfabric up' calls cmd_init_fabric when its config does not exist yet.
//  Runs in the main thread of a short-lived command.

#include "cmd.h"

#define S_USAGE \
    "usage: pushfabric init DIR [--base-port N]\n" \
    "\n" \
    "Writes a working single-machine fabric into DIR, creating it if needed:\n" \
    "DIR/fabric.cfg (edge e1, procs p1 and p2, retry r1, all on 127.0.0.1),\n" \
    "a CURVE key pair for each node and for a client, a worker and an admin\n" \
    "under DIR/keys, and DIR/data for the databases. Refuses a DIR that\n" \
    "already holds a fabric.cfg; key pairs already in DIR/keys are kept.\n" \
    "\n" \
    "options:\n" \
    "  --base-port N   first TCP port (default 7600, 1024 to 65000); the\n" \
    "                  fabric uses ports N to N+39\n" \
    "  -v              log more\n" \
    "  -h, --help      print this help\n"

#define S_BASE_PORT_DEFAULT 7600
#define S_BASE_PORT_MIN 1024
#define S_BASE_PORT_MAX 65000

//  Every key pair init makes, and the folder under keys/ of its public part
static const struct {
    const char *name;
    const char *folder;
} s_identities [] = {
    { "e1", "nodes" },
    { "p1", "nodes" },
    { "p2", "nodes" },
    { "r1", "nodes" },
    { "client", "clients" },
    { "worker", "workers" },
    { "admin", "admins" },
};
#define S_IDENTITIES (sizeof s_identities / sizeof s_identities [0])

//  One run of init
typedef struct {
    const char *dir;            //  the fabric's folder, without a trailing '/'
    zlistx_t *made;             //  files and folders this run created, in order
    char *error;                //  why the run failed, one line
} s_run_t;

//  Record the first failure; returns -1 so callers can 'return s_fail (...)'
static int
s_fail (s_run_t *self, const char *format, ...)
{
    if (!self->error) {
        va_list args;
        va_start (args, format);
        self->error = zsys_vprintf (format, args);
        va_end (args);
    }
    return -1;
}

static void
s_made (s_run_t *self, const char *path)
{
    zlistx_add_end (self->made, strdup (path));
}

//  Remove what this run made, newest first; folders are then empty
static void
s_undo (s_run_t *self)
{
    char *path = (char *) zlistx_last (self->made);
    while (path) {
        remove (path);
        path = (char *) zlistx_prev (self->made);
    }
}

static bool
s_exists (const char *path)
{
    struct stat info;
    return lstat (path, &info) == 0;
}

//  Create folder path and its missing parents. A folder that exists is fine
//  as it is, except that a private one (mode 0700) is made private again.
static int
s_mkdir (s_run_t *self, const char *path, mode_t mode)
{
    char *partial = strdup (path);
    char *cursor = partial;
    int rc = 0;
    while (rc == 0) {
        //  Each parent in turn, then path itself
        cursor = strchr (cursor + 1, '/');
        if (cursor)
            *cursor = 0;
        struct stat info;
        if (mkdir (partial, cursor ? 0777 : mode) == 0)
            s_made (self, partial);
        else
        if (errno != EEXIST)
            rc = s_fail (self, "cannot create '%s': %s", partial, strerror (errno));
        else
        if (stat (partial, &info) || !S_ISDIR (info.st_mode))
            rc = s_fail (self, "cannot create '%s': it exists and is not a folder",
                         partial);
        if (!cursor)
            break;
        *cursor = '/';
    }
    //  mkdir applies the umask; a private folder must be exactly 0700
    if (rc == 0 && mode == 0700 && chmod (path, 0700))
        rc = s_fail (self, "cannot make '%s' private: %s", path, strerror (errno));
    free (partial);
    return rc;
}

//  A key of a certificate file, e.g. "curve/public-key", or "" (caller frees)
static char *
s_cert_key (const char *path, const char *key)
{
    zconfig_t *root = zconfig_load (path);
    char *value = strdup (root ? zconfig_get (root, key, "") : "");
    zconfig_destroy (&root);
    return value;
}

//  Save cert's public or secret part as path, which must not exist yet
static int
s_save_cert (s_run_t *self, zcert_t *cert, const char *path, bool secret)
{
    //  Created here rather than by zcert: O_EXCL never overwrites, and a
    //  secret file is private from its first byte. zcert then writes into it.
    int handle = open (path, O_WRONLY | O_CREAT | O_EXCL, secret ? 0600 : 0644);
    if (handle == -1)
        return s_fail (self, "cannot create '%s': %s", path, strerror (errno));
    close (handle);
    s_made (self, path);

    errno = 0;
    int rc = secret ? zcert_save_secret (cert, path) : zcert_save_public (cert, path);
    if (rc)
        return s_fail (self, "cannot write '%s': %s", path,
                       errno ? strerror (errno) : "unknown error");

    //  zconfig_save does not report a failed write (a full disk), so read
    //  the file back, and sync it: fabric.cfg must never outlive its keys
    char *public_key = s_cert_key (path, "curve/public-key");
    char *secret_key = s_cert_key (path, "curve/secret-key");
    bool complete = streq (public_key, zcert_public_txt (cert))
                 && streq (secret_key, secret ? zcert_secret_txt (cert) : "");
    zstr_free (&public_key);
    zstr_free (&secret_key);
    if (!complete)
        return s_fail (self, "cannot write '%s': the file is incomplete", path);
    handle = open (path, O_RDONLY);
    if (handle == -1 || fsync (handle))
        rc = s_fail (self, "cannot write '%s': %s", path, strerror (errno));
    if (handle != -1)
        close (handle);
    return rc;
}

//  Write the key pair of one node or identity: secret/NAME.cert_secret,
//  then FOLDER/NAME.cert. A pair left by an earlier run is kept.
static int
s_identity (s_run_t *self, const char *name, const char *folder)
{
    char *secret_path = zsys_sprintf ("%s/keys/secret/%s.cert_secret", self->dir, name);
    char *public_path = zsys_sprintf ("%s/keys/%s/%s.cert", self->dir, folder, name);
    zcert_t *cert = NULL;
    int rc = 0;
    if (s_exists (secret_path)) {
        char *error = NULL;
        cert = pf_keys_load (secret_path, true, &error);
        if (!cert) {
            rc = s_fail (self, "%s", error);
            zstr_free (&error);
        }
        else
        if (s_exists (public_path)) {
            char *public_key = s_cert_key (public_path, "curve/public-key");
            if (!streq (public_key, zcert_public_txt (cert)))
                rc = s_fail (self, "'%s' does not match '%s'", public_path, secret_path);
            zstr_free (&public_key);
        }
        else
            rc = s_save_cert (self, cert, public_path, false);
    }
    else
    if (s_exists (public_path))
        rc = s_fail (self, "'%s' exists but its key pair '%s' does not",
                     public_path, secret_path);
    else {
        cert = zsys_has_curve () ? zcert_new () : NULL;
        if (!cert)
            rc = s_fail (self, "cannot make a key pair for '%s': libzmq lacks CURVE",
                         secret_path);
        else {
            zcert_set_meta (cert, "name", "%s", name);
            rc = s_save_cert (self, cert, secret_path, true);
            if (rc == 0)
                rc = s_save_cert (self, cert, public_path, false);
        }
    }
    zcert_destroy (&cert);
    zstr_free (&secret_path);
    zstr_free (&public_path);
    return rc;
}

//  The configuration, teaching as it goes (see pushfabric.cfg(5))
static void
s_print_config (FILE *file, int port)
{
    fprintf (file,
        "#   A pushfabric fabric on one machine, written by 'pushfabric init':\n"
        "#   edge e1, procs p1 and p2 and retry r1, on 127.0.0.1 ports %d to %d.\n"
        "#   Start them all with 'pushfabric up -c fabric.cfg' from this folder,\n"
        "#   or one at a time with 'pushfabric edge e1', 'pushfabric proc p1' ...\n"
        "#\n"
        "#   One file describes a whole fabric and each node reads its own\n"
        "#   section, so every machine of a fabric can share one copy: to spread\n"
        "#   the nodes over machines, give each node the address of its machine.\n"
        "#\n"
        "#   The syntax is ZPL, as read by czmq's zconfig: 4 spaces of indentation\n"
        "#   per level, 'key = value', and '#' starts a comment. Quote a value that\n"
        "#   holds a space or a '#'. Relative paths are relative to this file's\n"
        "#   folder. Times are in milliseconds unless said otherwise. Every key\n"
        "#   is described in pushfabric.cfg(5).\n"
        "\n"
        "fabric\n"
        "    #   Messages are spread over this many partitions by their key, and\n"
        "    #   each partition belongs to one proc. Keep it for the life of the\n"
        "    #   fabric: changing it moves keys to other partitions.\n"
        "    partitions = 64\n"
        "    #   Seconds an accepted message id is remembered: a resend of the\n"
        "    #   same id within it is answered DUP, and not stored again.\n"
        "    dedupe-window = 86400\n"
        "    #   Largest payload of one message, in bytes (else NACK TOO_LARGE).\n"
        "    max-payload = 1048576\n"
        "    #   Largest batch (one PUSHB frame) a producer may send, in bytes.\n"
        "    max-batch = 4194304\n"
        "    #   Folder of CURVE certificates: nodes/ holds each node's public\n"
        "    #   certificate, secret/ the key pairs (keep it private), clients/,\n"
        "    #   workers/ and admins/ who may connect. Adding or removing a file\n"
        "    #   there lets someone in or out, without a restart.\n"
        "    keys = keys\n"
        "\n", port, port + 39);
    fprintf (file,
        "#   Edges take messages from producers: they check who is sending,\n"
        "#   validate each message and hand it to the proc of its partition.\n"
        "#   They keep no state; add e2, e3 ... to serve more producers.\n"
        "edge\n"
        "    e1\n"
        "        #   Producers connect here (PF1 client protocol, over CURVE).\n"
        "        frontend = tcp://127.0.0.1:%d\n"
        "        #   Operators connect here, for 'pushfabric stats' (admins/).\n"
        "        control = tcp://127.0.0.1:%d\n"
        "        #   Every push is answered within this time; a push that its\n"
        "        #   proc has not committed by then is answered BUSY, and resent.\n"
        "        reply-timeout = 2000\n"
        "        #   Addresses served, comma-separated; without it, any address\n"
        "        #   is served, except those of an optional 'deny' list, likewise.\n"
        "        allow = 127.0.0.1\n"
        "\n", port, port + 9);
    fprintf (file,
        "#   Procs own the partitions: each keeps its messages in its own SQLite\n"
        "#   database, drops duplicates, and delivers to workers in key order.\n"
        "proc\n"
        "    p1\n"
        "        #   Edges and the retry node hand messages over here.\n"
        "        endpoint = tcp://127.0.0.1:%d\n"
        "        #   Workers connect here (PF1 worker protocol, over CURVE).\n"
        "        workers = tcp://127.0.0.1:%d\n"
        "        #   Operators connect here, for 'pushfabric stats' (admins/).\n"
        "        control = tcp://127.0.0.1:%d\n"
        "        #   The proc's database, one per proc.\n"
        "        db = data/p1.db\n"
        "        #   The partitions this proc owns. Left out, as here, they are\n"
        "        #   spread evenly over the procs without this key, in file order.\n"
        "        # partitions = 0-31\n"
        "        #   normal: a committed message survives the crash of any\n"
        "        #   process; full: it survives a power loss too, but slower.\n"
        "        synchronous = normal\n"
        "        #   relaxed: a message whose delivery failed goes to retry and\n"
        "        #   the next one of its key goes ahead; strict: the key's later\n"
        "        #   messages wait until it is done or dead.\n"
        "        ordering = relaxed\n"
        "        #   Messages accepted and not yet done or dead (waiting, in\n"
        "        #   flight or retrying) beyond which producers are told BUSY.\n"
        "        max-pending = 1000000\n"
        "        #   Messages waiting for a worker kept in memory (about 440\n"
        "        #   bytes each); a backlog beyond them waits on disk, read back\n"
        "        #   in order.\n"
        "        # open-in-memory = 20000\n"
        "        #   A delivery not answered DONE within this counts as failed.\n"
        "        delivery-timeout = 30000\n"
        "        #   A worker silent this long is gone; its deliveries failed.\n"
        "        heartbeat-timeout = 10000\n",
        port + 10, port + 11, port + 19);
    fprintf (file,
        "    p2\n"
        "        #   The same keys as p1, on ports and a database of its own.\n"
        "        endpoint = tcp://127.0.0.1:%d\n"
        "        workers = tcp://127.0.0.1:%d\n"
        "        control = tcp://127.0.0.1:%d\n"
        "        db = data/p2.db\n"
        "        synchronous = normal\n"
        "        ordering = relaxed\n"
        "        max-pending = 1000000\n"
        "        delivery-timeout = 30000\n"
        "        heartbeat-timeout = 10000\n"
        "\n", port + 20, port + 21, port + 29);
    fprintf (file,
        "#   The retry node keeps failed deliveries and hands each back to its\n"
        "#   proc after min(max-delay, base-delay * 2^(attempt - 1)), less up to\n"
        "#   20%% jitter. A message that used max-attempts goes to the dead-letter\n"
        "#   store instead: see 'pushfabric dlq'.\n"
        "retry\n"
        "    r1\n"
        "        #   Procs hand failed deliveries over here.\n"
        "        endpoint = tcp://127.0.0.1:%d\n"
        "        #   Operators connect here, for 'pushfabric stats' and 'dlq'.\n"
        "        control = tcp://127.0.0.1:%d\n"
        "        #   The retry schedule and the dead-letter store.\n"
        "        db = data/r1.db\n"
        "        #   The delay after a first failed attempt, doubled each time.\n"
        "        base-delay = 1000\n"
        "        #   The longest delay (an hour).\n"
        "        max-delay = 3600000\n"
        "        #   Attempts before a message is dead.\n"
        "        max-attempts = 8\n",
        port + 30, port + 39);
}

//  Write dir/fabric.cfg in one step: a whole file or none, never over one
static int
s_write_config (s_run_t *self, const char *path, int port)
{
    char *temporary = zsys_sprintf ("%s/.fabric.cfg.XXXXXX", self->dir);
    int handle = mkstemp (temporary);
    if (handle == -1) {
        s_fail (self, "cannot create '%s': %s", temporary, strerror (errno));
        zstr_free (&temporary);
        return -1;
    }
    FILE *file = fdopen (handle, "w");
    int rc = 0;
    if (file) {
        s_print_config (file, port);
        if (fflush (file) || ferror (file) || fchmod (handle, 0644) || fsync (handle))
            rc = s_fail (self, "cannot write '%s': %s", temporary, strerror (errno));
        if (fclose (file) && rc == 0)
            rc = s_fail (self, "cannot write '%s': %s", temporary, strerror (errno));
    }
    else {
        rc = s_fail (self, "cannot write '%s': %s", temporary, strerror (errno));
        close (handle);
    }
    //  link, unlike rename, fails rather than replace a fabric.cfg that
    //  appeared meanwhile; rename serves file systems without hard links
    if (rc == 0 && link (temporary, path)) {
        if (errno == EEXIST)
            rc = s_fail (self, "'%s' already exists", path);
        else
        if (errno != EPERM && errno != ENOTSUP && errno != ENOSYS && errno != EMLINK)
            rc = s_fail (self, "cannot write '%s': %s", path, strerror (errno));
        else
        if (rename (temporary, path))
            rc = s_fail (self, "cannot write '%s': %s", path, strerror (errno));
    }
    unlink (temporary);
    zstr_free (&temporary);
    return rc;
}

int
cmd_init_fabric (const char *dir, int base_port, char **error)
{
    assert (dir);
    assert (error);
    *error = NULL;
    if (base_port < S_BASE_PORT_MIN || base_port > S_BASE_PORT_MAX) {
        *error = zsys_sprintf ("base port must be from %d to %d, not %d",
                               S_BASE_PORT_MIN, S_BASE_PORT_MAX, base_port);
        return -1;
    }
    if (!*dir) {
        *error = strdup ("no folder given for the fabric");
        return -1;
    }
    //  'fab/' and 'fab' name the same fabric, and the same files
    char *folder = strdup (dir);
    size_t length = strlen (folder);
    while (length > 1 && folder [length - 1] == '/')
        folder [--length] = 0;

    s_run_t run = { folder, zlistx_new (), NULL };
    zlistx_set_destructor (run.made, (zlistx_destructor_fn *) zstr_free);
    char *config_path = zsys_sprintf ("%s/fabric.cfg", folder);
    int rc = 0;
    if (s_exists (config_path))
        rc = s_fail (&run, "'%s' already exists", config_path);
    if (rc == 0)
        rc = s_mkdir (&run, folder, 0777);

    //  Keys, then data, then the config: each step needs the one before
    static const char *folders [] = { "nodes", "clients", "workers", "admins" };
    for (size_t index = 0; rc == 0 && index < sizeof folders / sizeof folders [0]; index++) {
        char *path = zsys_sprintf ("%s/keys/%s", folder, folders [index]);
        rc = s_mkdir (&run, path, 0777);
        zstr_free (&path);
    }
    if (rc == 0) {
        char *path = zsys_sprintf ("%s/keys/secret", folder);
        rc = s_mkdir (&run, path, 0700);
        zstr_free (&path);
    }
    for (size_t index = 0; rc == 0 && index < S_IDENTITIES; index++)
        rc = s_identity (&run, s_identities [index].name, s_identities [index].folder);
    if (rc == 0) {
        char *path = zsys_sprintf ("%s/data", folder);
        rc = s_mkdir (&run, path, 0700);
        zstr_free (&path);
    }
    if (rc == 0)
        rc = s_write_config (&run, config_path, base_port);

    if (rc) {
        s_undo (&run);
        *error = run.error;
    }
    else
        zstr_free (&run.error);
    zlistx_destroy (&run.made);
    zstr_free (&config_path);
    zstr_free (&folder);
    return rc;
}

int
cmd_init (int argc, char **argv)
{
    static const struct option options [] = {
        CMD_COMMON_LONG,
        { "base-port", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL;     //  -c is accepted; init needs none
    long long base_port = S_BASE_PORT_DEFAULT;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        if (cmd_common_option (option, S_USAGE, &config_path))
            continue;
        if (option == 'p')
            base_port = cmd_number (S_USAGE, "--base-port", optarg,
                                    S_BASE_PORT_MIN, S_BASE_PORT_MAX);
        else
        if (optopt == 'p' || optopt == 'c')
            cmd_usage_error (S_USAGE, "option '%s' needs a value", argv [optind - 1]);
        else
            cmd_usage_error (S_USAGE, "unknown option '%s'", argv [optind - 1]);
    }
    if (optind == argc)
        cmd_usage_error (S_USAGE, "init needs the folder DIR to write the fabric into");
    if (argc - optind > 1)
        cmd_usage_error (S_USAGE, "init takes one folder, not '%s' too", argv [optind + 1]);

    const char *dir = argv [optind];
    char *secret = zsys_sprintf ("%s/keys/secret", dir);
    bool had_keys = s_exists (secret);
    zstr_free (&secret);

    char *error = NULL;
    if (cmd_init_fabric (dir, (int) base_port, &error))
        cmd_fatal ("%s", error);
    //  As the user spelled it, so the last line can be pasted
    char *folder = strdup (dir);
    size_t length = strlen (folder);
    while (length > 1 && folder [length - 1] == '/')
        folder [--length] = 0;
    printf ("wrote a single-machine fabric into %s/:\n", folder);
    printf ("  fabric.cfg  edge e1, procs p1 and p2, retry r1 on 127.0.0.1:%lld-%lld\n",
            base_port, base_port + 39);
    printf ("  keys/       key pairs of e1 p1 p2 r1, client, worker and admin%s\n",
            had_keys ? " (existing ones kept)" : "");
    printf ("  data/       the nodes' databases\n");
    printf ("start it with: pushfabric up -c %s/fabric.cfg\n", folder);
    zstr_free (&folder);
    return 0;
}
