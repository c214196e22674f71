//  cmd_up - `pushfabric up`: run every node of the config as a child
//  process, restart those that crash, stop them all in a safe order.

#include "cmd.h"
#include "cmd_demo.h"
#include <sys/wait.h>
#include <libgen.h>

static const char *s_usage =
    "usage: pushfabric up [--demo] [--seconds N] [-c FILE] [-v]\n"
    "\n"
    "Starts every node of the configuration (retry nodes, procs, then edges) as child\n"
    "processes and supervises them: a node that exits unexpectedly is restarted with\n"
    "a growing delay. SIGINT or SIGTERM stops the edges first, then the procs, then\n"
    "the retry nodes, so that nothing accepted is lost. It prints one status line per\n"
    "node when a node starts or exits, and every minute. When the configuration file\n"
    "does not exist, up first writes one, as 'pushfabric init' does, in the file's\n"
    "folder (with --demo: retries after 250 ms and dead letters after 4 attempts).\n"
    "\n"
    "options:\n"
    "  --demo              also run a sample producer and worker: orders accepted,\n"
    "                      some failed and retried, a few dead letters, and counts\n"
    "  --seconds N         stop by itself after N seconds\n"
    "  -c, --config FILE   fabric configuration (default $PUSHFABRIC_CONFIG, else ./fabric.cfg)\n"
    "  -v, --verbose       log every message (debug level) in every node\n"
    "  -h, --help          print this help\n";

//  Restart delays double from the first to the last
#define S_RESTART_FIRST_MS  500
#define S_RESTART_MAX_MS    30000
//  The status lines are printed after a change (at most this often) ...
#define S_STATUS_CHANGE_MS  1000
//  ... and at least this often
#define S_STATUS_EVERY_MS   60000

typedef struct {
    const char *role;           //  "edge", "proc"
    const char *name;           //  node name (borrowed from the config)
    pid_t pid;                  //  0 when not running
    int64_t restart_at;         //  when to start it again, 0 = not waiting
    int64_t delay;              //  next restart delay
    int64_t started_at;
    unsigned restarts;          //  times started again after an exit
    char last_exit [24];        //  "signal:9", "status:1"; empty before any
} s_child_t;

typedef struct {
    const char *config_path;
    bool verbose;
    s_child_t *children;
    size_t count;
    bool changed;               //  a node started or exited since the last status
    int64_t status_at;          //  when the status lines were last printed
} s_up_t;

static pid_t
s_spawn (s_up_t *self, s_child_t *child)
{
    pid_t pid = fork ();
    if (pid == 0) {
        //  A group of its own: a terminal's Ctrl-C reaches only us, and we
        //  stop the nodes in a safe order
        setpgid (0, 0);
        char *argv [] = {
            "pushfabric", (char *) child->role, (char *) child->name,
            "-c", (char *) self->config_path, self->verbose ? "-v" : NULL, NULL
        };
        execv ("/proc/self/exe", argv);
        fprintf (stderr, "pushfabric: cannot start %s %s: %s\n", child->role, child->name,
                 strerror (errno));
        _exit (127);
    }
    if (pid > 0) {
        child->pid = pid;
        child->started_at = zclock_mono ();
        self->changed = true;
        pf_notice ("started %s '%s' pid=%d", child->role, child->name, (int) pid);
    }
    else
        pf_error ("cannot fork for %s '%s': %s", child->role, child->name, strerror (errno));
    return pid;
}

static void
s_add_role (s_up_t *self, pf_config_t *config, const char *role)
{
    zlistx_t *names = pf_config_nodes (config, role);
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names)) {
        s_child_t *child = &self->children [self->count++];
        *child = (s_child_t) { .role = role, .name = name, .delay = S_RESTART_FIRST_MS };
    }
}

//  Reap exited children and schedule their restart.
static void
s_reap (s_up_t *self, int64_t now)
{
    int status;
    pid_t pid;
    while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
        for (size_t index = 0; index < self->count; index++) {
            s_child_t *child = &self->children [index];
            if (child->pid != pid)
                continue;
            child->pid = 0;
            self->changed = true;
            snprintf (child->last_exit, sizeof child->last_exit, "%s:%d",
                      WIFSIGNALED (status) ? "signal" : "status",
                      WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status));
            //  A node that ran a while before it died starts from the short delay
            if (now - child->started_at > S_RESTART_MAX_MS)
                child->delay = S_RESTART_FIRST_MS;
            child->restart_at = now + child->delay;
            pf_warning ("%s '%s' exited (%s %d), restarting in %" PRId64 " ms", child->role,
                        child->name, WIFSIGNALED (status) ? "signal" : "status",
                        WIFSIGNALED (status) ? WTERMSIG (status) : WEXITSTATUS (status),
                        child->delay);
            child->delay = child->delay * 2 > S_RESTART_MAX_MS ? S_RESTART_MAX_MS
                                                               : child->delay * 2;
        }
    for (size_t index = 0; index < self->count; index++) {
        s_child_t *child = &self->children [index];
        if (!child->pid && child->restart_at && now >= child->restart_at) {
            child->restart_at = 0;
            child->restarts++;
            s_spawn (self, child);
        }
    }
}

