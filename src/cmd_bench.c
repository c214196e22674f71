//  cmd_bench - `pushfabric bench`: push as fast as a window allows through a
//  fabric (its own, started here as child processes, or one given with -c)
//  and report accepted/s and accept latency next to a baseline measured in
//  the same run: a plain libzmq CURVE DEALER-to-ROUTER loop in this process;
//  with --floor, also the same loop through a relay process to an echo
//  process, the floor of any design with an edge in front of a proc.
//  With --workers, worker threads (pf_worker_t) answer DONE at once, for
//  done/s, the backlog and the end-to-end latency (push to DONE).
//
//  Threads: the main thread starts and stops the nodes, and waits; each
//  producer (pf_producer_t), each worker (pf_worker_t) and each baseline
//  client and server has a thread of its own; the relay and echo of --floor
//  are child processes, forked before anything else. Only the main thread
//  exits: the others report their errors in their results, so no socket is
//  open in another thread when exit runs czmq's shutdown.
//
//  End-to-end latency: each payload starts with the producer's send time
//  (monotonic microseconds, 8 bytes big-endian), taken when the message
//  enters the producer's window; the worker that handles it records its own
//  clock less that stamp. Producers and workers share this process's clock.

#include "cmd.h"
#include "cmd_fabric.h"
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *s_usage =
    "usage: pushfabric bench [-c FILE] [--producers N] [--window W] [--size S] "
    "[--count C | --seconds T] [--single] [--dup-share F] [--sync normal|full] "
    "[--workers N [--worker-batch B] [--worker-credit C]] [--prefill N] [--restart-proc] "
    "[--no-baseline] [--floor] [--json]\n"
    "\n"
    "Measures how fast a fabric accepts messages: N producer threads, each keeping\n"
    "W messages in flight through the C producer API, push random UUIDv4 ids with\n"
    "S-byte payloads for T seconds (or C messages each). Reports accepted/s and the\n"
    "latency from push to verdict, next to a baseline measured in the same run with\n"
    "the same N, W and S: a plain libzmq CURVE DEALER-to-ROUTER loop that answers\n"
    "every message with a one-frame ack. Also reports each process's CPU time and\n"
    "peak memory. With --workers, worker threads answer DONE at once: bench then\n"
    "reports done/s, the backlog and the latency from push to DONE.\n"
    "\n"
    "Without -c, bench writes a fabric of its own into a temporary folder (under\n"
    "$TMPDIR, else /tmp) on free ports, starts its nodes, and stops them and removes\n"
    "the folder at the end. $PUSHFABRIC_CONFIG is not used.\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   bench a running fabric: its first edge, with the client\n"
    "                      key pair KEYS/secret/client.cert_secret\n"
    "  --producers N       producer threads, each with its own connection (default 1)\n"
    "  --window W          messages in flight per producer (default 1000)\n"
    "  --size S            payload bytes (default 100)\n"
    "  --count C           messages per producer\n"
    "  --seconds T         push for T seconds (default 5)\n"
    "  --single            one PUSH per message instead of PUSHB batches\n"
    "  --dup-share F       fraction 0 to 1 of pushes that resend an accepted id (default 0)\n"
    "  --sync normal|full  the procs' synchronous setting (own fabric only)\n"
    "  --workers N         worker threads answering DONE at once (default 0); needs S >= 8\n"
    "  --worker-batch B    records per delivery batch of each worker (default 100)\n"
    "  --worker-credit C   deliveries each worker holds per proc (default 1000)\n"
    "  --prefill N         push N messages (batch form) before the measurement, so that\n"
    "                      N ids are inside the dedupe window (default 0)\n"
    "  --restart-proc      after the measurement, restart proc p1 and time it until\n"
    "                      ready (own fabric only)\n"
    "  --no-baseline       skip the baseline\n"
    "  --floor             also run the same loop through a relay process to an echo\n"
    "                      process, CURVE on both hops and no work: what any design\n"
    "                      with an edge in front of a proc costs at least, per message\n"
    "  --json              print one JSON object instead of a table\n"
    "  -v, --verbose       log more\n"
    "  -h, --help          print this help\n";

//  Node roles, in start order; they stop in the reverse order, as `up` does.
//  The retry node runs only with workers: without them no delivery fails.
static const char *s_roles_plain [] = { "proc", "edge" };
static const char *s_roles_workers [] = { "retry", "proc", "edge" };

#define S_PRODUCERS_MAX     256
#define S_READY_TIMEOUT_MS  30000   //  for every node's "ready" line
#define S_STOP_TIMEOUT_MS   20000   //  for a node to exit after SIGTERM
#define S_PING_TIMEOUT_MS   10000   //  for the edge to answer a PING
#define S_WARMUP_MESSAGES   100     //  per producer, before the clock starts
#define S_WARMUP_TIMEOUT_MS 20000
#define S_FLUSH_TIMEOUT_MS  90000   //  after the last push (> the producer's deadline)
#define S_STALL_TIMEOUT_MS  10000   //  baseline, floor: no ack for this long is an error
#define S_DUP_POOL          4096    //  accepted ids kept per producer for --dup-share
#define S_ACK_SIZE          36      //  baseline ack: as long as a UUID
#define S_WORKERS_MAX       256
#define S_STAMP_SIZE        8       //  the send time at the head of each payload
#define S_PREFILL_WINDOW    1000    //  at least this many prefill pushes in flight
#define S_SETTLE_TIMEOUT_MS 300000  //  for the backlog to drain before measuring
#define S_DRAIN_TIMEOUT_MS  120000  //  for the measured messages to be done, after
#define S_STALL_DONE_MS     20000   //  workers: no DONE for this long with a backlog
#define S_RESTART_TIMEOUT_MS 600000 //  --restart-proc: for p1's ready line

//  ---- Parameters and results ---------------------------------------------------

typedef struct {
    const char *config_path;    //  -c: a running fabric; NULL: our own
    size_t producers;
    size_t window;
    size_t size;
    uint64_t count;             //  messages per producer; 0: by time
    int64_t seconds;            //  when count is 0
    bool single;
    double dup_share;
    const char *sync;           //  own fabric: "normal" or "full"
    bool baseline;
    bool floor;                 //  also measure the two-hop floor
    bool json;
    size_t workers;             //  worker threads; 0: none
    size_t worker_batch;        //  records per DELIVERB
    size_t worker_credit;       //  deliveries held per proc
    uint64_t prefill;           //  messages pushed before the measurement
    bool restart_proc;          //  restart p1 after the measurement
} s_params_t;

//  One run's figures, of the fabric or of the baseline
typedef struct {
    uint64_t accepted;          //  ACK (baseline: acks)
    uint64_t duplicates;        //  DUP
    uint64_t refused;           //  NACK
    uint64_t failed;            //  no final verdict ('E')
    double seconds;             //  wall time of the measurement
    pf_hist_t *latency;         //  accept latency, usecs
    double cpu_s;               //  this process's CPU time meanwhile
    //  With workers (fabric only)
    uint64_t done;              //  DONEs answered during the measurement
    double done_seconds;        //  from the start until done was counted
    int64_t backlog_start;      //  accepted and not yet done, at the start
    int64_t backlog_end;        //  and at the end of the measurement
    double drain_s;             //  from the end until every message was done; NAN: not
    uint64_t redelivered;       //  deliveries with attempt > 1
    pf_hist_t *e2e;             //  push to DONE, usecs, of the measured messages
    //  --prefill
    double prefill_s;           //  wall time of the prefill
} s_result_t;

//  --restart-proc
typedef struct {
    const char *label;          //  "proc/p1"; NULL: not done
    double stop_s;              //  from SIGTERM until it exited
    double ready_s;             //  from its start until its ready line
    int64_t remembered;         //  ids it remembers, from its store-open line; -1 unknown
    long peak_rss_kb;           //  its VmHWM once ready
} s_restart_t;

//  A node we started
typedef struct {
    const char *role;
    char *name;
    char *label;                //  "proc/p1"
    char *log_path;             //  its stderr
    pid_t pid;                  //  0 once reaped
    int status;                 //  its wait status, once reaped
    bool ready;
    double cpu_start;           //  CPU seconds when the measurement started
    double cpu_s;               //  during the measurement
    long peak_rss_kb;           //  VmHWM just before it was stopped
} s_node_t;

//  Our own fabric; a static so that an exit anywhere stops its nodes
typedef struct {
    char *dir;                  //  the temporary folder, removed at the end
    char *config_path;          //  its fabric.cfg
    const char **roles;         //  in start order
    size_t role_count;
    s_node_t *nodes;
    size_t count;
} s_fabric_t;

static s_fabric_t s_fabric;

//  ---- Process figures from /proc -------------------------------------------------

//  CPU seconds (user + system) of pid, 0 for this process; -1 if unknown.
//  The kernel's CPU clock counts nanoseconds; /proc's utime and stime count
//  ticks of 10 ms, too coarse for a short run of a lightly loaded process.
static double
s_cpu_seconds (pid_t pid)
{
    clockid_t clock = CLOCK_PROCESS_CPUTIME_ID;
    if (pid && clock_getcpuclockid (pid, &clock) != 0)
        return -1;
    struct timespec now;
    if (clock_gettime (clock, &now) != 0)
        return -1;
    return (double) now.tv_sec + (double) now.tv_nsec / 1e9;
}

//  Peak resident memory (VmHWM) of pid, 0 for this process, in KiB; -1 if unknown.
static long
s_peak_rss_kb (pid_t pid)
{
    char path [64];
    if (pid)
        snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    else
        snprintf (path, sizeof path, "/proc/self/status");
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [256];
    long value = -1;
    while (fgets (line, sizeof line, file))
        if (sscanf (line, "VmHWM: %ld kB", &value) == 1)
            break;
    fclose (file);
    return value;
}

//  ---- Our own fabric -------------------------------------------------------------

//  The lowest port the kernel gives out for outgoing connections; 32768
//  when it cannot be read.
static int
s_ephemeral_low (void)
{
    int low = 32768, high = 0;
    FILE *file = fopen ("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (file) {
        if (fscanf (file, "%d %d", &low, &high) != 2)
            low = 32768;
        fclose (file);
    }
    return low;
}

//  True if the 40 ports from base can all be bound on 127.0.0.1.
static bool
s_ports_free (int base)
{
    int sockets [40];
    int bound = 0;
    for (; bound < 40; bound++) {
        sockets [bound] = socket (AF_INET, SOCK_STREAM, 0);
        if (sockets [bound] == -1)
            break;
        struct sockaddr_in address = { .sin_family = AF_INET };
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        address.sin_port = htons ((uint16_t) (base + bound));
        if (bind (sockets [bound], (struct sockaddr *) &address, sizeof address)) {
            close (sockets [bound]);
            break;
        }
    }
    for (int index = 0; index < bound; index++)
        close (sockets [index]);
    return bound == 40;
}

