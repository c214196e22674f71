//  pf_edge - the edge node: the PF1 client protocol on the frontend.
//  Authenticates clients (CURVE, allow-list folder, IP lists, topic
//  prefixes), validates every record, routes it by partition to the
//  owning proc in MSGS batches, and relays each verdict back to its
//  client, answering BUSY itself when a proc is unreachable or silent
//  past reply-timeout. One thread; no disk state.

#ifndef PF_EDGE_H_INCLUDED
#define PF_EDGE_H_INCLUDED

//  zactor_new (pf_edge, &args) with a pf_node_args_t; then
//  pf_node_wait_ready. $TERM answers every push in flight and returns.
void
    pf_edge (zsock_t *pipe, void *args);

#endif
