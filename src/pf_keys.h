//  pf_keys - the certificate layout under the fabric's keys folder:
//  nodes/NAME.cert, secret/NAME.cert_secret, clients/, workers/, admins/.

#ifndef PF_KEYS_H_INCLUDED
#define PF_KEYS_H_INCLUDED

//  Full path of a folder or file under the keys folder, e.g.
//  pf_keys_path (cfg, "clients"). Caller frees.
char *
    pf_keys_path (pf_config_t *config, const char *relative);

//  The key pair of a node or CLI identity (secret/NAME.cert_secret).
//  Returns NULL and sets *error (caller frees) when missing or unreadable.
zcert_t *
    pf_keys_secret (pf_config_t *config, const char *name, char **error);

//  The public certificate of a node (nodes/NAME.cert), likewise.
zcert_t *
    pf_keys_node (pf_config_t *config, const char *name, char **error);

//  Load a certificate file (public or secret), likewise.
zcert_t *
    pf_keys_load (const char *path, bool need_secret, char **error);

//  True if text is a CURVE public key in Z85 (40 characters that decode).
bool
    pf_keys_valid_public (const char *text);

//  Make socket a CURVE server with cert, authenticated in ZAP domain.
void
    pf_keys_curve_server (zsock_t *socket, zcert_t *cert, const char *domain);

//  Make socket a CURVE client of server_public (Z85) with cert.
void
    pf_keys_curve_client (zsock_t *socket, zcert_t *cert, const char *server_public);

#endif
