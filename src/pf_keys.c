//  pf_keys - the certificate layout under the fabric's keys folder.

#include "pf_classes.h"

char *
pf_keys_path (pf_config_t *config, const char *relative)
{
    char *keys = pf_config_file (config, "fabric/keys");
    char *path = zsys_sprintf ("%s/%s", keys, relative);
    free (keys);
    return path;
}

zcert_t *
pf_keys_load (const char *path, bool need_secret, char **error)
{
    //  zcert_load (X) reads X_secret when it exists, else X
    char *base = strdup (path);
    size_t length = strlen (base);
    if (length > 7 && streq (base + length - 7, "_secret"))
        base [length - 7] = 0;
    zcert_t *cert = NULL;
    if (access (path, R_OK) == 0)
        cert = zcert_load (base);
    free (base);
    if (!cert) {
        *error = zsys_sprintf ("cannot read certificate '%s': %s", path,
                               access (path, R_OK) ? strerror (errno) : "not a certificate");
        return NULL;
    }
    static const byte zero [32] = { 0 };
    if (need_secret && memcmp (zcert_secret_key (cert), zero, 32) == 0) {
        *error = zsys_sprintf ("certificate '%s' holds no secret key", path);
        zcert_destroy (&cert);
    }
    return cert;
}

zcert_t *
pf_keys_secret (pf_config_t *config, const char *name, char **error)
{
    char *relative = zsys_sprintf ("secret/%s.cert_secret", name);
    char *path = pf_keys_path (config, relative);
    zcert_t *cert = pf_keys_load (path, true, error);
    free (relative);
    free (path);
    return cert;
}

zcert_t *
pf_keys_node (pf_config_t *config, const char *name, char **error)
{
    char *relative = zsys_sprintf ("nodes/%s.cert", name);
    char *path = pf_keys_path (config, relative);
    zcert_t *cert = pf_keys_load (path, false, error);
    free (relative);
    free (path);
    return cert;
}

void
pf_keys_curve_server (zsock_t *socket, zcert_t *cert, const char *domain)
{
    zsock_set_zap_domain (socket, domain);
    zcert_apply (cert, socket);
    zsock_set_curve_server (socket, 1);
}

void
pf_keys_curve_client (zsock_t *socket, zcert_t *cert, const char *server_public)
{
    zcert_apply (cert, socket);
    zsock_set_curve_serverkey (socket, server_public);
}

bool
pf_keys_valid_public (const char *text)
{
    static const char alphabet [] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if (!text || strlen (text) != 40)
        return false;
    for (const char *cursor = text; *cursor; cursor++)
        if (!strchr (alphabet, *cursor))
            return false;
    byte key [32];
    return zmq_z85_decode (key, text) != NULL;
}
