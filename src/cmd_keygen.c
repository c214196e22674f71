//  cmd_keygen - 'pushfabric keygen NAME': writes a CURVE certificate pair,
//  NAME.cert (public) and NAME.cert_secret (the key pair), for a producer,
//  a worker, an operator or a node. Runs in the main thread.

#include "cmd.h"

#define S_USAGE \
    "usage: pushfabric keygen NAME [--dir D] [--topics P1,P2]\n" \
    "\n" \
    "Writes a CURVE certificate pair into D: NAME.cert, the public part, for a\n" \
    "fabric's keys/clients, keys/workers or keys/admins folder, and\n" \
    "NAME.cert_secret, the key pair (mode 0600), for whoever connects with it.\n" \
    "Never overwrites a file. NAME is letters, digits, '.', '_' and '-'.\n" \
    "\n" \
    "options:\n" \
    "  --dir D          the folder to write into (default: the current one)\n" \
    "  --topics P1,P2   the topic prefixes a producer with this key may push to,\n" \
    "                   recorded as the metadata 'topics' of both files\n" \
    "                   (default: none recorded, so any topic)\n" \
    "  -v               log more\n" \
    "  -h, --help       print this help\n"

//  Longest NAME: NAME.cert_secret must fit a file name, with room to spare
#define S_NAME_MAX 200

//  True if text is 1 to max characters of A-Z a-z 0-9 . _ -
static bool
s_is_name (const char *text, size_t max)
{
    size_t length = strlen (text);
    if (length == 0 || length > max)
        return false;
    return strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789._-") == length;
}

//  True if text is a comma-separated list of one or more topic prefixes
static bool
s_is_topic_list (const char *text)
{
    char *list = strdup (text);
    bool valid = *list && list [strlen (list) - 1] != ',';
    char *rest = list;
    char *prefix;
    while (valid && (prefix = strsep (&rest, ",")))
        valid = s_is_name (prefix, 255);
    free (list);
    return valid;
}

//  Save cert's public or secret part as path, which must not exist yet.
//  Returns 0, or -1 with *error set (caller frees); *made tells whether
//  the file was created, so that a failure can remove it.
static int
s_save_cert (zcert_t *cert, const char *path, bool secret, bool *made, char **error)
{
    //  Created here rather than by zcert: O_EXCL never overwrites, and a
    //  secret file is private from its first byte. zcert then writes into it.
    int handle = open (path, O_WRONLY | O_CREAT | O_EXCL, secret ? 0600 : 0644);
    if (handle == -1) {
        *error = errno == EEXIST ? zsys_sprintf ("'%s' already exists", path)
                                 : zsys_sprintf ("cannot create '%s': %s", path,
                                                 strerror (errno));
        return -1;
    }
    close (handle);
    *made = true;

    errno = 0;
    int rc = secret ? zcert_save_secret (cert, path) : zcert_save_public (cert, path);
    if (rc) {
        *error = zsys_sprintf ("cannot write '%s': %s", path,
                               errno ? strerror (errno) : "unknown error");
        return -1;
    }
    //  zconfig_save does not report a failed write (a full disk): read back
    zconfig_t *root = zconfig_load (path);
    bool complete = root
        && streq (zconfig_get (root, "curve/public-key", ""), zcert_public_txt (cert))
        && streq (zconfig_get (root, "curve/secret-key", ""),
                  secret ? zcert_secret_txt (cert) : "");
    zconfig_destroy (&root);
    if (!complete) {
        *error = zsys_sprintf ("cannot write '%s': the file is incomplete", path);
        return -1;
    }
    return 0;
}

int
cmd_keygen (int argc, char **argv)
{
    static const struct option options [] = {
        CMD_COMMON_LONG,
        { "dir", required_argument, NULL, 'd' },
        { "topics", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL;     //  -c is accepted; keygen needs none
    const char *dir = NULL;
    const char *topics = NULL;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        if (cmd_common_option (option, S_USAGE, &config_path))
            continue;
        if (option == 'd')
            dir = optarg;
        else
        if (option == 't')
            topics = optarg;
        else
        if (optopt == 'd' || optopt == 't' || optopt == 'c')
            cmd_usage_error (S_USAGE, "option '%s' needs a value", argv [optind - 1]);
        else
            cmd_usage_error (S_USAGE, "unknown option '%s'", argv [optind - 1]);
    }
    if (optind == argc)
        cmd_usage_error (S_USAGE, "keygen needs the NAME of the certificate");
    if (argc - optind > 1)
        cmd_usage_error (S_USAGE, "keygen takes one NAME, not '%s' too", argv [optind + 1]);
    const char *name = argv [optind];
    if (!s_is_name (name, S_NAME_MAX))
        cmd_usage_error (S_USAGE, "NAME must be 1 to %d of A-Z a-z 0-9 . _ -, not '%s'",
                         S_NAME_MAX, name);
    if (topics && !s_is_topic_list (topics))
        cmd_usage_error (S_USAGE, "--topics must be comma-separated topic prefixes "
                         "of A-Z a-z 0-9 . _ -, not '%s'", topics);
    if (dir && !*dir)
        cmd_usage_error (S_USAGE, "--dir must name a folder");

    //  'keys/' and 'keys' give the same paths
    char *public_path = NULL;
    if (dir) {
        size_t length = strlen (dir);
        while (length > 1 && dir [length - 1] == '/')
            length--;
        public_path = zsys_sprintf ("%.*s/%s.cert", (int) length, dir, name);
    }
    else
        public_path = zsys_sprintf ("%s.cert", name);
    char *secret_path = zsys_sprintf ("%s_secret", public_path);
    //  Checked before either is written; O_EXCL below settles races
    if (access (public_path, F_OK) == 0)
        cmd_fatal ("'%s' already exists", public_path);
    if (access (secret_path, F_OK) == 0)
        cmd_fatal ("'%s' already exists", secret_path);

    zcert_t *cert = zsys_has_curve () ? zcert_new () : NULL;
    if (!cert)
        cmd_fatal ("cannot make a key pair: libzmq lacks CURVE");
    zcert_set_meta (cert, "name", "%s", name);
    if (topics)
        zcert_set_meta (cert, "topics", "%s", topics);

    //  The secret first: a public file alone would be of no use to anyone
    bool secret_made = false;
    bool public_made = false;
    char *error = NULL;
    if (s_save_cert (cert, secret_path, true, &secret_made, &error) == 0)
        s_save_cert (cert, public_path, false, &public_made, &error);
    if (error) {
        if (public_made)
            unlink (public_path);
        if (secret_made)
            unlink (secret_path);
        cmd_fatal ("%s", error);
    }
    printf ("public certificate: %s\n", public_path);
    printf ("secret certificate: %s\n", secret_path);
    printf ("public key: %s\n", zcert_public_txt (cert));
    zcert_destroy (&cert);
    zstr_free (&public_path);
    zstr_free (&secret_path);
    return 0;
}
