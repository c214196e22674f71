//  cmd_work - `pushfabric work`: a worker that runs a command once per
//  delivery. The protocol is the public worker API's (pf_worker_*); the
//  config only supplies the procs' endpoints and keys and the heartbeat.
//
//  One command runs at a time, in this thread. While it runs we feed it the
//  payload, collect its stderr (passed through, the tail kept for a FAIL
//  reason) and keep the procs' heartbeats going with pf_worker_heartbeat,
//  so a long command does not make the procs count the worker as lost.

#include "cmd.h"
#include "cmd_fabric.h"
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static const char *s_usage =
    "usage: pushfabric work [--topics P1,P2] [--credit N] -- CMD [ARG...]\n"
    "\n"
    "Serves every proc of the fabric as a worker and runs CMD once per delivery,\n"
    "with the payload on its standard input and PF_ID, PF_TOPIC, PF_ATTEMPT,\n"
    "PF_KEY_HEX (and PF_KEY when the key is printable text) in its environment.\n"
    "Exit status 0 answers DONE; anything else answers FAIL, with the end of the\n"
    "command's standard error as the reason. SIGINT or SIGTERM stops the worker.\n"
    "\n"
    "options:\n"
    "  --topics P1,P2      take only topics starting with one of these prefixes\n"
    "                      (default: every topic)\n"
    "  --credit N          deliveries held at once per proc, 1 to 10000\n"
    "                      (default: the batch size, so 1)\n"
    "  --batch N           take deliveries in batches of up to N, 1 to 10000 (default 1)\n"
    "  --timeout MS        kill CMD after MS milliseconds and answer FAIL (default: none)\n"
    "  --cert FILE         worker key pair (default: KEYS/secret/worker.cert_secret)\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log more (one line per delivery)\n"
    "  -h, --help          print this help\n";

//  Bytes of the command's stderr kept for the FAIL reason.
#define S_TAIL_SIZE     200

typedef struct {
    char **argv;                //  CMD and its arguments
    pf_worker_t *worker;        //  for heartbeats while CMD runs
    int heartbeat_ms;           //  how often to call them
    int timeout_ms;             //  kill CMD after this long; 0 = never
} s_work_t;

//  The last S_TAIL_SIZE bytes of a stream.
typedef struct {
    char data [S_TAIL_SIZE];
    size_t size;
} s_tail_t;

static void
s_tail_add (s_tail_t *tail, const char *data, size_t size)
{
    if (size >= S_TAIL_SIZE) {
        memcpy (tail->data, data + size - S_TAIL_SIZE, S_TAIL_SIZE);
        tail->size = S_TAIL_SIZE;
        return;
    }
    if (tail->size + size > S_TAIL_SIZE) {
        size_t drop = tail->size + size - S_TAIL_SIZE;
        memmove (tail->data, tail->data + drop, tail->size - drop);
        tail->size -= drop;
    }
    memcpy (tail->data + tail->size, data, size);
    tail->size += size;
}

//  The tail as one line of text into reason: from a character boundary,
//  control characters as spaces, trimmed. Returns false if nothing is left.
static bool
s_tail_text (s_tail_t *tail, char *reason, size_t reason_size)
{
    size_t start = 0;
    //  Don't start in the middle of a UTF-8 sequence
    while (start < tail->size && ((byte) tail->data [start] & 0xC0) == 0x80)
        start++;
    size_t size = 0;
    for (size_t index = start; index < tail->size && size + 1 < reason_size; index++) {
        char c = tail->data [index];
        if ((byte) c < 0x20 || c == 0x7F)
            c = ' ';
        if (c == ' ' && (size == 0 || reason [size - 1] == ' '))
            continue;       //  trim, and squeeze runs of blanks
        reason [size++] = c;
    }
    while (size > 0 && reason [size - 1] == ' ')
        size--;
    reason [size] = 0;
    return size > 0;
}

//  ---- The command's environment ---------------------------------------------------

static bool
s_printable (const byte *data, size_t size)
{
    for (size_t index = 0; index < size; index++)
        if (data [index] < 0x20 || data [index] > 0x7E)
            return false;
    return true;
}

