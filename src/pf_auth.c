//  pf_auth - the ZAP handler of this process, with one certificate store
//  and one address policy per ZAP domain. Runs as an actor thread; libzmq
//  asks it (over inproc) about every CURVE handshake on our server sockets.

#include "pf_classes.h"

#define PF_AUTH_ENDPOINT "inproc://zeromq.zap.01"

typedef struct {
    char *name;             //  ZAP domain, as set on the sockets
    zlistx_t *stores;       //  zcertstore_t * (disk stores, live reload)
    zhashx_t *allow;        //  addresses served; empty = all
    zhashx_t *deny;         //  addresses refused (when allow is empty)
    pf_log_limit_t refusals;    //  one refusal line a second at most
} s_domain_t;

typedef struct {
    zsock_t *pipe;          //  our actor pipe
    zsock_t *handler;       //  REP bound to the ZAP endpoint
    zhashx_t *domains;      //  name -> s_domain_t
} s_auth_t;

static void
s_domain_destroy (s_domain_t **self_p)
{
    s_domain_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->stores);
    zhashx_destroy (&self->allow);
    zhashx_destroy (&self->deny);
    free (self->name);
    free (self);
    *self_p = NULL;
}

static void
s_store_destroy (void **item)
{
    zcertstore_destroy ((zcertstore_t **) item);
}

static s_domain_t *
s_domain_require (s_auth_t *self, const char *name)
{
    s_domain_t *domain = (s_domain_t *) zhashx_lookup (self->domains, name);
    if (!domain) {
        domain = (s_domain_t *) zmalloc (sizeof (s_domain_t));
        domain->name = strdup (name);
        domain->stores = zlistx_new ();
        zlistx_set_destructor (domain->stores, s_store_destroy);
        domain->allow = zhashx_new ();
        domain->deny = zhashx_new ();
        zhashx_insert (self->domains, name, domain);
    }
    return domain;
}

//  Split a comma-separated list into the keys of a set.
static void
s_fill_set (zhashx_t *set, const char *list)
{
    zhashx_purge (set);
    char *copy = strdup (list);
    for (char *item = strtok (copy, ", "); item; item = strtok (NULL, ", "))
        zhashx_insert (set, item, (void *) 1);
    free (copy);
}

static void
s_handle_command (s_auth_t *self, zmsg_t *command)
{
    char *verb = zmsg_popstr (command);
    char *name = zmsg_popstr (command);
    char *value = zmsg_popstr (command);
    if (name && value) {
        s_domain_t *domain = s_domain_require (self, name);
        if (streq (verb, "DOMAIN")) {
            char *copy = strdup (value);
            for (char *folder = strtok (copy, ","); folder; folder = strtok (NULL, ","))
                zlistx_add_end (domain->stores, zcertstore_new (folder));
            free (copy);
        }
        else
        if (streq (verb, "ALLOW"))
            s_fill_set (domain->allow, value);
        else
        if (streq (verb, "DENY"))
            s_fill_set (domain->deny, value);
    }
    free (verb);
    free (name);
    free (value);
    zsock_signal (self->pipe, 0);
}

//  Log a refusal, at most one line a second per domain.
static void
s_log_refusal (s_domain_t *domain, const char *domain_name, const char *what,
               const char *detail)
{
    size_t suppressed = 0;
    if (domain && !pf_log_limit_pass (&domain->refusals, 1000, &suppressed))
        return;
    pf_warning ("%s refused domain=%s %s suppressed=%zu", what, domain_name, detail,
                suppressed);
}

static bool
s_address_allowed (s_domain_t *domain, const char *address)
{
    if (zhashx_size (domain->allow) > 0)
        return zhashx_lookup (domain->allow, address) != NULL;
    return zhashx_lookup (domain->deny, address) == NULL;
}

static zcert_t *
s_find_cert (s_domain_t *domain, const char *public_text)
{
    zcertstore_t *store = (zcertstore_t *) zlistx_first (domain->stores);
    while (store) {
        zcert_t *cert = zcertstore_lookup (store, public_text);
        if (cert)
            return cert;
        store = (zcertstore_t *) zlistx_next (domain->stores);
    }
    return NULL;
}

