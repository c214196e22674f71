//  pf_config - the fabric configuration file (ZPL, read with czmq's zconfig),
//  checked against one table of known keys (path pattern, type, default,
//  range). Every node, and the CLI, reads the same file.
//  Read-only after load, so it may be shared between threads.

#ifndef PF_CONFIG_H_INCLUDED
#define PF_CONFIG_H_INCLUDED

typedef struct _pf_config_t pf_config_t;

//  Load and check a configuration file. On any problem returns NULL and sets
//  *error to one line naming the file, the line when known, and the problem,
//  e.g. "fabric.cfg:12: unknown key 'proc/p1/max-pendin'" (caller frees).
pf_config_t *
    pf_config_load (const char *path, char **error);

void
    pf_config_destroy (pf_config_t **self_p);

//  The file as given, and its folder (relative paths resolve against it).
const char *
    pf_config_path (pf_config_t *self);
const char *
    pf_config_dir (pf_config_t *self);

//  Values by full path ("proc/p1/max-pending", "fabric/partitions"); a key
//  that is absent gives the table's default. Asking for a path that the
//  table does not know is a programming error (assert).
int64_t
    pf_config_int (pf_config_t *self, const char *path);
//  Borrowed string; "" for an absent optional key without default.
const char *
    pf_config_str (pf_config_t *self, const char *path);
//  The same for a node's key: role/name/key ("proc", "p1", "max-pending").
int64_t
    pf_config_node_int (pf_config_t *self, const char *role, const char *name,
                        const char *key);
const char *
    pf_config_node_str (pf_config_t *self, const char *role, const char *name,
                        const char *key);
//  A path-valued key resolved against the config folder (caller frees).
char *
    pf_config_file (pf_config_t *self, const char *path);

//  Parse an ADDRESS:PORT value (as the metrics key holds: an IPv4 address,
//  [IPv6] or * for every interface). Returns 0, or -1 when text is not one.
int
    pf_config_hostport (const char *text, struct sockaddr_storage *address);

//  Node names of a role ("edge", "proc", "retry") in file order; borrowed
//  list of const char *, empty when the role has no nodes.
zlistx_t *
    pf_config_nodes (pf_config_t *self, const char *role);

//  The role of node name, or NULL when no node has that name.
const char *
    pf_config_role_of (pf_config_t *self, const char *name);

//  Owning proc name for each partition (array of fabric/partitions entries,
//  borrowed). Ownership comes from each proc's "partitions" ranges, the
//  rest spread evenly over the procs without one, in file order.
const char **
    pf_config_partition_owners (pf_config_t *self);

#endif