//  A base port whose 40 ports are free, below the ephemeral range: a node
//  restarted by --restart-proc must find its port again, and an outgoing
//  connection (even one of our own, connecting to that very port while the
//  node is down, which loopback can turn into a connection to itself) may
//  take any port inside the range.
static int
s_free_port_base (void)
{
    int low = s_ephemeral_low ();
    if (low < 10000 + 40 * 2)
        return -1;
    for (int attempt = 0; attempt < 100; attempt++) {
        int base = 10000 + (int) randombytes_uniform ((uint32_t) (low - 10000 - 40));
        if (s_ports_free (base))
            return base;
    }
    return -1;
}

//  Remove path and, for a folder, everything under it (symbolic links are
//  removed, not followed).
static void
s_remove_tree (const char *path)
{
    struct stat info;
    if (lstat (path, &info))
        return;
    if (S_ISDIR (info.st_mode)) {
        DIR *dir = opendir (path);
        struct dirent *entry;
        while (dir && (entry = readdir (dir))) {
            if (streq (entry->d_name, ".") || streq (entry->d_name, ".."))
                continue;
            char *child = zsys_sprintf ("%s/%s", path, entry->d_name);
            s_remove_tree (child);
            zstr_free (&child);
        }
        if (dir)
            closedir (dir);
    }
    remove (path);
}

//  The last line of a node's log, to explain why it did not start (caller frees).
static char *
s_last_line (const char *path)
{
    FILE *file = fopen (path, "r");
    char line [512], last [512] = "no output";
    if (file) {
        while (fgets (line, sizeof line, file)) {
            line [strcspn (line, "\n")] = 0;
            if (*line)
                strcpy (last, line);
        }
        fclose (file);
    }
    return strdup (last);
}

//  The first line of a node's log from byte offset on that holds needle, or
//  NULL (caller frees).
static char *
s_log_find (const char *path, long offset, const char *needle)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char line [512];
    char *found = NULL;
    if (fseek (file, offset, SEEK_SET) == 0)
        while (!found && fgets (line, sizeof line, file))
            if (strstr (line, needle))
                found = strdup (line);
    fclose (file);
    return found;
}

static bool
s_log_says_ready (const char *path, long offset)
{
    char *line = s_log_find (path, offset, " ready ");
    free (line);
    return line != NULL;
}

//  The size of a file, 0 if it cannot be read.
static long
s_file_size (const char *path)
{
    struct stat info;
    return stat (path, &info) == 0 ? (long) info.st_size : 0;
}

//  Stop every node still running: SIGTERM by role (edges first, so that what
//  they hold is answered, then procs), each bounded, then SIGKILL.
static void
s_fabric_stop (void)
{
    for (size_t role = s_fabric.role_count; role-- > 0;) {
        for (size_t index = 0; index < s_fabric.count; index++) {
            s_node_t *node = &s_fabric.nodes [index];
            if (node->pid && streq (node->role, s_fabric.roles [role]))
                kill (node->pid, SIGTERM);
        }
        int64_t until = zclock_mono () + S_STOP_TIMEOUT_MS;
        for (size_t index = 0; index < s_fabric.count; index++) {
            s_node_t *node = &s_fabric.nodes [index];
            if (!node->pid || !streq (node->role, s_fabric.roles [role]))
                continue;
            while (waitpid (node->pid, &node->status, WNOHANG) == 0) {
                if (zclock_mono () > until) {
                    pf_warning ("%s did not stop in time, killing it", node->label);
                    kill (node->pid, SIGKILL);
                    waitpid (node->pid, &node->status, 0);
                    break;
                }
                zclock_sleep (10);
            }
            node->pid = 0;
        }
    }
}

//  At exit, however we get there: stop the nodes and remove the folder.
static void
s_fabric_cleanup (void)
{
    s_fabric_stop ();
    if (s_fabric.dir)
        s_remove_tree (s_fabric.dir);
    for (size_t index = 0; index < s_fabric.count; index++) {
        s_node_t *node = &s_fabric.nodes [index];
        free (node->name);
        free (node->label);
        free (node->log_path);
    }
    free (s_fabric.nodes);
    free (s_fabric.dir);
    free (s_fabric.config_path);
    memset (&s_fabric, 0, sizeof s_fabric);
}

//  Set a key of every proc in the config file.
static void
s_set_proc_key (const char *config_path, const char *key, const char *value)
{
    zconfig_t *root = zconfig_load (config_path);
    if (!root)
        cmd_fatal ("cannot read '%s'", config_path);
    zconfig_t *procs = zconfig_locate (root, "proc");
    for (zconfig_t *proc = procs ? zconfig_child (procs) : NULL; proc;
         proc = zconfig_next (proc))
        zconfig_putf (proc, key, "%s", value);
    if (zconfig_save (root, config_path))
        cmd_fatal ("cannot write '%s': %s", config_path, strerror (errno));
    zconfig_destroy (&root);
}

//  In a child just forked from parent: get a SIGTERM when the parent dies,
//  and exit at once if it already has.
static void
s_child_of (pid_t parent)
{
    prctl (PR_SET_PDEATHSIG, SIGTERM);
    if (getppid () != parent)
        _exit (1);
}

static void
s_spawn (s_node_t *node, const char *config_path)
{
    int log = open (node->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
    if (log == -1 || null == -1)
        cmd_fatal ("cannot open '%s': %s", node->log_path, strerror (errno));
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        //  A group of its own, so that a terminal's Ctrl-C reaches only us and
        //  we stop the nodes in order
        setpgid (0, 0);
        s_child_of (parent);
        dup2 (null, STDIN_FILENO);
        dup2 (null, STDOUT_FILENO);
        dup2 (log, STDERR_FILENO);
        char *argv [] = {
            "pushfabric", (char *) node->role, node->name, "-c", (char *) config_path, NULL
        };
        execv ("/proc/self/exe", argv);
        static const char message [] = "pushfabric: bench cannot start a node\n";
        if (write (STDERR_FILENO, message, sizeof message - 1)) {}
        _exit (127);
    }
    close (log);
    close (null);
    if (pid == -1)
        cmd_fatal ("cannot start %s: %s", node->label, strerror (errno));
    setpgid (pid, pid);
    node->pid = pid;
}

//  Write a fabric into a temporary folder, start its nodes and wait until
//  each has logged its ready line. Returns the config path (caller frees).
static char *
s_fabric_start (const s_params_t *params)
{
    const char *tmp = getenv ("TMPDIR");
    s_fabric.dir = zsys_sprintf ("%s/pfbench.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (s_fabric.dir)) {
        char *dir = s_fabric.dir;
        s_fabric.dir = NULL;
        cmd_fatal ("cannot create '%s': %s", dir, strerror (errno));
    }
    int base = s_free_port_base ();
    if (base == -1)
        cmd_fatal ("cannot find 40 free TCP ports on 127.0.0.1");
    char *error = NULL;
    if (cmd_init_fabric (s_fabric.dir, base, &error))
        cmd_fatal ("%s", error);
    char *config_path = zsys_sprintf ("%s/fabric.cfg", s_fabric.dir);
    s_fabric.config_path = strdup (config_path);
    s_set_proc_key (config_path, "synchronous", params->sync);
    //  Without workers every accepted message stays pending: let a long run
    //  measure acceptance, not the backlog limit. With workers the default
    //  holds, as a real fabric has it
    if (params->workers == 0)
        s_set_proc_key (config_path, "max-pending", "1000000000");
    pf_config_t *config = cmd_load_config (config_path);
    zlistx_t *procs = pf_config_nodes (config, "proc");
    for (const char *name = (const char *) zlistx_first (procs); name;
         name = (const char *) zlistx_next (procs)) {
        char key [256];
        snprintf (key, sizeof key, "proc/%s/synchronous", name);
        if (!streq (pf_config_str (config, key), params->sync))
            cmd_fatal ("%s: cannot set %s to %s", config_path, key, params->sync);
    }

    if (params->workers) {
        s_fabric.roles = s_roles_workers;
        s_fabric.role_count = sizeof s_roles_workers / sizeof s_roles_workers [0];
    }
    else {
        s_fabric.roles = s_roles_plain;
        s_fabric.role_count = sizeof s_roles_plain / sizeof s_roles_plain [0];
    }
    size_t total = 0;
    for (size_t role = 0; role < s_fabric.role_count; role++)
        total += zlistx_size (pf_config_nodes (config, s_fabric.roles [role]));
    s_fabric.nodes = (s_node_t *) zmalloc (total * sizeof (s_node_t));
    for (size_t role = 0; role < s_fabric.role_count; role++) {
        zlistx_t *names = pf_config_nodes (config, s_fabric.roles [role]);
        for (const char *name = (const char *) zlistx_first (names); name;
             name = (const char *) zlistx_next (names)) {
            s_node_t *node = &s_fabric.nodes [s_fabric.count++];
            node->role = s_fabric.roles [role];
            node->name = strdup (name);
            node->label = zsys_sprintf ("%s/%s", s_fabric.roles [role], name);
            node->log_path = zsys_sprintf ("%s/%s.log", s_fabric.dir, name);
            s_spawn (node, config_path);
        }
    }
    pf_config_destroy (&config);

    int64_t until = zclock_mono () + S_READY_TIMEOUT_MS;
    size_t ready = 0;
    while (ready < s_fabric.count) {
        if (zsys_interrupted)
            cmd_fatal ("interrupted");
        for (size_t index = 0; index < s_fabric.count; index++) {
            s_node_t *node = &s_fabric.nodes [index];
            if (node->ready)
                continue;
            if (s_log_says_ready (node->log_path, 0)) {
                node->ready = true;
                ready++;
                continue;
            }
            if (waitpid (node->pid, NULL, WNOHANG) == node->pid) {
                node->pid = 0;
                cmd_fatal ("%s did not start: %s", node->label, s_last_line (node->log_path));
            }
            if (zclock_mono () > until)
                cmd_fatal ("%s not ready after %d s: %s", node->label,
                           S_READY_TIMEOUT_MS / 1000, s_last_line (node->log_path));
        }
        if (ready < s_fabric.count)
            zclock_sleep (20);
    }
    return config_path;
}

//  ---- Producers ------------------------------------------------------------------

//  What the producer and worker threads need to connect
typedef struct {
    char *endpoint;             //  the edge's frontend
    char *edge;                 //  its name, for messages
    char *server_public;        //  its public key, Z85
    char *cert_path;            //  our key pair
    pf_worker_proc_t *procs;    //  every proc's workers endpoint and public key (owned)
    size_t proc_count;
    char *worker_cert_path;     //  the workers' key pair
    int heartbeat_ms;           //  for the workers: a third of the shortest heartbeat-timeout
} s_target_t;

