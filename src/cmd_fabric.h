//  cmd_fabric - what a command's producer or worker connects to, read from
//  the config: an edge's frontend and public key, every proc's workers
//  endpoint and public key. Errors exit with one line, as commands do.

#ifndef CMD_FABRIC_H_INCLUDED
#define CMD_FABRIC_H_INCLUDED

typedef struct {
    char *name;                 //  the edge's name
    char *endpoint;             //  its frontend
    char *server_public;        //  its public key, Z85
} cmd_fabric_edge_t;

//  Edge name (NULL: the first edge of the config).
void
    cmd_fabric_edge (pf_config_t *config, const char *name, cmd_fabric_edge_t *edge);

void
    cmd_fabric_edge_free (cmd_fabric_edge_t *edge);

//  Every proc's workers endpoint and public key (count of them), and the
//  heartbeat a worker should keep: a third of the shortest heartbeat-timeout.
//  Exits if the fabric has no proc. Free with cmd_fabric_procs_free.
pf_worker_proc_t *
    cmd_fabric_procs (pf_config_t *config, size_t *count, int *heartbeat_ms);

void
    cmd_fabric_procs_free (pf_worker_proc_t **procs_p, size_t count);

#endif