static bool
s_ours (const char *entry)
{
    static const char *names [] = {
        "PF_ID=", "PF_TOPIC=", "PF_ATTEMPT=", "PF_KEY=", "PF_KEY_HEX="
    };
    for (size_t index = 0; index < sizeof names / sizeof names [0]; index++)
        if (strncmp (entry, names [index], strlen (names [index])) == 0)
            return true;
    return false;
}

//  Our environment, less any PF_* of ours, plus this delivery's. Built
//  before the spawn: the child may not allocate. Free with s_env_free.
static char **
s_env_new (const pf_delivery_t *delivery)
{
    size_t count = 0;
    while (environ [count])
        count++;
    char **env = (char **) zmalloc ((count + 6) * sizeof (char *));
    size_t size = 0;
    for (size_t index = 0; index < count; index++)
        if (!s_ours (environ [index]))
            env [size++] = strdup (environ [index]);
    const byte *key = (const byte *) delivery->key;
    char *hex = (char *) zmalloc (delivery->key_size * 2 + 1);
    for (size_t index = 0; index < delivery->key_size; index++)
        sprintf (hex + index * 2, "%02x", key [index]);
    env [size++] = zsys_sprintf ("PF_ID=%s", delivery->id);
    env [size++] = zsys_sprintf ("PF_TOPIC=%s", delivery->topic);
    env [size++] = zsys_sprintf ("PF_ATTEMPT=%" PRIu32, delivery->attempt);
    env [size++] = zsys_sprintf ("PF_KEY_HEX=%s", hex);
    if (s_printable (key, delivery->key_size))
        env [size++] = zsys_sprintf ("PF_KEY=%.*s", (int) delivery->key_size,
                                     (const char *) key);
    free (hex);
    return env;
}

static void
s_env_free (char **env)
{
    for (char **entry = env; *entry; entry++)
        free (*entry);
    free (env);
}

//  ---- Running the command -----------------------------------------------------------

//  One run of CMD.
typedef struct {
    pid_t pid;                  //  also its process group
    int input;                  //  our end of its stdin, -1 once closed
    int errors;                 //  our end of its stderr, -1 once closed
    size_t written;             //  payload bytes written to it
    int64_t started;            //  ms
    bool signalled;             //  sent SIGTERM, as we are stopping
    bool timed_out;             //  killed past --timeout
    bool reaped;                //  it has exited; status holds how
    int64_t reaped_at;          //  ms
    int status;                 //  as from waitpid, or -1 with errno
    s_tail_t tail;              //  the end of its stderr
} s_child_t;

//  A process that outlives CMD (`sh -c 'daemon &'`) may hold its stderr:
//  read on this long after CMD exited, then stop.
#define S_STDERR_GRACE_MS   200