//  Monotonic microseconds: the clock of the payload stamps, shared by the
//  producer and worker threads of this process
static int64_t
s_mono_us (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static void
s_stamp_put (byte *payload, int64_t value)
{
    uint64_t bits = (uint64_t) value;
    for (int index = S_STAMP_SIZE - 1; index >= 0; index--) {
        payload [index] = (byte) bits;
        bits >>= 8;
    }
}

static int64_t
s_stamp_get (const byte *payload)
{
    uint64_t bits = 0;
    for (int index = 0; index < S_STAMP_SIZE; index++)
        bits = bits << 8 | payload [index];
    return (int64_t) bits;
}

//  The start line of the threads of one measurement
typedef struct {
    pthread_barrier_t prefill_ready;    //  --prefill: every thread connected
    pthread_barrier_t prefill_go;       //  the main thread has taken the prefill start
    pthread_barrier_t ready;    //  every thread warmed up; the main thread too
    pthread_barrier_t go;       //  the main thread has taken the start time
    volatile bool abort;        //  set before a go: don't go on, just leave
    int64_t deadline;           //  usecs, by time; else 0
} s_start_t;

typedef struct {
    const s_params_t *params;
    const s_target_t *target;
    s_start_t *start;
    pthread_t thread;
    uint64_t seed;              //  xorshift state
    bool measuring;             //  past the warm-up
    char (*pool) [37];          //  accepted ids, for --dup-share
    size_t pool_size;
    uint64_t answered;          //  final verdicts, warm-up and prefill included
    uint64_t accepted_total;    //  ACKs, warm-up and prefill included
    uint64_t unmeasured_lost;   //  NACK or 'E' in the warm-up or the prefill
    uint64_t prefill;           //  this producer's share of --prefill
    int64_t prefill_finished;   //  usecs, when its last prefill verdict came
    s_result_t result;
    int64_t finished;           //  usecs, when the last verdict came
    char *error;                //  why it failed, one line
} s_producer_t;

static uint64_t
s_random (uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

//  A uniform draw in [0, 1)
static double
s_uniform (uint64_t *state)
{
    return (double) (s_random (state) >> 11) / 9007199254740992.0;
}

static void
s_on_verdict (const pf_producer_verdict_t *verdict, void *arg)
{
    s_producer_t *self = (s_producer_t *) arg;
    self->answered++;
    bool accepted = verdict->status == 'A' || verdict->status == 'D';
    if (verdict->status == 'A')
        self->accepted_total++;
    if (accepted && self->pool) {
        //  Keep S_DUP_POOL accepted ids; a newer one replaces a random one
        size_t slot = self->pool_size < S_DUP_POOL ? self->pool_size++
                                                   : s_random (&self->seed) % S_DUP_POOL;
        snprintf (self->pool [slot], sizeof self->pool [slot], "%s", verdict->id);
    }
    if (!self->measuring) {
        if (!accepted && self->unmeasured_lost++ == 0)
            pf_warning ("bench message '%s' not accepted before the measurement: %c %s %s",
                        verdict->id, verdict->status, verdict->reason, verdict->text);
        return;
    }
    if (verdict->status == 'A')
        self->result.accepted++;
    else
    if (verdict->status == 'D')
        self->result.duplicates++;
    else
    if (verdict->status == 'N') {
        if (self->result.refused++ == 0)
            pf_warning ("bench message '%s' refused: %s %s", verdict->id, verdict->reason,
                        verdict->text);
    }
    else
        self->result.failed++;
    if (accepted)
        pf_hist_record (self->result.latency, verdict->latency_us);
}

//  Push one message: a fresh id, or (unless fresh) with --dup-share's odds
//  an accepted one. The key is the id's last 12 hex digits: random per
//  message, so every partition is used, and the same on a resend, as the
//  protocol asks. A payload of S_STAMP_SIZE bytes or more starts with the
//  send time, taken once the window has room: the wait for the window is
//  no more part of the end-to-end latency than of the accept latency.
static int
s_push (s_producer_t *self, pf_producer_t *producer, size_t window, byte *payload,
        bool fresh)
{
    char id [37];
    if (!fresh && self->pool && self->pool_size
    &&  s_uniform (&self->seed) < self->params->dup_share) {
        //  Taken out of the pool until its verdict, so it is never in flight twice
        size_t slot = s_random (&self->seed) % self->pool_size;
        memcpy (id, self->pool [slot], sizeof id);
        memcpy (self->pool [slot], self->pool [--self->pool_size], sizeof id);
    }
    else
        pf_producer_uuid (id);
    if (self->params->size >= S_STAMP_SIZE) {
        while (pf_producer_pending (producer) >= window)
            if (pf_producer_poll (producer, 100) == -1)
                return -1;
        s_stamp_put (payload, s_mono_us ());
    }
    return pf_producer_push (producer, id, "bench", id + 24, 12, payload,
                             self->params->size, NULL);
}

static char *
s_push_error (void)
{
    return errno == EINTR ? strdup ("interrupted")
                          : zsys_sprintf ("cannot push: %s", strerror (errno));
}

//  Push the warm-up messages and wait for their verdicts: the connection is
//  up, and every proc reachable, before the clock starts.
static void
s_warm_up (s_producer_t *self, pf_producer_t *producer, byte *payload)
{
    for (int index = 0; index < S_WARMUP_MESSAGES && !self->error; index++)
        if (s_push (self, producer, self->params->window, payload, false) == -1)
            self->error = s_push_error ();
    if (!self->error && zsys_interrupted)
        self->error = strdup ("interrupted");
    if (!self->error && pf_producer_flush (producer, S_WARMUP_TIMEOUT_MS) == -1)
        self->error = zsys_sprintf ("edge '%s' (%s) gave %" PRIu64 " of %d verdicts "
                                    "within %d s: is it running, and is the client key "
                                    "allowed?", self->target->edge, self->target->endpoint,
                                    self->answered, S_WARMUP_MESSAGES,
                                    S_WARMUP_TIMEOUT_MS / 1000);
}

//  Push this producer's share of --prefill, fresh ids only, and wait for
//  every verdict.
static void
s_prefill (s_producer_t *self, pf_producer_t *producer, size_t window, byte *payload)
{
    for (uint64_t index = 0; index < self->prefill && !self->error; index++)
        if (s_push (self, producer, window, payload, true) == -1)
            self->error = s_push_error ();
    if (!self->error && pf_producer_flush (producer, S_FLUSH_TIMEOUT_MS) == -1)
        self->error = zsys_sprintf ("prefill: %zu messages without a verdict %d s after "
                                    "the last push", pf_producer_pending (producer),
                                    S_FLUSH_TIMEOUT_MS / 1000);
    self->prefill_finished = zclock_usecs ();
}

static void *
s_producer_run (void *arg)
{
    s_producer_t *self = (s_producer_t *) arg;
    const s_params_t *params = self->params;
    byte *payload = (byte *) malloc (params->size + 1);
    randombytes_buf (payload, params->size);
    if (params->dup_share > 0)
        self->pool = (char (*) [37]) malloc (S_DUP_POOL * 37);
    pf_producer_options_t options = {
        .endpoint = self->target->endpoint,
        .server_public = self->target->server_public,
        .cert_path = self->target->cert_path,
        .window = params->window,
        .single = params->single,
        .on_verdict = s_on_verdict,
        .arg = self
    };
    if (params->prefill) {
        //  The prefill is in the batch form, with a window of at least
        //  S_PREFILL_WINDOW, on a connection of its own
        pf_producer_options_t prefill_options = options;
        prefill_options.window = params->window > S_PREFILL_WINDOW ? params->window
                                                                   : S_PREFILL_WINDOW;
        prefill_options.single = false;
        pf_producer_t *prefill = pf_producer_new (&prefill_options, &self->error);
        pthread_barrier_wait (&self->start->prefill_ready);
        pthread_barrier_wait (&self->start->prefill_go);
        if (prefill && !self->start->abort)
            s_prefill (self, prefill, prefill_options.window, payload);
        pf_producer_destroy (&prefill);
    }
    pf_producer_t *producer = NULL;
    if (!self->error && !self->start->abort) {
        producer = pf_producer_new (&options, &self->error);
        if (producer)
            s_warm_up (self, producer, payload);
    }

    pthread_barrier_wait (&self->start->ready);
    pthread_barrier_wait (&self->start->go);
    if (producer && !self->start->abort) {
        self->measuring = true;
        self->pool_size = 0;        //  warm-up ids are not measured: don't resend them
        for (uint64_t pushed = 0;; pushed++) {
            if (params->count ? pushed >= params->count
                              : zclock_usecs () >= self->start->deadline)
                break;
            if (s_push (self, producer, params->window, payload, false) == -1) {
                self->error = s_push_error ();
                break;
            }
        }
        if (!self->error && pf_producer_flush (producer, S_FLUSH_TIMEOUT_MS) == -1)
            self->error = zsys_sprintf ("%zu messages without a verdict %d s after the "
                                        "last push", pf_producer_pending (producer),
                                        S_FLUSH_TIMEOUT_MS / 1000);
        self->finished = zclock_usecs ();
    }
    pf_producer_destroy (&producer);
    free (self->pool);
    free (payload);
    return NULL;
}

//  ---- Workers ------------------------------------------------------------------------

typedef struct _s_crew_t s_crew_t;

//  One worker thread. done and failed are read by the main thread while the
//  worker runs: atomic.
typedef struct {
    s_crew_t *crew;
    pthread_t thread;
    uint64_t done;              //  DONEs answered (atomic)
    uint64_t redelivered;       //  of them, deliveries with attempt > 1
    pf_hist_t *e2e;             //  push to DONE, of messages pushed since measure_from
    char *error;                //  why it stopped, one line
    int failed;                 //  error is set (atomic)
} s_worker_t;

//  The worker threads
struct _s_crew_t {
    const s_params_t *params;
    const s_target_t *target;
    s_worker_t *workers;
    size_t count;
    int64_t measure_from;       //  s_mono_us when the measurement started; 0 before (atomic)
    int stop;                   //  (atomic)
};

//  Answer DONE at once; record the end-to-end latency of a measured message.
static int
s_on_delivery (const pf_delivery_t *delivery, void *arg, char *reason, size_t reason_size)
{
    s_worker_t *self = (s_worker_t *) arg;
    (void) reason;
    (void) reason_size;
    if (delivery->payload_size >= S_STAMP_SIZE) {
        int64_t now = s_mono_us ();
        int64_t stamp = s_stamp_get ((const byte *) delivery->payload);
        int64_t from = __atomic_load_n (&self->crew->measure_from, __ATOMIC_ACQUIRE);
        if (from && stamp >= from && stamp <= now)
            pf_hist_record (self->e2e, now - stamp);
    }
    if (delivery->attempt > 1)
        self->redelivered++;
    __atomic_fetch_add (&self->done, 1, __ATOMIC_RELAXED);
    return 0;
}

static void *
s_worker_run (void *arg)
{
    s_worker_t *self = (s_worker_t *) arg;
    s_crew_t *crew = self->crew;
    pf_worker_options_t options = {
        .procs = crew->target->procs,
        .proc_count = crew->target->proc_count,
        .cert_path = crew->target->worker_cert_path,
        .topics = "bench",
        .credit = crew->params->worker_credit,
        .batch_size = crew->params->worker_batch,
        .heartbeat_ms = crew->target->heartbeat_ms,
        .handler = s_on_delivery,
        .arg = self
    };
    char *error = NULL;
    pf_worker_t *worker = pf_worker_new (&options, &error);
    if (!worker) {
        self->error = zsys_sprintf ("worker: %s", error);
        free (error);
    }
    while (worker && !__atomic_load_n (&crew->stop, __ATOMIC_ACQUIRE))
        if (pf_worker_run (worker, 100) == -1) {
            self->error = errno == EINTR ? strdup ("interrupted")
                        : zsys_sprintf ("worker stopped: %s", strerror (errno));
            break;
        }
    pf_worker_destroy (&worker);
    if (self->error)
        __atomic_store_n (&self->failed, 1, __ATOMIC_RELEASE);
    return NULL;
}

static s_crew_t *
s_crew_start (const s_params_t *params, const s_target_t *target)
{
    s_crew_t *self = (s_crew_t *) zmalloc (sizeof (s_crew_t));
    self->params = params;
    self->target = target;
    self->count = params->workers;
    self->workers = (s_worker_t *) zmalloc (self->count * sizeof (s_worker_t));
    for (size_t index = 0; index < self->count; index++) {
        s_worker_t *worker = &self->workers [index];
        worker->crew = self;
        worker->e2e = pf_hist_new ();
        int rc = pthread_create (&worker->thread, NULL, s_worker_run, worker);
        assert (rc == 0);
    }
    return self;
}

//  DONEs answered so far by every worker
static uint64_t
s_crew_done (s_crew_t *self)
{
    uint64_t done = 0;
    for (size_t index = 0; index < self->count; index++)
        done += __atomic_load_n (&self->workers [index].done, __ATOMIC_RELAXED);
    return done;
}

//  Why a worker stopped, or NULL while they all run (borrowed)
static const char *
s_crew_failure (s_crew_t *self)
{
    for (size_t index = 0; index < self->count; index++)
        if (__atomic_load_n (&self->workers [index].failed, __ATOMIC_ACQUIRE))
            return self->workers [index].error;
    return NULL;
}

//  Stop and join the workers, add their end-to-end latencies and
//  redeliveries to result, and destroy the crew. Returns NULL, or why a
//  worker failed (caller frees).
static char *
s_crew_stop (s_crew_t **self_p, s_result_t *result)
{
    s_crew_t *self = *self_p;
    if (!self)
        return NULL;
    __atomic_store_n (&self->stop, 1, __ATOMIC_RELEASE);
    char *error = NULL;
    for (size_t index = 0; index < self->count; index++) {
        s_worker_t *worker = &self->workers [index];
        pthread_join (worker->thread, NULL);
        if (worker->error && !error)
            error = worker->error;
        else
            free (worker->error);
        pf_hist_merge (result->e2e, worker->e2e);
        pf_hist_destroy (&worker->e2e);
        result->redelivered += worker->redelivered;
    }
    free (self->workers);
    free (self);
    *self_p = NULL;
    return error;
}

//  Wait until the workers have answered DONE as often as accepted (the
//  producers' ACKs), for at most timeout_ms. Returns 0, 1 if the time ran
//  out, or -1 with *error (caller frees) if a worker failed, none answered
//  anything for S_STALL_DONE_MS, or we were interrupted.
static int
s_crew_wait_done (s_crew_t *self, uint64_t accepted, int timeout_ms, char **error)
{
    int64_t now = zclock_mono ();
    int64_t until = now + timeout_ms;
    int64_t progressed = now;
    uint64_t last = s_crew_done (self);
    while (true) {
        uint64_t done = s_crew_done (self);
        if (done >= accepted)
            return 0;
        const char *failure = s_crew_failure (self);
        if (failure) {
            *error = strdup (failure);
            return -1;
        }
        if (zsys_interrupted) {
            *error = strdup ("interrupted");
            return -1;
        }
        now = zclock_mono ();
        if (done != last) {
            last = done;
            progressed = now;
        }
        else
        if (now - progressed >= S_STALL_DONE_MS) {
            *error = zsys_sprintf ("the workers answered no delivery for %d s, with %" PRIu64
                                   " messages accepted and not done: is the key '%s' "
                                   "allowed, and does any other worker take topic bench?",
                                   S_STALL_DONE_MS / 1000, accepted - done,
                                   self->target->worker_cert_path);
            return -1;
        }
        if (now >= until)
            return 1;
        zclock_sleep (2);
    }
}

//  ---- Measurement ----------------------------------------------------------------

//  Run the producers against target, with the workers of crew (or none);
//  fills result. Returns NULL, or why it failed (caller frees). node CPU is
//  sampled at the start and the end.
static char *
s_measure_fabric (const s_params_t *params, const s_target_t *target, s_crew_t *crew,
                  s_result_t *result)
{
    s_start_t start = { 0 };
    unsigned parties = (unsigned) params->producers + 1;
    if (params->prefill) {
        pthread_barrier_init (&start.prefill_ready, NULL, parties);
        pthread_barrier_init (&start.prefill_go, NULL, parties);
    }
    pthread_barrier_init (&start.ready, NULL, parties);
    pthread_barrier_init (&start.go, NULL, parties);
    s_producer_t *producers = (s_producer_t *) zmalloc (params->producers
                                                        * sizeof (s_producer_t));
    for (size_t index = 0; index < params->producers; index++) {
        s_producer_t *producer = &producers [index];
        producer->params = params;
        producer->target = target;
        producer->start = &start;
        producer->prefill = params->prefill / params->producers
                          + (index < params->prefill % params->producers ? 1 : 0);
        randombytes_buf (&producer->seed, sizeof producer->seed);
        producer->seed |= 1;
        producer->result.latency = pf_hist_new ();
        int rc = pthread_create (&producer->thread, NULL, s_producer_run, producer);
        assert (rc == 0);
    }
    char *error = NULL;
    int64_t prefill_started = 0;
    if (params->prefill) {
        pthread_barrier_wait (&start.prefill_ready);
        for (size_t index = 0; index < params->producers; index++)
            if (producers [index].error)
                start.abort = true;
        if (!start.abort)
            pf_info ("prefill: pushing %" PRIu64 " messages", params->prefill);
        prefill_started = zclock_usecs ();
        pthread_barrier_wait (&start.prefill_go);
    }
    pthread_barrier_wait (&start.ready);
    uint64_t accepted_before = 0, lost_before = 0;
    int64_t prefill_finished = prefill_started;
    for (size_t index = 0; index < params->producers; index++) {
        s_producer_t *producer = &producers [index];
        if (producer->error)
            start.abort = true;
        accepted_before += producer->accepted_total;
        lost_before += producer->unmeasured_lost;
        if (producer->prefill_finished > prefill_finished)
            prefill_finished = producer->prefill_finished;
    }
    result->prefill_s = (double) (prefill_finished - prefill_started) / 1e6;
    if (lost_before && !start.abort) {
        error = zsys_sprintf ("%" PRIu64 " messages of the warm-up or the prefill were not "
                              "accepted", lost_before);
        start.abort = true;
    }
    //  With workers, the measurement starts from an empty backlog: what the
    //  warm-up and the prefill left is done first
    if (crew && !start.abort) {
        int rc = s_crew_wait_done (crew, accepted_before, S_SETTLE_TIMEOUT_MS, &error);
        if (rc == -1)
            start.abort = true;
        else
        if (rc == 1)
            pf_warning ("the backlog of the warm-up and the prefill was not done within "
                        "%d s: measuring anyway", S_SETTLE_TIMEOUT_MS / 1000);
    }
    uint64_t done_before = crew ? s_crew_done (crew) : 0;
    result->backlog_start = (int64_t) (accepted_before - done_before);
    for (size_t index = 0; index < s_fabric.count; index++)
        s_fabric.nodes [index].cpu_start = s_cpu_seconds (s_fabric.nodes [index].pid);
    double cpu_start = s_cpu_seconds (0);
    int64_t started = zclock_usecs ();
    start.deadline = started + params->seconds * 1000000;
    if (crew)
        __atomic_store_n (&crew->measure_from, s_mono_us (), __ATOMIC_RELEASE);
    pthread_barrier_wait (&start.go);

    int64_t finished = started;
    uint64_t accepted_after = 0;
    for (size_t index = 0; index < params->producers; index++) {
        s_producer_t *producer = &producers [index];
        pthread_join (producer->thread, NULL);
        if (producer->error && !error)
            error = producer->error;
        else
            free (producer->error);
        if (producer->finished > finished)
            finished = producer->finished;
        accepted_after += producer->accepted_total;
        result->accepted += producer->result.accepted;
        result->duplicates += producer->result.duplicates;
        result->refused += producer->result.refused;
        result->failed += producer->result.failed;
        pf_hist_merge (result->latency, producer->result.latency);
        pf_hist_destroy (&producer->result.latency);
    }
    uint64_t done_after = crew ? s_crew_done (crew) : 0;
    int64_t counted = zclock_usecs ();
    result->seconds = (double) (finished - started) / 1e6;
    result->done = done_after - done_before;
    result->done_seconds = (double) (counted - started) / 1e6;
    result->backlog_end = (int64_t) (accepted_after - done_after);
    result->cpu_s = s_cpu_seconds (0) - cpu_start;
    for (size_t index = 0; index < s_fabric.count; index++) {
        s_node_t *node = &s_fabric.nodes [index];
        node->cpu_s = s_cpu_seconds (node->pid) - node->cpu_start;
        node->peak_rss_kb = s_peak_rss_kb (node->pid);
    }
    //  The end-to-end latency covers every measured message: let the
    //  workers finish what the measurement left
    result->drain_s = NAN;
    if (crew && !error && !start.abort) {
        int rc = s_crew_wait_done (crew, accepted_after, S_DRAIN_TIMEOUT_MS, &error);
        if (rc == 0)
            result->drain_s = (double) (zclock_usecs () - counted) / 1e6;
        else
        if (rc == 1)
            pf_warning ("%" PRIu64 " messages not done %d s after the measurement: the "
                        "end-to-end latency leaves them out",
                        accepted_after - s_crew_done (crew), S_DRAIN_TIMEOUT_MS / 1000);
    }
    free (producers);
    if (params->prefill) {
        pthread_barrier_destroy (&start.prefill_ready);
        pthread_barrier_destroy (&start.prefill_go);
    }
    pthread_barrier_destroy (&start.ready);
    pthread_barrier_destroy (&start.go);
    return error;
}

//  ---- Proc restart ---------------------------------------------------------------

//  Stop the first proc (p1) with SIGTERM, start it again and time it until
//  its ready line. Returns NULL, or why it failed (caller frees).
static char *
s_restart_proc (s_restart_t *restart)
{
    s_node_t *node = NULL;
    for (size_t index = 0; index < s_fabric.count && !node; index++)
        if (streq (s_fabric.nodes [index].role, "proc"))
            node = &s_fabric.nodes [index];
    if (!node || !node->pid)
        return strdup ("--restart-proc: no proc is running");
    restart->label = node->label;
    int64_t stopping = zclock_usecs ();
    kill (node->pid, SIGTERM);
    int64_t until = zclock_mono () + S_STOP_TIMEOUT_MS;
    pid_t rc;
    while ((rc = waitpid (node->pid, &node->status, WNOHANG)) == 0) {
        if (zclock_mono () > until) {
            kill (node->pid, SIGKILL);
            waitpid (node->pid, &node->status, 0);
            node->pid = 0;
            return zsys_sprintf ("%s did not stop within %d s of SIGTERM", node->label,
                                 S_STOP_TIMEOUT_MS / 1000);
        }
        zclock_sleep (1);
    }
    node->pid = 0;
    restart->stop_s = (double) (zclock_usecs () - stopping) / 1e6;
    if (rc == -1 || !WIFEXITED (node->status) || WEXITSTATUS (node->status) != 0) {
        char *last = s_last_line (node->log_path);
        char *error = zsys_sprintf ("%s did not stop cleanly before its restart: %s",
                                    node->label, last);
        free (last);
        return error;
    }
    //  Its log grows on: read only what the new process writes
    long offset = s_file_size (node->log_path);
    int64_t starting = zclock_usecs ();
    s_spawn (node, s_fabric.config_path);
    until = zclock_mono () + S_RESTART_TIMEOUT_MS;
    while (!s_log_says_ready (node->log_path, offset)) {
        if (zsys_interrupted)
            return strdup ("interrupted");
        if (waitpid (node->pid, &node->status, WNOHANG) == node->pid) {
            node->pid = 0;
            char *last = s_last_line (node->log_path);
            char *error = zsys_sprintf ("%s did not start again: %s", node->label, last);
            free (last);
            return error;
        }
        if (zclock_mono () > until)
            return zsys_sprintf ("%s not ready %d s after its restart", node->label,
                                 S_RESTART_TIMEOUT_MS / 1000);
        zclock_sleep (2);
    }
    restart->ready_s = (double) (zclock_usecs () - starting) / 1e6;
    restart->peak_rss_kb = s_peak_rss_kb (node->pid);
    restart->remembered = -1;
    char *line = s_log_find (node->log_path, offset, " remembered=");
    char *at = line ? strstr (line, " remembered=") : NULL;
    if (at)
        restart->remembered = strtoll (at + strlen (" remembered="), NULL, 10);
    free (line);
    return NULL;
}

//  ---- Baseline: a plain libzmq CURVE DEALER-to-ROUTER loop -------------------------

typedef struct {
    zsock_t *socket;            //  ROUTER, CURVE server, no ZAP
    volatile bool stop;
    pthread_t thread;
} s_server_t;

//  Answer the message waiting on socket, if one is, with its envelope
//  (every frame but the last) and an ack of one frame, the first
//  S_ACK_SIZE bytes of the last. Returns false if none was waiting.
static bool
s_server_answer (void *socket)
{
    zmq_msg_t frames [8];
    size_t count = 0;
    while (count < 8) {
        zmq_msg_init (&frames [count]);
        if (zmq_msg_recv (&frames [count], socket, ZMQ_DONTWAIT) == -1)
            break;
        if (!zmq_msg_more (&frames [count++]))
            break;
    }
    if (count == 0 || zmq_msg_more (&frames [count - 1])) {
        for (size_t index = 0; index <= count && index < 8; index++)
            zmq_msg_close (&frames [index]);
        return count > 0;       //  not one of our loop's messages: dropped
    }
    zmq_msg_t *body = &frames [count - 1];
    size_t size = zmq_msg_size (body) > S_ACK_SIZE ? S_ACK_SIZE : zmq_msg_size (body);
    zmq_msg_t ack;
    zmq_msg_init_size (&ack, size);
    memcpy (zmq_msg_data (&ack), zmq_msg_data (body), size);
    zmq_msg_close (body);
    for (size_t index = 0; index < count - 1; index++)
        if (zmq_msg_send (&frames [index], socket, ZMQ_SNDMORE) == -1)
            zmq_msg_close (&frames [index]);
    if (zmq_msg_send (&ack, socket, 0) == -1)
        zmq_msg_close (&ack);
    return true;
}

//  Answer every message, all that wait at each wake-up, until stop or a
//  signal.
static void
s_server_serve (void *socket, volatile bool *stop)
{
    while (!*stop && !zsys_interrupted) {
        zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) > 0)
            while (s_server_answer (socket))
                ;
    }
}