//  ZMTP metadata: u8 name length, name, u32 value length, value.
static zframe_t *
s_metadata (zcert_t *cert)
{
    pf_buf_t buf = { 0 };
    const char *topics = zcert_meta (cert, "topics");
    if (topics) {
        pf_buf_put_short (&buf, "topics", 6);
        pf_buf_put_u32 (&buf, (uint32_t) strlen (topics));
        pf_buf_put_bytes (&buf, topics, strlen (topics));
    }
    zframe_t *frame = zframe_new (buf.data, buf.size);
    pf_buf_free (&buf);
    return frame;
}

static void
s_handle_request (s_auth_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain_name = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *key = zmsg_pop (request);

    s_domain_t *domain = domain_name ? (s_domain_t *) zhashx_lookup (self->domains, domain_name) : NULL;
    char public_text [41] = "";
    if (key && zframe_size (key) == 32)
        zmq_z85_encode (public_text, zframe_data (key), 32);
    zcert_t *cert = NULL;
    const char *refusal = NULL;
    if (!domain || !mechanism || !streq (mechanism, "CURVE") || !*public_text)
        refusal = "peer without CURVE";
    else
    if (!s_address_allowed (domain, address))
        refusal = "address";
    else
    if (!(cert = s_find_cert (domain, public_text)))
        refusal = "key";
    if (refusal) {
        char detail [128];
        snprintf (detail, sizeof detail, "address=%s key=%s", address ? address : "",
                  *public_text ? public_text : "-");
        s_log_refusal (domain, domain_name ? domain_name : "", refusal, detail);
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence ? sequence : "");
    zmsg_addstr (reply, refusal ? "400" : "200");
    zmsg_addstr (reply, refusal ? "refused" : "OK");
    zmsg_addstr (reply, refusal ? "" : public_text);
    zframe_t *metadata = cert ? s_metadata (cert) : zframe_new_empty ();
    zmsg_append (reply, &metadata);
    zmsg_send (&reply, self->handler);

    free (version);
    free (sequence);
    free (domain_name);
    free (address);
    free (mechanism);
    zframe_destroy (&identity);
    zframe_destroy (&key);
    zmsg_destroy (&request);
}

static void
s_domain_free (void **item)
{
    s_domain_destroy ((s_domain_t **) item);
}

void
pf_auth (zsock_t *pipe, void *args)
{
    s_auth_t self = { .pipe = pipe };
    self.handler = zsock_new (ZMQ_REP);
    if (!self.handler || zsock_bind (self.handler, PF_AUTH_ENDPOINT) != 0) {
        pf_error ("cannot bind ZAP handler: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&self.handler);
        zsock_signal (pipe, 1);
        return;
    }
    self.domains = zhashx_new ();
    zhashx_set_destructor (self.domains, s_domain_free);
    zsock_signal (pipe, 0);

    zpoller_t *poller = zpoller_new (pipe, self.handler, NULL);
    zpoller_set_nonstop (poller, true);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe) {
            zmsg_t *command = zmsg_recv (pipe);
            if (!command)
                break;
            char *verb = zmsg_popstr (command);
            bool terminate = !verb || streq (verb, "$TERM");
            if (!terminate) {
                zmsg_pushstr (command, verb);
                s_handle_command (&self, command);
            }
            free (verb);
            zmsg_destroy (&command);
            if (terminate)
                break;
        }
        else
        if (which == self.handler)
            s_handle_request (&self);
        else
            break;
    }
    zpoller_destroy (&poller);
    zhashx_destroy (&self.domains);
    zsock_destroy (&self.handler);
}

int
pf_auth_domain (zactor_t *auth, const char *domain, const char *folders)
{
    zstr_sendx (auth, "DOMAIN", domain, folders, NULL);
    return zsock_wait (auth) == 0 ? 0 : -1;
}

int
pf_auth_addresses (zactor_t *auth, const char *command, const char *domain,
                   const char *addresses)
{
    zstr_sendx (auth, command, domain, addresses, NULL);
    return zsock_wait (auth) == 0 ? 0 : -1;
}