//  One line per node on stdout: "node NAME ROLE running pid=N uptime=Ns
//  restarts=N last_exit=..." or "node NAME ROLE restarting in=Nms ...".
static void
s_status (s_up_t *self, int64_t now)
{
    if (now - self->status_at < (self->changed ? S_STATUS_CHANGE_MS : S_STATUS_EVERY_MS))
        return;
    for (size_t index = 0; index < self->count; index++) {
        s_child_t *child = &self->children [index];
        printf ("node %s %s ", child->name, child->role);
        if (child->pid)
            printf ("running pid=%d uptime=%" PRId64 "s", (int) child->pid,
                    (now - child->started_at) / 1000);
        else
            printf ("restarting in=%" PRId64 "ms",
                    child->restart_at > now ? child->restart_at - now : 0);
        printf (" restarts=%u last_exit=%s\n", child->restarts,
                child->last_exit [0] ? child->last_exit : "-");
    }
    fflush (stdout);
    self->status_at = now;
    self->changed = false;
}

//  SIGTERM every running node of a role and wait for them to exit.
static void
s_stop_role (s_up_t *self, const char *role)
{
    for (size_t index = 0; index < self->count; index++) {
        s_child_t *child = &self->children [index];
        if (child->pid && streq (child->role, role))
            kill (child->pid, SIGTERM);
    }
    for (size_t index = 0; index < self->count; index++) {
        s_child_t *child = &self->children [index];
        if (!child->pid || !streq (child->role, role))
            continue;
        int status;
        if (waitpid (child->pid, &status, 0) == child->pid)
            pf_notice ("%s '%s' stopped", child->role, child->name);
        child->pid = 0;
    }
}

//  ---- Main -----------------------------------------------------------------------

static const char *
s_ensure_config (const char *path, bool demo)
{
    if (access (path, F_OK) == 0)
        return path;
    char *name = strrchr (path, '/');
    if (!streq (name ? name + 1 : path, "fabric.cfg"))
        cmd_fatal ("'%s' does not exist (up writes a new fabric only as DIR/fabric.cfg)", path);
    char *copy = strdup (path);
    char *dir = dirname (copy);
    char *error = NULL;
    if (cmd_init_fabric (dir, 7600, &error) == -1)
        cmd_fatal ("%s", error);
    if (demo && cmd_demo_tune (path) == -1)
        cmd_fatal ("cannot write '%s': %s", path, strerror (errno));
    printf ("wrote a new fabric in %s\n", dir);
    free (copy);
    return path;
}

int
cmd_up (int argc, char **argv)
{
    static struct option options [] = {
        CMD_COMMON_LONG,
        { "demo", no_argument, NULL, 'd' },
        { "seconds", required_argument, NULL, 's' },
        { NULL, 0, NULL, 0 }
    };
    s_up_t self = { 0 };
    const char *config_path = NULL;
    bool demo = false;
    int64_t seconds = 0;
    int option;
    while ((option = getopt_long (argc, argv, CMD_COMMON_SHORT, options, NULL)) != -1) {
        if (option == 'd')
            demo = true;
        else
        if (option == 's')
            seconds = cmd_number (s_usage, "--seconds", optarg, 1, 31536000);
        else {
            if (option == 'v')
                self.verbose = true;
            if (!cmd_common_option (option, s_usage, &config_path))
                cmd_usage_error (s_usage, "unknown option");
        }
    }
    if (optind != argc)
        cmd_usage_error (s_usage, "up takes no arguments");
    self.config_path = s_ensure_config (cmd_config_path (config_path), demo);
    pf_config_t *config = cmd_load_config (self.config_path);
    pf_log_set_node ("up");
    zsys_catch_interrupts ();

    self.children = (s_child_t *) calloc (zlistx_size (pf_config_nodes (config, "edge"))
                                          + zlistx_size (pf_config_nodes (config, "proc"))
                                          + zlistx_size (pf_config_nodes (config, "retry")),
                                          sizeof (s_child_t));
    s_add_role (&self, config, "retry");
    s_add_role (&self, config, "proc");
    s_add_role (&self, config, "edge");
    for (size_t index = 0; index < self.count; index++)
        s_spawn (&self, &self.children [index]);
    cmd_demo_t *sample = demo ? cmd_demo_new (config) : NULL;
    int64_t started = zclock_mono ();
    while (!zsys_interrupted && (!seconds || zclock_mono () - started < seconds * 1000)) {
        s_reap (&self, zclock_mono ());
        s_status (&self, zclock_mono ());
        if (sample) {
            cmd_demo_turn (sample, 100);
            cmd_demo_report (sample, false);
        }
        else
            zclock_sleep (100);
    }
    if (sample) {
        cmd_demo_report (sample, true);
        cmd_demo_destroy (&sample);
    }
    //  Edges first: they answer what is in flight; then the procs commit and
    //  hand over their failures; the retry nodes last, to take them
    s_stop_role (&self, "edge");
    s_stop_role (&self, "proc");
    s_stop_role (&self, "retry");
    free (self.children);
    pf_config_destroy (&config);
    return 0;
}