static void *
s_server_run (void *arg)
{
    s_server_t *self = (s_server_t *) arg;
    s_server_serve (zsock_resolve (self->socket), &self->stop);
    return NULL;
}

//  ---- Floor: the same loop through a relay process to an echo process ------------

//  A child process of the floor: it listens on 127.0.0.1 and serves until
//  SIGTERM.
typedef struct {
    pid_t pid;                  //  0 if not running
    int port;
    char public_key [41];       //  of its listening socket's certificate
} s_child_t;

//  A CURVE server socket of cert's key pair on a free port of 127.0.0.1,
//  no high-water marks (the loop's window bounds what is queued).
static zsock_t *
s_listener (int type, zcert_t *cert, int *port)
{
    zsock_t *socket = zsock_new (type);
    if (!socket)
        return NULL;
    zcert_apply (cert, socket);
    zsock_set_curve_server (socket, 1);
    zsock_set_sndhwm (socket, 0);
    zsock_set_rcvhwm (socket, 0);
    zsock_set_linger (socket, 0);
    *port = zsock_bind (socket, "tcp://127.0.0.1:*");
    return socket;
}

//  Forward every message between the relay's two sockets, whole, until
//  SIGTERM: what an edge in front of a proc would do, with no work at all.
static void
s_relay_serve (void *frontend, void *backend)
{
    zmq_pollitem_t items [2] = {
        { frontend, 0, ZMQ_POLLIN, 0 }, { backend, 0, ZMQ_POLLIN, 0 }
    };
    while (!zsys_interrupted) {
        if (zmq_poll (items, 2, 100) <= 0)
            continue;
        for (int side = 0; side < 2; side++) {
            void *from = items [side].socket, *to = items [1 - side].socket;
            zmq_msg_t frame;
            zmq_msg_init (&frame);
            while (zmq_msg_recv (&frame, from, ZMQ_DONTWAIT) != -1) {
                int more = zmq_msg_more (&frame);
                if (zmq_msg_send (&frame, to, more ? ZMQ_SNDMORE : 0) == -1)
                    zmq_msg_close (&frame);
                zmq_msg_init (&frame);
            }
            zmq_msg_close (&frame);
        }
    }
}

