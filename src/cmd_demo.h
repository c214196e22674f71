//  cmd_demo - the sample producer and worker of `pushfabric up --demo`:
//  orders pushed at a pace a person can follow, a worker that fails some
//  of them (so retries arrive with rising attempt numbers) and always fails
//  a few (so they end as dead letters), and a running count on stdout.
//  Runs in up's main thread, a little on every turn of its loop.

#ifndef CMD_DEMO_H_INCLUDED
#define CMD_DEMO_H_INCLUDED

typedef struct _cmd_demo_t cmd_demo_t;

//  Connect a producer to the first edge and a worker to every proc, with
//  the identities init wrote. Returns NULL, having logged why, on failure.
cmd_demo_t *
    cmd_demo_new (pf_config_t *config);

//  Push a few orders and serve the connections for about timeout_ms.
void
    cmd_demo_turn (cmd_demo_t *self, int timeout_ms);

//  Print the running count if a second has passed (or always, with force).
void
    cmd_demo_report (cmd_demo_t *self, bool force);

//  Wait (bounded) for the verdicts owed, then close; sets *self_p to NULL.
void
    cmd_demo_destroy (cmd_demo_t **self_p);

//  Make a freshly written fabric quick to show: retries after 250 ms and
//  dead letters after 4 attempts. Returns 0 or -1.
int
    cmd_demo_tune (const char *config_path);

#endif
