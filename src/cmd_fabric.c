//  cmd_fabric - endpoints and keys of a fabric's edges and procs, for commands.

#include "cmd.h"
#include "cmd_fabric.h"

//  The public key of node name, or exit.
static char *
s_public_key (pf_config_t *config, const char *name)
{
    char *error = NULL;
    zcert_t *cert = pf_keys_node (config, name, &error);
    if (!cert)
        cmd_fatal ("%s", error);
    char *key = strdup (zcert_public_txt (cert));
    zcert_destroy (&cert);
    return key;
}

void
cmd_fabric_edge (pf_config_t *config, const char *name, cmd_fabric_edge_t *edge)
{
    if (!name)
        name = (const char *) zlistx_first (pf_config_nodes (config, "edge"));
    const char *role = name ? pf_config_role_of (config, name) : NULL;
    if (!role || !streq (role, "edge"))
        cmd_fatal ("%s: no edge named '%s'", pf_config_path (config), name ? name : "");
    char key [256];
    snprintf (key, sizeof key, "edge/%s/frontend", name);
    edge->name = strdup (name);
    edge->endpoint = strdup (pf_config_str (config, key));
    edge->server_public = s_public_key (config, name);
}

void
cmd_fabric_edge_free (cmd_fabric_edge_t *edge)
{
    free (edge->name);
    free (edge->endpoint);
    free (edge->server_public);
    memset (edge, 0, sizeof *edge);
}

pf_worker_proc_t *
cmd_fabric_procs (pf_config_t *config, size_t *count, int *heartbeat_ms)
{
    zlistx_t *names = pf_config_nodes (config, "proc");
    *count = zlistx_size (names);
    if (*count == 0)
        cmd_fatal ("%s: the fabric has no proc", pf_config_path (config));
    pf_worker_proc_t *procs = (pf_worker_proc_t *) zmalloc (*count * sizeof (pf_worker_proc_t));
    int64_t shortest = INT64_MAX;
    size_t index = 0;
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names), index++) {
        char key [256];
        snprintf (key, sizeof key, "proc/%s/workers", name);
        procs [index].endpoint = strdup (pf_config_str (config, key));
        procs [index].server_public = s_public_key (config, name);
        snprintf (key, sizeof key, "proc/%s/heartbeat-timeout", name);
        int64_t timeout = pf_config_int (config, key);
        if (timeout < shortest)
            shortest = timeout;
    }
    *heartbeat_ms = (int) (shortest / 3 < 1 ? 1 : shortest / 3 > 3600000 ? 3600000
                                                                         : shortest / 3);
    return procs;
}

void
cmd_fabric_procs_free (pf_worker_proc_t **procs_p, size_t count)
{
    pf_worker_proc_t *procs = *procs_p;
    if (!procs)
        return;
    for (size_t index = 0; index < count; index++) {
        free ((char *) procs [index].endpoint);
        free ((char *) procs [index].server_public);
    }
    free (procs);
    *procs_p = NULL;
}