//  The body of a floor child: an echo server when next is NULL, else a
//  relay to next. Reports "PORT PUBLIC-KEY" (PORT -1 on failure) on the
//  report pipe, serves until SIGTERM, and never returns.
static void
s_child_main (int report, const s_child_t *next)
{
    zcert_t *cert = zcert_new ();
    int port = -1;
    zsock_t *listener = cert ? s_listener (ZMQ_ROUTER, cert, &port) : NULL;
    zsock_t *backend = NULL;
    if (port != -1 && next) {
        backend = zsock_new (ZMQ_DEALER);
        zcert_t *own = zcert_new ();
        if (backend && own) {
            zcert_apply (own, backend);
            zsock_set_curve_serverkey (backend, next->public_key);
            zsock_set_sndhwm (backend, 0);
            zsock_set_rcvhwm (backend, 0);
        }
        if (!backend || !own
        ||  zsock_connect (backend, "tcp://127.0.0.1:%d", next->port) == -1)
            port = -1;
        zcert_destroy (&own);
    }
    dprintf (report, "%d %s\n", port, cert ? zcert_public_txt (cert) : "-");
    close (report);
    static volatile bool never = false;
    if (port != -1 && next)
        s_relay_serve (zsock_resolve (listener), zsock_resolve (backend));
    else
    if (port != -1)
        s_server_serve (zsock_resolve (listener), &never);
    zsock_destroy (&backend);
    zsock_destroy (&listener);
    zcert_destroy (&cert);
    _exit (0);                  //  not bench's exit handlers
}

//  Start a floor child (see s_child_main) while this process has no libzmq
//  context and no threads. Returns NULL, or an error (caller frees).
static char *
s_child_start (s_child_t *child, const s_child_t *next)
{
    int report [2];
    if (pipe (report) == -1)
        return zsys_sprintf ("floor: cannot make a pipe: %s", strerror (errno));
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid == 0) {
        s_child_of (parent);
        close (report [0]);
        s_child_main (report [1], next);
    }
    close (report [1]);
    if (pid == -1) {
        close (report [0]);
        return zsys_sprintf ("floor: cannot start a process: %s", strerror (errno));
    }
    child->pid = pid;
    char line [80] = "";
    struct pollfd item = { report [0], POLLIN, 0 };
    ssize_t size = poll (&item, 1, 10000) == 1
                 ? read (report [0], line, sizeof line - 1) : -1;
    close (report [0]);
    if (size > 0)
        line [size] = 0;
    if (size <= 0 || sscanf (line, "%d %40s", &child->port, child->public_key) != 2
    ||  child->port <= 0 || strlen (child->public_key) != 40)
        return strdup ("floor: a relay or echo process could not listen on 127.0.0.1");
    return NULL;
}

static void
s_child_stop (s_child_t *child)
{
    if (child->pid <= 0)
        return;
    kill (child->pid, SIGTERM);
    waitpid (child->pid, NULL, 0);
    child->pid = 0;
}

typedef struct {
    const s_params_t *params;
    const char *name;           //  of the loop, for errors: "baseline", "floor"
    const char *endpoint;       //  the server's
    const char *server_public;
    s_start_t *start;
    pthread_t thread;
    s_result_t result;
    int64_t finished;
    char *error;
} s_client_t;

//  Wait (bounded) for acks, take every one waiting, and record each one's
//  round trip: the server answers in order, so acks match sent_at in order.
static int
s_client_receive (s_client_t *self, void *socket, int64_t *sent_at, size_t *head,
                  size_t *inflight)
{
    int64_t stalled_at = zclock_mono () + S_STALL_TIMEOUT_MS;
    while (true) {
        zmq_pollitem_t item = { socket, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, 100) > 0)
            break;
        if (zsys_interrupted) {
            self->error = strdup ("interrupted");
            return -1;
        }
        if (zclock_mono () > stalled_at) {
            self->error = zsys_sprintf ("%s: no ack for %d s", self->name,
                                        S_STALL_TIMEOUT_MS / 1000);
            return -1;
        }
    }
    byte ack [S_ACK_SIZE];
    while (*inflight && zmq_recv (socket, ack, sizeof ack, ZMQ_DONTWAIT) >= 0) {
        int64_t now = zclock_usecs ();
        pf_hist_record (self->result.latency, now - sent_at [*head]);
        *head = (*head + 1) % self->params->window;
        (*inflight)--;
        self->result.accepted++;
        self->finished = now;
    }
    return 0;
}

