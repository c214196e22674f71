//  pf_auth - this process's ZAP handler (an actor on inproc://zeromq.zap.01).
//  Unlike czmq's zauth, which has one certificate store per process, it keeps
//  one per ZAP domain, because a node serves several kinds of peer on
//  different sockets: "clients", "nodes", "workers", "control". Certificate
//  folders are zcertstore disk stores, so adding or removing a file takes
//  effect at the next handshake. A successful handshake sets User-Id to the
//  client's public key (Z85) and the property "topics" to the certificate's
//  "topics" metadata, if any.

#ifndef PF_AUTH_H_INCLUDED
#define PF_AUTH_H_INCLUDED

//  Start with zactor_new (pf_auth, NULL). Commands (zstr_sendx), each
//  answered with a signal (zsock_wait) once in force:
//    "DOMAIN" domain folder[,folder...]     allow CURVE keys found in the folders
//    "ALLOW" domain ip[,ip...]              serve only these addresses
//    "DENY" domain ip[,ip...]               refuse these addresses
void
    pf_auth (zsock_t *pipe, void *args);

//  Configure a domain in one call; returns 0 or -1.
int
    pf_auth_domain (zactor_t *auth, const char *domain, const char *folders);

int
    pf_auth_addresses (zactor_t *auth, const char *command, const char *domain,
                       const char *addresses);

#endif
