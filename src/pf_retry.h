//  pf_retry - the retry node's socket loop: relays between the network and
//  the core actor (pf_retry_core), which owns the store and all decisions.
//
//  Sockets: the endpoint ROUTER (procs connect a DEALER whose routing id is
//  the proc's name; CURVE, ZAP domain "nodes"), with ZMQ_ROUTER_HANDOVER so
//  that a restarted proc takes its name back, and ZMQ_ROUTER_MANDATORY so
//  that a send to a proc that is not connected fails (the core keeps the
//  message and tries again later); and, when retry/NAME/control is set, the
//  control ROUTER (pf_control).

#ifndef PF_RETRY_H_INCLUDED
#define PF_RETRY_H_INCLUDED

//  zactor_new (pf_retry, &node_args) with pf_node_args_t; reports READY or
//  FAILED reason, runs until $TERM, then commits and answers what it owes.
void
    pf_retry (zsock_t *pipe, void *args);

#endif