static void *
s_client_run (void *arg)
{
    s_client_t *self = (s_client_t *) arg;
    const s_params_t *params = self->params;
    size_t size = params->size;
    byte *payload = (byte *) malloc (size + 1);
    randombytes_buf (payload, size);
    int64_t *sent_at = (int64_t *) malloc (params->window * sizeof (int64_t));
    zcert_t *cert = zcert_new ();
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert (cert && dealer);
    zcert_apply (cert, dealer);
    zsock_set_curve_serverkey (dealer, self->server_public);
    //  The window bounds what is queued; a high-water mark would only drop acks
    zsock_set_sndhwm (dealer, 0);
    zsock_set_rcvhwm (dealer, 0);
    zsock_set_linger (dealer, 0);
    void *socket = zsock_resolve (dealer);
    size_t head = 0, tail = 0, inflight = 0;
    if (zsock_connect (dealer, "%s", self->endpoint) == -1)
        self->error = zsys_sprintf ("%s: cannot connect to '%s'", self->name,
                                    self->endpoint);
    else {
        //  One round trip, so the handshake is done before the clock starts
        sent_at [0] = zclock_usecs ();
        inflight = zmq_send (socket, payload, size, 0) == -1 ? 0 : 1;
        s_client_receive (self, socket, sent_at, &head, &inflight);
        self->result.accepted = 0;
        self->finished = 0;
        pf_hist_reset (self->result.latency);
        head = tail = inflight = 0;
    }
    pthread_barrier_wait (&self->start->ready);
    pthread_barrier_wait (&self->start->go);
    uint64_t sent = 0;
    while (!self->error && !self->start->abort) {
        if (zsys_interrupted) {
            self->error = strdup ("interrupted");
            break;
        }
        while (inflight < params->window
           && (params->count ? sent < params->count
                             : zclock_usecs () < self->start->deadline)) {
            if (zmq_send (socket, payload, size, ZMQ_DONTWAIT) == -1)
                break;
            sent_at [tail] = zclock_usecs ();
            tail = (tail + 1) % params->window;
            inflight++;
            sent++;
        }
        if (inflight == 0)
            break;
        if (s_client_receive (self, socket, sent_at, &head, &inflight) == -1)
            break;
    }
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
    free (sent_at);
    free (payload);
    return NULL;
}

//  CPU seconds of this process and the processes in pids, 0-terminated.
static double
s_cpu_of (const pid_t *pids)
{
    double total = s_cpu_seconds (0);
    for (; *pids; pids++)
        total += s_cpu_seconds (*pids);
    return total;
}

//  Run the loop's clients against the server at port with that public key;
//  the CPU time counted is ours and that of the processes in pids.
static char *
s_measure_loop (const s_params_t *params, const char *name, int port,
                const char *server_public, const pid_t *pids, s_result_t *result)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    s_start_t start = { 0 };
    pthread_barrier_init (&start.ready, NULL, (unsigned) params->producers + 1);
    pthread_barrier_init (&start.go, NULL, (unsigned) params->producers + 1);
    s_client_t *clients = (s_client_t *) zmalloc (params->producers * sizeof (s_client_t));
    for (size_t index = 0; index < params->producers; index++) {
        s_client_t *client = &clients [index];
        client->params = params;
        client->name = name;
        client->endpoint = endpoint;
        client->server_public = server_public;
        client->start = &start;
        client->result.latency = pf_hist_new ();
        int rc = pthread_create (&client->thread, NULL, s_client_run, client);
        assert (rc == 0);
    }
    pthread_barrier_wait (&start.ready);
    for (size_t index = 0; index < params->producers; index++)
        if (clients [index].error)
            start.abort = true;
    double cpu_start = s_cpu_of (pids);
    int64_t started = zclock_usecs ();
    start.deadline = started + params->seconds * 1000000;
    pthread_barrier_wait (&start.go);

    char *error = NULL;
    int64_t finished = started;
    for (size_t index = 0; index < params->producers; index++) {
        s_client_t *client = &clients [index];
        pthread_join (client->thread, NULL);
        if (client->error && !error)
            error = client->error;
        else
            free (client->error);
        if (client->finished > finished)
            finished = client->finished;
        result->accepted += client->result.accepted;
        pf_hist_merge (result->latency, client->result.latency);
        pf_hist_destroy (&client->result.latency);
    }
    result->seconds = (double) (finished - started) / 1e6;
    result->cpu_s = s_cpu_of (pids) - cpu_start;
    free (clients);
    pthread_barrier_destroy (&start.ready);
    pthread_barrier_destroy (&start.go);
    return error;
}

//  The baseline: the loop against a server thread of this process.
static char *
s_measure_baseline (const s_params_t *params, s_result_t *result)
{
    s_server_t server = { 0 };
    zcert_t *cert = zcert_new ();
    int port = -1;
    server.socket = cert ? s_listener (ZMQ_ROUTER, cert, &port) : NULL;
    if (port == -1) {
        zsock_destroy (&server.socket);
        zcert_destroy (&cert);
        return strdup ("baseline: cannot bind a CURVE server on 127.0.0.1");
    }
    //  The socket moves to its thread here (pthread_create is a full barrier)
    int rc = pthread_create (&server.thread, NULL, s_server_run, &server);
    assert (rc == 0);
    pid_t none [1] = { 0 };
    char *error = s_measure_loop (params, "baseline", port, zcert_public_txt (cert), none,
                                  result);
    server.stop = true;
    pthread_join (server.thread, NULL);
    zsock_destroy (&server.socket);
    zcert_destroy (&cert);
    return error;
}

//  The floor: the loop through the relay process to the echo process.
static char *
s_measure_floor (const s_params_t *params, const s_child_t *relay, const s_child_t *echo,
                 s_result_t *result)
{
    pid_t pids [3] = { relay->pid, echo->pid, 0 };
    return s_measure_loop (params, "floor", relay->port, relay->public_key, pids, result);
}

//  ---- Report ---------------------------------------------------------------------

//  The latency percentiles reported, and their JSON names
static const struct {
    double percentile;
    const char *name;
} s_points [] = { { 50, "p50" }, { 90, "p90" }, { 99, "p99" }, { 99.9, "p999" } };
#define S_POINTS (sizeof s_points / sizeof s_points [0])

static double
s_per_second (const s_result_t *result)
{
    uint64_t messages = result->accepted + result->duplicates;
    return result->seconds > 0 ? (double) messages / result->seconds : 0;
}

//  numerator / denominator, or NAN when there is no denominator
static double
s_ratio (double numerator, double denominator)
{
    return denominator > 0 ? numerator / denominator : NAN;
}

//  A JSON number, or null when not finite or absent
static void
s_json_number (const char *name, double value, const char *format, bool last)
{
    printf ("  \"%s\": ", name);
    if (isfinite (value))
        printf (format, value);
    else
        printf ("null");
    printf ("%s\n", last ? "" : ",");
}

static void
s_json_string (const char *text)
{
    putchar ('"');
    for (const unsigned char *cursor = (const unsigned char *) text; *cursor; cursor++)
        if (*cursor == '"' || *cursor == '\\')
            printf ("\\%c", *cursor);
        else
        if (*cursor < 0x20)
            printf ("\\u%04x", *cursor);
        else
            putchar (*cursor);
    putchar ('"');
}

typedef struct {
    const char *name;
    double cpu_s;
    long peak_rss_kb;
} s_process_t;

//  done/s: the DONEs answered during the measurement per second of it
static double
s_done_per_second (const s_params_t *params, const s_result_t *result)
{
    if (!params->workers)
        return 0;
    return result->done_seconds > 0 ? (double) result->done / result->done_seconds : 0;
}

//  The reported percentiles of hist as PREFIX_p50_us...; null if absent
static void
s_json_points (const char *prefix, const pf_hist_t *hist, bool present)
{
    char name [32];
    for (size_t point = 0; point < S_POINTS; point++) {
        snprintf (name, sizeof name, "%s_%s_us", prefix, s_points [point].name);
        s_json_number (name, present ? (double) pf_hist_percentile (hist,
                                                                    s_points [point].percentile)
                                     : NAN, "%.0f", false);
    }
}

static void
s_report_json (const s_params_t *params, const s_result_t *fabric, const s_result_t *baseline,
               const s_result_t *floor_run, const s_restart_t *restart,
               const s_process_t *processes, size_t process_count)
{
    double per_s = s_per_second (fabric);
    double done_per_s = s_done_per_second (params, fabric);
    bool workers = params->workers > 0;
    bool e2e = workers && pf_hist_count (fabric->e2e) > 0;
    double baseline_per_s = params->baseline ? s_per_second (baseline) : NAN;
    double p99 = (double) pf_hist_percentile (fabric->latency, 99);
    double baseline_p99 = params->baseline
                        ? (double) pf_hist_percentile (baseline->latency, 99) : NAN;
    printf ("{\n");
    s_json_number ("accepted_per_s", per_s, "%.1f", false);
    s_json_number ("done_per_s", done_per_s, workers ? "%.1f" : "%.0f", false);
    s_json_number ("baseline_per_s", baseline_per_s, "%.1f", false);
    s_json_number ("ratio", s_ratio (per_s, baseline_per_s), "%.4f", false);
    s_json_points ("accept", fabric->latency, true);
    s_json_number ("accept_max_us", (double) pf_hist_max (fabric->latency), "%.0f", false);
    s_json_number ("accept_mean_us", pf_hist_mean (fabric->latency), "%.1f", false);
    s_json_points ("e2e", fabric->e2e, e2e);
    s_json_number ("e2e_max_us", e2e ? (double) pf_hist_max (fabric->e2e) : NAN, "%.0f",
                   false);
    s_json_number ("e2e_mean_us", e2e ? pf_hist_mean (fabric->e2e) : NAN, "%.1f", false);
    s_json_number ("e2e_samples", workers ? (double) pf_hist_count (fabric->e2e) : NAN,
                   "%.0f", false);
    s_json_number ("done_ratio", workers ? s_ratio (done_per_s, per_s) : NAN, "%.4f", false);
    s_json_number ("done", workers ? (double) fabric->done : NAN, "%.0f", false);
    s_json_number ("backlog_start", workers ? (double) fabric->backlog_start : NAN, "%.0f",
                   false);
    s_json_number ("backlog_end", workers ? (double) fabric->backlog_end : NAN, "%.0f",
                   false);
    s_json_number ("drain_s", workers ? fabric->drain_s : NAN, "%.3f", false);
    s_json_number ("redelivered", workers ? (double) fabric->redelivered : NAN, "%.0f",
                   false);
    s_json_number ("prefill_s", params->prefill ? fabric->prefill_s : NAN, "%.3f", false);
    s_json_number ("prefill_per_s", params->prefill && fabric->prefill_s > 0
                   ? (double) params->prefill / fabric->prefill_s : NAN, "%.1f", false);
    s_json_number ("proc_stop_s", restart->label ? restart->stop_s : NAN, "%.3f", false);
    s_json_number ("proc_restart_s", restart->label ? restart->ready_s : NAN, "%.3f", false);
    s_json_number ("proc_restart_remembered", restart->label && restart->remembered >= 0
                   ? (double) restart->remembered : NAN, "%.0f", false);
    s_json_number ("proc_restart_rss_kb", restart->label && restart->peak_rss_kb >= 0
                   ? (double) restart->peak_rss_kb : NAN, "%.0f", false);
    s_json_points ("baseline", baseline->latency, params->baseline);
    s_json_number ("p99_ratio", s_ratio (p99, baseline_p99), "%.3f", false);
    double floor_per_s = params->floor ? s_per_second (floor_run) : NAN;
    s_json_number ("floor_per_s", floor_per_s, "%.1f", false);
    s_json_number ("floor_ratio", s_ratio (floor_per_s, baseline_per_s), "%.4f", false);
    s_json_points ("floor", floor_run->latency, params->floor);
    double floor_p99 = params->floor ? (double) pf_hist_percentile (floor_run->latency, 99)
                                     : NAN;
    s_json_number ("floor_p99_ratio", s_ratio (floor_p99, baseline_p99), "%.3f", false);
    s_json_number ("floor_cpu_s", params->floor ? floor_run->cpu_s : NAN, "%.3f", false);
    printf ("  \"accepted\": %" PRIu64 ",\n", fabric->accepted);
    printf ("  \"duplicates\": %" PRIu64 ",\n", fabric->duplicates);
    printf ("  \"refused\": %" PRIu64 ",\n", fabric->refused);
    printf ("  \"failed\": %" PRIu64 ",\n", fabric->failed);
    s_json_number ("measured_s", fabric->seconds, "%.3f", false);
    s_json_number ("baseline_measured_s", params->baseline ? baseline->seconds : NAN, "%.3f",
                   false);
    s_json_number ("baseline_cpu_s", params->baseline ? baseline->cpu_s : NAN, "%.3f", false);
    printf ("  \"producers\": %zu,\n", params->producers);
    printf ("  \"window\": %zu,\n", params->window);
    printf ("  \"size\": %zu,\n", params->size);
    s_json_number ("count", params->count ? (double) params->count : NAN, "%.0f", false);
    s_json_number ("seconds", params->count ? NAN : (double) params->seconds, "%.0f", false);
    printf ("  \"form\": \"%s\",\n", params->single ? "single" : "batch");
    s_json_number ("dup_share", params->dup_share, "%g", false);
    printf ("  \"sync\": \"%s\",\n", params->sync);
    printf ("  \"workers\": %zu,\n", params->workers);
    printf ("  \"worker_batch\": %zu,\n", params->worker_batch);
    printf ("  \"worker_credit\": %zu,\n", params->worker_credit);
    printf ("  \"prefill\": %" PRIu64 ",\n", params->prefill);
    printf ("  \"restart_proc\": %s,\n", params->restart_proc ? "true" : "false");
    printf ("  \"floor\": %s,\n", params->floor ? "true" : "false");
    printf ("  \"fabric\": ");
    s_json_string (params->config_path ? params->config_path : "own");
    printf (",\n  \"processes\": [");
    for (size_t index = 0; index < process_count; index++) {
        printf ("%s\n    { \"name\": ", index ? "," : "");
        s_json_string (processes [index].name);
        printf (", \"cpu_s\": %.3f, \"peak_rss_kb\": %ld }", processes [index].cpu_s,
                processes [index].peak_rss_kb);
    }
    printf ("\n  ]\n}\n");
}

