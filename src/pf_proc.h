//  pf_proc - the proc node: owns partitions, dedupes and stores accepted
//  messages, answers each edge's hand-off after the commit.
//
//  Two threads: the socket loop (this actor) relays MSGS from edges to the
//  store actor and VERDICTS back; the store actor owns the SQLite store and
//  runs group commits, so the socket loop never waits on the disk.

#ifndef PF_PROC_H_INCLUDED
#define PF_PROC_H_INCLUDED

//  zactor_new (pf_proc, &args) with a pf_node_args_t; then
//  pf_node_wait_ready. $TERM commits what the store holds, answers every
//  verdict owed, and returns.
void
    pf_proc (zsock_t *pipe, void *args);

#endif
