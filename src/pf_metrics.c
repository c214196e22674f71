//  pf_metrics - GET /metrics over plain HTTP (libmicrohttpd), answered
//  with the node's STATS in the Prometheus text format.

#include "pf_classes.h"
#include <microhttpd.h>

//  A scrape waits this long for the node's answer
#define S_STATS_TIMEOUT_MS  2000
//  Scrapers are few; a flood of connections gets no more than this
#define S_CONNECTION_LIMIT  16
//  Idle HTTP connections are closed after this many seconds
#define S_IDLE_SECONDS      10

struct _pf_metrics_t {
    pf_config_t *config;        //  borrowed; read-only, shared with the node
    char *name;                 //  the node, and the identity it is asked as
    struct MHD_Daemon *daemon;
    char start_error [256];     //  what libmicrohttpd said while starting
    bool started;               //  once true, its messages go to the log
};

static void
s_log (void *cls, const char *format, va_list args)
{
    pf_metrics_t *self = (pf_metrics_t *) cls;
    char text [256];
    vsnprintf (text, sizeof text, format, args);
    text [strcspn (text, "\n")] = 0;
    if (self->started)
        pf_warning ("metrics: %s", text);
    else
        snprintf (self->start_error, sizeof self->start_error, "%s", text);
}

static enum MHD_Result
s_respond (struct MHD_Connection *connection, unsigned int status, const char *type,
           const void *body, size_t size)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer (size, (void *) body, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result result = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return result;
}

static enum MHD_Result
s_text (struct MHD_Connection *connection, unsigned int status, const char *text)
{
    return s_respond (connection, status, "text/plain; charset=utf-8", text, strlen (text));
}

//  The node's stats in the exposition format, or 503 with why not.
static enum MHD_Result
s_scrape (pf_metrics_t *self, struct MHD_Connection *connection)
{
    char *error = NULL;
    zmsg_t *reply = pf_control_call (self->config, self->name, self->name, S_STATS_TIMEOUT_MS,
                                     &error, "STATS", NULL);
    zframe_t *frame = reply ? zmsg_first (reply) : NULL;
    pf_stats_t *stats = frame ? pf_stats_decode (zframe_data (frame), zframe_size (frame))
                              : NULL;
    zmsg_destroy (&reply);
    if (!stats) {
        char *text = zsys_sprintf ("%s\n", error ? error : "the node sent malformed stats");
        enum MHD_Result result = s_text (connection, MHD_HTTP_SERVICE_UNAVAILABLE, text);
        free (text);
        free (error);
        return result;
    }
    pf_buf_t buf = { 0 };
    const char *names [1] = { self->name };
    pf_stats_prometheus (&stats, names, 1, &buf);
    enum MHD_Result result = s_respond (connection, MHD_HTTP_OK,
                                        "text/plain; version=0.0.4; charset=utf-8",
                                        buf.data, buf.size);
    pf_buf_free (&buf);
    pf_stats_destroy (&stats);
    return result;
}

static enum MHD_Result
s_request (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size,
           void **request_state)
{
    (void) version;
    (void) upload_data;
    if (!streq (method, MHD_HTTP_METHOD_GET) && !streq (method, MHD_HTTP_METHOD_HEAD))
        return s_text (connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
    //  The first call only announces the request (headers read); answer on
    //  the next, as libmicrohttpd recommends
    static int announced;
    if (*request_state != &announced) {
        *request_state = &announced;
        return MHD_YES;
    }
    if (*upload_data_size)
        return s_text (connection, MHD_HTTP_BAD_REQUEST, "a GET has no body\n");
    if (!streq (url, "/metrics"))
        return s_text (connection, MHD_HTTP_NOT_FOUND, "only GET /metrics\n");
    return s_scrape ((pf_metrics_t *) cls, connection);
}

pf_metrics_t *
pf_metrics_new (pf_config_t *config, const char *role, const char *name, char **error)
{
    *error = NULL;
    const char *listen = pf_config_node_str (config, role, name, "metrics");
    if (!*listen)
        return NULL;
    if (!*pf_config_node_str (config, role, name, "control")) {
        *error = zsys_sprintf ("%s/%s/metrics needs a control endpoint to ask (set "
                               "%s/%s/control)", role, name, role, name);
        return NULL;
    }
    struct sockaddr_storage address;
    if (pf_config_hostport (listen, &address) == -1) {
        *error = zsys_sprintf ("metrics: '%s' is not ADDRESS:PORT", listen);
        return NULL;
    }
    pf_metrics_t *self = (pf_metrics_t *) zmalloc (sizeof (pf_metrics_t));
    self->config = config;
    self->name = strdup (name);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG
                       | (address.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    self->daemon = MHD_start_daemon (
        flags, 0, NULL, NULL, s_request, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &address,
        MHD_OPTION_EXTERNAL_LOGGER, s_log, self,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) S_CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) S_IDLE_SECONDS,
        MHD_OPTION_END);
    if (!self->daemon) {
        *error = zsys_sprintf ("cannot serve metrics on %s: %s", listen,
                               self->start_error [0] ? self->start_error : "unknown error");
        pf_metrics_destroy (&self);
        return NULL;
    }
    self->started = true;
    pf_notice ("metrics served address=http://%s/metrics", listen);
    return self;
}

void
pf_metrics_destroy (pf_metrics_t **self_p)
{
    pf_metrics_t *self = *self_p;
    if (!self)
        return;
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    free (self->name);
    free (self);
    *self_p = NULL;
}