//  A latency for the table: "1234", or "-"
static const char *
s_cell (char *buffer, size_t size, bool present, double value, const char *format)
{
    if (!present || !isfinite (value))
        snprintf (buffer, size, "-");
    else
        snprintf (buffer, size, format, value);
    return buffer;
}

//  A table row of a rate, next to the baseline's and their ratio.
static void
s_table_rate (const char *label, double value, double base, bool base_present)
{
    char a [32], b [32];
    printf ("%-22s %12.0f %12s %8s\n", label, value,
            s_cell (a, sizeof a, base_present, base, "%.0f"),
            s_cell (b, sizeof b, base_present, s_ratio (value, base), "%.3f"));
}

//  Table rows of the reported percentiles of hist ("LABEL p50 (us)"...),
//  next to the baseline's and their ratio; "-" where absent.
static void
s_table_points (const char *label, const pf_hist_t *hist, bool present,
                const pf_hist_t *base_hist, bool base_present)
{
    for (size_t point = 0; point < S_POINTS; point++) {
        double percentile = s_points [point].percentile;
        double value = present ? (double) pf_hist_percentile (hist, percentile) : NAN;
        double base = base_present ? (double) pf_hist_percentile (base_hist, percentile) : NAN;
        char name [32], a [32], b [32], c [32];
        snprintf (name, sizeof name, "%s p%g (us)", label, percentile);
        printf ("%-22s %12s %12s %8s\n", name, s_cell (a, sizeof a, present, value, "%.0f"),
                s_cell (b, sizeof b, base_present, base, "%.0f"),
                s_cell (c, sizeof c, present && base_present, s_ratio (value, base), "%.2f"));
    }
}

static void
s_report_table (const s_params_t *params, const s_result_t *fabric,
                const s_result_t *baseline, const s_result_t *floor_run,
                const s_restart_t *restart, const s_process_t *processes,
                size_t process_count)
{
    printf ("pushfabric bench: %zu producer%s, window %zu, %zu-byte payloads, %s form, ",
            params->producers, params->producers == 1 ? "" : "s", params->window,
            params->size, params->single ? "single" : "batch");
    if (params->count)
        printf ("%" PRIu64 " messages each", params->count);
    else
        printf ("%" PRId64 " s", params->seconds);
    printf (", dup share %g, sync %s", params->dup_share, params->sync);
    if (params->workers)
        printf (", %zu worker%s (batch %zu, credit %zu)", params->workers,
                params->workers == 1 ? "" : "s", params->worker_batch, params->worker_credit);
    if (params->prefill)
        printf (", prefill %" PRIu64, params->prefill);
    printf ("\nfabric: ");
    if (params->config_path)
        printf ("%s", params->config_path);
    else {
        printf ("its own (");
        for (size_t index = 0; index < s_fabric.count; index++)
            printf ("%s%s", index ? ", " : "", s_fabric.nodes [index].label);
        printf (")");
    }
    printf ("\n\n");

    double per_s = s_per_second (fabric);
    double baseline_per_s = params->baseline ? s_per_second (baseline) : NAN;
    printf ("%-22s %12s %12s %8s\n", "", "fabric", "baseline", "ratio");
    s_table_rate ("accepted/s", per_s, baseline_per_s, params->baseline);
    s_table_points ("accept", fabric->latency, true, baseline->latency, params->baseline);
    if (params->workers) {
        s_table_rate ("done/s", s_done_per_second (params, fabric), baseline_per_s,
                      params->baseline);
        s_table_points ("e2e", fabric->e2e, pf_hist_count (fabric->e2e) > 0,
                        baseline->latency, params->baseline);
    }
    else {
        printf ("%-22s %12s\n", "done/s", "n/a");
        printf ("%-22s %12s\n", "e2e p99 (us)", "n/a");
    }
    if (params->floor) {
        s_table_rate ("floor round trips/s", s_per_second (floor_run), baseline_per_s,
                      params->baseline);
        s_table_points ("floor", floor_run->latency, true, baseline->latency,
                        params->baseline);
    }
    printf ("\naccepted %" PRIu64 ", duplicates %" PRIu64 ", refused %" PRIu64
            ", failed %" PRIu64 " in %.2f s",
            fabric->accepted, fabric->duplicates, fabric->refused, fabric->failed,
            fabric->seconds);
    if (params->baseline)
        printf ("; baseline %" PRIu64 " round trips in %.2f s, %.2f CPU s",
                baseline->accepted, baseline->seconds, baseline->cpu_s);
    if (params->floor)
        printf ("; floor %" PRIu64 " round trips in %.2f s, %.2f CPU s",
                floor_run->accepted, floor_run->seconds, floor_run->cpu_s);
    printf ("\n");
    if (params->workers) {
        printf ("workers: %" PRIu64 " done in %.2f s, done/s %.3f of accepted/s; backlog "
                "(accepted, not done) %" PRId64 " at the start, %" PRId64 " at the end",
                fabric->done, fabric->done_seconds,
                s_ratio (s_done_per_second (params, fabric), per_s), fabric->backlog_start,
                fabric->backlog_end);
        if (isfinite (fabric->drain_s))
            printf (", done %.2f s later", fabric->drain_s);
        printf ("; %" PRIu64 " redelivered, %" PRIu64 " e2e samples\n", fabric->redelivered,
                pf_hist_count (fabric->e2e));
    }
    else
        printf ("done/s and e2e latency need --workers\n");
    if (params->prefill)
        printf ("prefill: %" PRIu64 " messages in %.2f s (%.0f/s), before the measurement\n",
                params->prefill, fabric->prefill_s,
                fabric->prefill_s > 0 ? (double) params->prefill / fabric->prefill_s : 0);
    if (restart->label) {
        printf ("restart of %s: stopped in %.2f s, ready %.2f s after its start, remembering ",
                restart->label, restart->stop_s, restart->ready_s);
        if (restart->remembered >= 0)
            printf ("%" PRId64 " ids", restart->remembered);
        else
            printf ("an unknown number of ids");
        printf (", peak RSS %ld KiB once ready\n", restart->peak_rss_kb);
    }
    printf ("\n");

    uint64_t messages = fabric->accepted + fabric->duplicates;
    char a [32];
    printf ("%-22s %10s %12s %12s\n", "process", "cpu_s", "cpu_us/msg", "peak_rss_kb");
    for (size_t index = 0; index < process_count; index++)
        printf ("%-22s %10.2f %12s %12ld\n", processes [index].name, processes [index].cpu_s,
                s_cell (a, sizeof a, messages > 0,
                        processes [index].cpu_s * 1e6 / (double) messages, "%.1f"),
                processes [index].peak_rss_kb);
}

//  ---- Main -----------------------------------------------------------------------

//  Fail early, with one line, when the edge does not answer a PF1 PING.
static void
s_ping_edge (const s_target_t *target)
{
    char *error = NULL;
    zcert_t *cert = pf_keys_load (target->cert_path, true, &error);
    if (!cert)
        cmd_fatal ("%s", error);
    zsock_t *socket = zsock_new (ZMQ_DEALER);
    assert (socket);
    pf_keys_curve_client (socket, cert, target->server_public);
    zcert_destroy (&cert);
    zsock_set_linger (socket, 0);
    zsock_set_sndtimeo (socket, S_PING_TIMEOUT_MS);
    bool answered = false;
    if (zsock_connect (socket, "%s", target->endpoint) == 0
    &&  pf_proto_send (socket, NULL, PF_CMD_PING, 0, NULL, NULL) == 0) {
        int64_t until = zclock_mono () + S_PING_TIMEOUT_MS;
        while (!answered && !zsys_interrupted && zclock_mono () < until) {
            zmq_pollitem_t item = { zsock_resolve (socket), 0, ZMQ_POLLIN, 0 };
            if (zmq_poll (&item, 1, 100) <= 0)
                continue;
            zmsg_t *zmsg = zmsg_recv (socket);
            pf_message_t message;
            const char *problem;
            answered = zmsg && pf_proto_parse (zmsg, &message, &problem) == PF_REASON_OK
                    && message.cmd == PF_CMD_PONG;
            zmsg_destroy (&zmsg);
        }
    }
    zsock_destroy (&socket);
    if (zsys_interrupted)
        cmd_fatal ("interrupted");
    if (!answered)
        cmd_fatal ("edge '%s' at %s did not answer PING within %d s (is it running, and "
                   "is the key '%s' allowed?)", target->edge, target->endpoint,
                   S_PING_TIMEOUT_MS / 1000, target->cert_path);
}