//  Start CMD with stdin and stderr on fresh pipes, in a process group of its
//  own, so that a stop or a timeout reaches whatever it started too.
//  Returns 0, or -1 with errno set.
static int
s_spawn (s_work_t *self, const pf_delivery_t *delivery, s_child_t *child)
{
    int in [2], err [2];
    if (pipe (in) == -1)
        return -1;
    if (pipe (err) == -1) {
        int saved = errno;
        close (in [0]);
        close (in [1]);
        errno = saved;
        return -1;
    }
    //  Only the dup2 copies reach the child (no other thread of ours forks)
    for (int index = 0; index < 2; index++) {
        fcntl (in [index], F_SETFD, FD_CLOEXEC);
        fcntl (err [index], F_SETFD, FD_CLOEXEC);
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_adddup2 (&actions, in [0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2 (&actions, err [1], STDERR_FILENO);
    //  The child starts with no signal blocked and SIGPIPE (which we ignore)
    //  back at its default, as from a shell
    posix_spawnattr_t attr;
    posix_spawnattr_init (&attr);
    sigset_t none, defaults;
    sigemptyset (&none);
    sigemptyset (&defaults);
    sigaddset (&defaults, SIGPIPE);
    sigaddset (&defaults, SIGINT);
    sigaddset (&defaults, SIGTERM);
    posix_spawnattr_setsigmask (&attr, &none);
    posix_spawnattr_setsigdefault (&attr, &defaults);
    posix_spawnattr_setpgroup (&attr, 0);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
                                   | POSIX_SPAWN_SETPGROUP);
    char **env = s_env_new (delivery);
    int rc = posix_spawnp (&child->pid, self->argv [0], &actions, &attr, self->argv, env);
    s_env_free (env);
    posix_spawnattr_destroy (&attr);
    posix_spawn_file_actions_destroy (&actions);
    close (in [0]);
    close (err [1]);
    if (rc != 0) {
        close (in [1]);
        close (err [0]);
        errno = rc;
        return -1;
    }
    fcntl (in [1], F_SETFL, fcntl (in [1], F_GETFL) | O_NONBLOCK);
    fcntl (err [0], F_SETFL, fcntl (err [0], F_GETFL) | O_NONBLOCK);
    child->input = in [1];
    child->errors = err [0];
    child->started = zclock_mono ();
    return 0;
}

static void
s_close (int *fd)
{
    if (*fd != -1) {
        close (*fd);
        *fd = -1;
    }
}

//  Between waits: keep the procs' heartbeats going; on SIGINT or SIGTERM
//  pass SIGTERM on, so that we stop soon; past the timeout kill; reap.
static void
s_watch (s_work_t *self, s_child_t *child)
{
    pf_worker_heartbeat (self->worker);
    if (zsys_interrupted && !child->signalled && !child->timed_out) {
        kill (-child->pid, SIGTERM);
        child->signalled = true;
    }
    if (self->timeout_ms && !child->timed_out
    &&  zclock_mono () - child->started >= self->timeout_ms) {
        kill (-child->pid, SIGKILL);
        child->timed_out = true;
    }
    if (!child->reaped) {
        pid_t rc = waitpid (child->pid, &child->status, WNOHANG);
        if (rc == child->pid || (rc == -1 && errno != EINTR)) {
            if (rc == -1)
                child->status = -1;
            child->reaped = true;
            child->reaped_at = zclock_mono ();
        }
    }
}

//  Milliseconds to wait in poll: until the next heartbeat, the timeout, or
//  the end of the stderr grace.
static int
s_poll_ms (s_work_t *self, s_child_t *child)
{
    int64_t wait = self->heartbeat_ms;
    if (self->timeout_ms && !child->timed_out) {
        int64_t left = child->started + self->timeout_ms - zclock_mono ();
        if (left < wait)
            wait = left;
    }
    if (child->reaped && child->reaped_at + S_STDERR_GRACE_MS - zclock_mono () < wait)
        wait = child->reaped_at + S_STDERR_GRACE_MS - zclock_mono ();
    return wait < 0 ? 0 : (int) wait;
}

//  Write more of the payload to CMD's stdin; close it when all is written
//  or CMD does not read it (EPIPE), which is fine.
static void
s_feed (const pf_delivery_t *delivery, s_child_t *child)
{
    ssize_t size = write (child->input, (const byte *) delivery->payload + child->written,
                          delivery->payload_size - child->written);
    if (size > 0)
        child->written += (size_t) size;
    if (child->written == delivery->payload_size
    || (size == -1 && errno != EAGAIN && errno != EINTR))
        s_close (&child->input);
}

//  Read what CMD wrote to stderr: pass it through, so that its messages
//  reach our log, and keep the tail.
static void
s_drain (s_child_t *child)
{
    char buffer [4096];
    ssize_t size = read (child->errors, buffer, sizeof buffer);
    if (size > 0) {
        ssize_t passed = write (STDERR_FILENO, buffer, (size_t) size);
        (void) passed;      //  nowhere to report a failure
        s_tail_add (&child->tail, buffer, (size_t) size);
    }
    else
    if (size == 0 || (errno != EAGAIN && errno != EINTR))
        s_close (&child->errors);
}

//  Feed the payload to CMD and collect its stderr until both are done,
//  then wait for CMD to exit; child->status tells how.
static void
s_converse (s_work_t *self, const pf_delivery_t *delivery, s_child_t *child)
{
    if (delivery->payload_size == 0)
        s_close (&child->input);
    while (child->input != -1 || child->errors != -1) {
        struct pollfd fds [2];
        nfds_t count = 0;
        if (child->input != -1)
            fds [count++] = (struct pollfd) { child->input, POLLOUT, 0 };
        if (child->errors != -1)
            fds [count++] = (struct pollfd) { child->errors, POLLIN, 0 };
        int rc = poll (fds, count, s_poll_ms (self, child));
        for (nfds_t index = 0; rc > 0 && index < count; index++) {
            if (!fds [index].revents)
                continue;
            if (fds [index].fd == child->input)
                s_feed (delivery, child);
            else
                s_drain (child);
        }
        s_watch (self, child);
        if (child->reaped && zclock_mono () - child->reaped_at >= S_STDERR_GRACE_MS) {
            s_close (&child->input);
            s_close (&child->errors);
        }
    }
    //  Its stderr is closed: it has most likely exited, but may run on
    int delay = 1;
    while (!child->reaped) {
        poll (NULL, 0, delay);
        delay = delay < 64 ? delay * 2 : 100;
        s_watch (self, child);
    }
}

//  Why CMD failed: its own words if it wrote any, else what became of it.
static void
s_failure (s_work_t *self, s_child_t *child, char *reason, size_t reason_size)
{
    if (child->timed_out)
        snprintf (reason, reason_size, "'%s' timed out after %d ms", self->argv [0],
                  self->timeout_ms);
    else
    if (s_tail_text (&child->tail, reason, reason_size))
        return;
    else
    if (child->status == -1)
        snprintf (reason, reason_size, "cannot wait for '%s'", self->argv [0]);
    else
    if (WIFSIGNALED (child->status))
        snprintf (reason, reason_size, "'%s' killed by signal %d", self->argv [0],
                  WTERMSIG (child->status));
    else
        snprintf (reason, reason_size, "'%s' exited with status %d", self->argv [0],
                  WEXITSTATUS (child->status));
}

static int
s_handler (const pf_delivery_t *delivery, void *arg, char *reason, size_t reason_size)
{
    s_work_t *self = (s_work_t *) arg;
    s_child_t child = { .input = -1, .errors = -1 };
    int64_t started = zclock_mono ();
    if (s_spawn (self, delivery, &child) == -1) {
        snprintf (reason, reason_size, "cannot run '%s': %s", self->argv [0], strerror (errno));
        pf_warning ("%s", reason);
        return 1;
    }
    s_converse (self, delivery, &child);
    bool done = child.status != -1 && WIFEXITED (child.status)
             && WEXITSTATUS (child.status) == 0;
    if (done)
        pf_debug ("delivery id=%s topic=%s attempt=%" PRIu32 " DONE ms=%" PRId64,
                  delivery->id, delivery->topic, delivery->attempt, zclock_mono () - started);
    else {
        s_failure (self, &child, reason, reason_size);
        pf_debug ("delivery id=%s topic=%s attempt=%" PRIu32 " FAIL ms=%" PRId64 " reason='%s'",
                  delivery->id, delivery->topic, delivery->attempt, zclock_mono () - started,
                  reason);
    }
    return done ? 0 : 1;
}

//  ---- Setting up -------------------------------------------------------------------

//  True if program names an executable file, directly or on the PATH.
static bool
s_executable (const char *program)
{
    if (strchr (program, '/'))
        return access (program, X_OK) == 0;
    const char *path = getenv ("PATH");
    char *copy = strdup (path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    bool found = false;
    for (char *dir = strtok (copy, ":"); dir && !found; dir = strtok (NULL, ":")) {
        char *full = zsys_sprintf ("%s/%s", *dir ? dir : ".", program);
        found = access (full, X_OK) == 0;
        free (full);
    }
    free (copy);
    return found;
}

//  Make sure fds 0 to 2 are open, so that no pipe of ours lands on them.
static void
s_open_std_fds (void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl (fd, F_GETFD) == -1) {
            int null = open ("/dev/null", O_RDWR);
            if (null == -1)
                cmd_fatal ("cannot open /dev/null: %s", strerror (errno));
            if (null != fd) {
                dup2 (null, fd);
                close (null);
            }
        }
}

int
cmd_work (int argc, char **argv)
{
    static struct option options [] = {
        CMD_COMMON_LONG,
        { "topics", required_argument, NULL, 't' },
        { "credit", required_argument, NULL, 'C' },
        { "batch", required_argument, NULL, 'b' },
        { "timeout", required_argument, NULL, 'T' },
        { "cert", required_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 }
    };
    const char *config_path = NULL, *topics = "", *cert_path = NULL;
    long long credit = 0, batch = 1, timeout = 0;
    int option;
    //  "+": stop at CMD, so that its options stay its own
    while ((option = getopt_long (argc, argv, "+" CMD_COMMON_SHORT, options, NULL)) != -1) {
        switch (option) {
            case 't': topics = optarg; break;
            case 'C': credit = cmd_number (s_usage, "--credit", optarg, 1, 10000); break;
            case 'b': batch = cmd_number (s_usage, "--batch", optarg, 1, 10000); break;
            case 'T': timeout = cmd_number (s_usage, "--timeout", optarg, 1, 86400000); break;
            case 'k': cert_path = optarg; break;
            default:
                if (!cmd_common_option (option, s_usage, &config_path))
                    cmd_usage_error (s_usage, "unknown option");
        }
    }
    if (optind >= argc)
        cmd_usage_error (s_usage, "give the command to run, after --");
    if (!credit)
        credit = batch;
    if (batch > credit)
        cmd_usage_error (s_usage, "--batch %lld is above --credit %lld", batch, credit);
    char **command = argv + optind;
    if (!s_executable (command [0]))
        cmd_fatal ("cannot run '%s': not an executable file%s", command [0],
                   strchr (command [0], '/') ? "" : " on the PATH");

    pf_config_t *config = cmd_load_config (cmd_config_path (config_path));
    pf_log_set_node ("work");
    s_open_std_fds ();
    size_t proc_count;
    int heartbeat_ms;
    pf_worker_proc_t *procs = cmd_fabric_procs (config, &proc_count, &heartbeat_ms);
    char *default_cert = pf_keys_path (config, "secret/worker.cert_secret");
    s_work_t self = {
        .argv = command,
        .heartbeat_ms = heartbeat_ms,
        .timeout_ms = (int) timeout
    };
    pf_worker_options_t worker_options = {
        .procs = procs,
        .proc_count = proc_count,
        .cert_path = cert_path ? cert_path : default_cert,
        .topics = topics,
        .credit = (size_t) credit,
        .batch_size = (size_t) batch,
        .heartbeat_ms = heartbeat_ms,
        .handler = s_handler,
        .arg = &self
    };

    //  SIGINT and SIGTERM set zsys_interrupted, in this thread only: libzmq's
    //  threads, started by the first socket, begin with them blocked
    zsys_catch_interrupts ();
    signal (SIGPIPE, SIG_IGN);
    sigset_t signals, previous;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, &previous);
    char *error = NULL;
    self.worker = pf_worker_new (&worker_options, &error);
    pthread_sigmask (SIG_SETMASK, &previous, NULL);
    cmd_fabric_procs_free (&procs, proc_count);
    free (default_cert);
    if (!self.worker)
        cmd_fatal ("%s", error);
    pf_notice ("ready procs=%zu topics='%s' credit=%lld batch=%lld", proc_count, topics,
               credit, batch);

    int rc;
    while ((rc = pf_worker_run (self.worker, -1)) >= 0)
        ;
    int saved = errno;
    if (saved == EINTR)
        pf_notice ("stopping on signal");
    pf_worker_destroy (&self.worker);
    pf_config_destroy (&config);
    if (saved != EINTR)
        cmd_fatal ("worker stopped: %s", strerror (saved));
    return 0;
}
