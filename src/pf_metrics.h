//  pf_metrics - the optional plain-HTTP endpoint of a node (its `metrics`
//  key, ADDRESS:PORT) that serves GET /metrics in the Prometheus text
//  exposition format, for a scraper.
//
//  libmicrohttpd parses HTTP and runs the listener on a thread of its own.
//  Each scrape asks the node for STATS over the node's own control endpoint
//  (as the node's own identity, whose certificate the control socket
//  accepts), so to the node's socket loop a scrape is one more control
//  request, and nothing here touches the node's counters directly.

#ifndef PF_METRICS_H_INCLUDED
#define PF_METRICS_H_INCLUDED

typedef struct _pf_metrics_t pf_metrics_t;

//  Start serving for node name (of role) when its metrics key is set.
//  Returns NULL with *error NULL when the key is absent, NULL with *error
//  set (one line, caller frees) when it cannot serve: no control endpoint,
//  or the address cannot be bound. The config must outlive the object.
pf_metrics_t *
    pf_metrics_new (pf_config_t *config, const char *role, const char *name, char **error);

//  Stop serving (waits for a scrape in progress) and set *self_p to NULL.
void
    pf_metrics_destroy (pf_metrics_t **self_p);

#endif