//  The edge to push to and our key pair, from the config.
static void
s_target_load (const char *config_path, s_target_t *target, s_params_t *params)
{
    pf_config_t *config = cmd_load_config (config_path);
    cmd_fabric_edge_t edge;
    cmd_fabric_edge (config, NULL, &edge);
    target->endpoint = edge.endpoint;
    target->edge = edge.name;
    target->server_public = edge.server_public;
    target->cert_path = pf_keys_path (config, "secret/client.cert_secret");
    //  For the workers: every proc's workers endpoint and public key
    target->procs = cmd_fabric_procs (config, &target->proc_count, &target->heartbeat_ms);
    target->worker_cert_path = pf_keys_path (config, "secret/worker.cert_secret");
    if ((int64_t) params->size > pf_config_int (config, "fabric/max-payload"))
        cmd_fatal ("--size %zu is above the fabric's max-payload %" PRId64, params->size,
                   pf_config_int (config, "fabric/max-payload"));
    //  Report what the fabric runs with
    const char *proc = (const char *) zlistx_first (pf_config_nodes (config, "proc"));
    if (proc) {
        char key [256];
        snprintf (key, sizeof key, "proc/%s/synchronous", proc);
        params->sync = streq (pf_config_str (config, key), "full") ? "full" : "normal";
    }
    pf_config_destroy (&config);
}

static double
s_parse_share (const char *text)
{
    char *end = NULL;
    errno = 0;
    double value = strtod (text, &end);
    if (errno || !*text || *end || !(value >= 0 && value <= 1))
        cmd_usage_error (s_usage, "--dup-share must be a number from 0 to 1, not '%s'", text);
    return value;
}

int
cmd_bench (int argc, char **argv)
{
    static struct option options [] = {
        CMD_COMMON_LONG,
        { "producers", required_argument, NULL, 'P' },
        { "window", required_argument, NULL, 'W' },
        { "size", required_argument, NULL, 'S' },
        { "count", required_argument, NULL, 'C' },
        { "seconds", required_argument, NULL, 'T' },
        { "single", no_argument, NULL, '1' },
        { "dup-share", required_argument, NULL, 'D' },
        { "sync", required_argument, NULL, 'Y' },
        { "no-baseline", no_argument, NULL, 'B' },
        { "floor", no_argument, NULL, 'L' },
        { "json", no_argument, NULL, 'J' },
        { "workers", required_argument, NULL, 'K' },
        { "worker-batch", required_argument, NULL, 'b' },
        { "worker-credit", required_argument, NULL, 'r' },
        { "prefill", required_argument, NULL, 'F' },
        { "restart-proc", no_argument, NULL, 'X' },
        { NULL, 0, NULL, 0 }
    };
    s_params_t params = {
        .producers = 1, .window = 1000, .size = 100, .seconds = 5, .baseline = true,
        .worker_batch = 100, .worker_credit = 1000
    };
    bool by_time = false, worker_option = false;
    pf_log_set_level (PF_LOG_WARNING);
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":" CMD_COMMON_SHORT, options, NULL)) != -1) {
        switch (option) {
            case 'P':
                params.producers = (size_t) cmd_number (s_usage, "--producers", optarg, 1,
                                                        S_PRODUCERS_MAX);
                break;
            case 'W':
                params.window = (size_t) cmd_number (s_usage, "--window", optarg, 1, 1000000);
                break;
            case 'S':
                params.size = (size_t) cmd_number (s_usage, "--size", optarg, 0, 268435456);
                break;
            case 'C':
                params.count = (uint64_t) cmd_number (s_usage, "--count", optarg, 1,
                                                      1000000000);
                break;
            case 'T':
                params.seconds = cmd_number (s_usage, "--seconds", optarg, 1, 86400);
                by_time = true;
                break;
            case '1':
                params.single = true;
                break;
            case 'D':
                params.dup_share = s_parse_share (optarg);
                break;
            case 'Y':
                if (!streq (optarg, "normal") && !streq (optarg, "full"))
                    cmd_usage_error (s_usage, "--sync must be normal or full, not '%s'",
                                     optarg);
                params.sync = optarg;
                break;
            case 'B':
                params.baseline = false;
                break;
            case 'L':
                params.floor = true;
                break;
            case 'J':
                params.json = true;
                break;
            case 'K':
                params.workers = (size_t) cmd_number (s_usage, "--workers", optarg, 0,
                                                      S_WORKERS_MAX);
                break;
            case 'b':
                params.worker_batch = (size_t) cmd_number (s_usage, "--worker-batch", optarg,
                                                           1, 10000);
                worker_option = true;
                break;
            case 'r':
                params.worker_credit = (size_t) cmd_number (s_usage, "--worker-credit",
                                                            optarg, 1, 10000);
                worker_option = true;
                break;
            case 'F':
                params.prefill = (uint64_t) cmd_number (s_usage, "--prefill", optarg, 0,
                                                        1000000000);
                break;
            case 'X':
                params.restart_proc = true;
                break;
            case ':':
                cmd_usage_error (s_usage, "option '%s' needs a value", argv [optind - 1]);
            case '?':
                cmd_usage_error (s_usage, "unknown option '%s'", argv [optind - 1]);
            default:
                if (!cmd_common_option (option, s_usage, &params.config_path))
                    cmd_usage_error (s_usage, "unknown option '%s'", argv [optind - 1]);
        }
    }
    if (optind != argc)
        cmd_usage_error (s_usage, "bench takes no arguments, not '%s'", argv [optind]);
    if (params.count && by_time)
        cmd_usage_error (s_usage, "give --count or --seconds, not both");
    if (params.config_path && params.sync)
        cmd_usage_error (s_usage, "--sync applies only to bench's own fabric, not with -c");
    if (params.config_path && params.restart_proc)
        cmd_usage_error (s_usage, "--restart-proc applies only to bench's own fabric, "
                                  "not with -c");
    if (worker_option && !params.workers)
        cmd_usage_error (s_usage, "--worker-batch and --worker-credit need --workers");
    if (params.worker_batch > params.worker_credit)
        cmd_usage_error (s_usage, "--worker-batch %zu is above --worker-credit %zu: a batch "
                         "could never fill", params.worker_batch, params.worker_credit);
    if (params.workers && params.size < S_STAMP_SIZE)
        cmd_usage_error (s_usage, "--size %zu is below %d: with --workers each payload starts "
                         "with its %d-byte send time", params.size, S_STAMP_SIZE,
                         S_STAMP_SIZE);
    if (!params.sync)
        params.sync = "normal";
    pf_log_set_node ("bench");
    zsys_catch_interrupts ();

    //  Processes first, while this process has no threads and no sockets
    s_child_t echo = { 0 }, relay = { 0 };
    if (params.floor) {
        char *floor_error = s_child_start (&echo, NULL);
        if (!floor_error)
            floor_error = s_child_start (&relay, &echo);
        if (floor_error)
            cmd_fatal ("%s", floor_error);
    }
    s_target_t target = { 0 };
    char *config_path = NULL;
    atexit (s_fabric_cleanup);
    if (params.config_path)
        s_target_load (params.config_path, &target, &params);
    else {
        config_path = s_fabric_start (&params);
        s_target_load (config_path, &target, &params);
    }
    s_ping_edge (&target);

    s_result_t baseline = { .latency = pf_hist_new () };
    s_result_t floor_run = { .latency = pf_hist_new () };
    s_result_t fabric = { .latency = pf_hist_new (), .e2e = pf_hist_new () };
    s_restart_t restart = { 0 };
    char *error = NULL;
    if (params.baseline)
        error = s_measure_baseline (&params, &baseline);
    if (!error && params.floor)
        error = s_measure_floor (&params, &relay, &echo, &floor_run);
    s_child_stop (&relay);
    s_child_stop (&echo);
    if (!error && zsys_interrupted)
        error = strdup ("interrupted");
    if (!error) {
        s_crew_t *crew = params.workers ? s_crew_start (&params, &target) : NULL;
        error = s_measure_fabric (&params, &target, crew, &fabric);
        char *crew_error = s_crew_stop (&crew, &fabric);
        if (!error)
            error = crew_error;
        else
            free (crew_error);
    }
    if (!error && params.restart_proc)
        error = s_restart_proc (&restart);

    //  Each node's figures were taken at the end of the measurement
    s_process_t *processes = (s_process_t *) zmalloc ((s_fabric.count + 1)
                                                      * sizeof (s_process_t));
    size_t process_count = 0;
    for (size_t index = 0; index < s_fabric.count; index++) {
        s_node_t *node = &s_fabric.nodes [index];
        processes [process_count++] = (s_process_t) {
            node->label, node->cpu_s, node->peak_rss_kb
        };
    }
    processes [process_count++] = (s_process_t) { "bench", fabric.cpu_s, s_peak_rss_kb (0) };
    s_fabric_stop ();
    //  A node that crashed, or did not stop cleanly, explains the rest
    for (size_t index = 0; index < s_fabric.count; index++) {
        s_node_t *node = &s_fabric.nodes [index];
        if (!WIFEXITED (node->status) || WEXITSTATUS (node->status) != 0)
            cmd_fatal ("%s did not stop cleanly (%s %d): %s", node->label,
                       WIFSIGNALED (node->status) ? "signal" : "status",
                       WIFSIGNALED (node->status) ? WTERMSIG (node->status)
                                                  : WEXITSTATUS (node->status),
                       s_last_line (node->log_path));
    }
    if (error)
        cmd_fatal ("%s", error);

    if (params.json)
        s_report_json (&params, &fabric, &baseline, &floor_run, &restart, processes,
                       process_count);
    else
        s_report_table (&params, &fabric, &baseline, &floor_run, &restart, processes,
                        process_count);
    fflush (stdout);
    uint64_t unaccepted = fabric.refused + fabric.failed;
    free (processes);
    pf_hist_destroy (&fabric.latency);
    pf_hist_destroy (&fabric.e2e);
    pf_hist_destroy (&baseline.latency);
    pf_hist_destroy (&floor_run.latency);
    cmd_fabric_procs_free (&target.procs, target.proc_count);
    free (target.worker_cert_path);
    free (target.endpoint);
    free (target.edge);
    free (target.server_public);
    free (target.cert_path);
    free (config_path);
    s_fabric_cleanup ();
    if (unaccepted)
        cmd_fatal ("%" PRIu64 " messages were not accepted (refused or without a verdict)",
                   unaccepted);
    return 0;
}
