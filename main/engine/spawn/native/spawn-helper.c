/*
 * Forkscope's native spawn helper (Linux). The engine's spawn path when it is built; the Node
 * helper (../child/spawn-helper.ts) is the fallback. The wire format is written down once, in
 * ../native-protocol.ts; this file is its other end.
 *
 * Why native: Node's spawn forks the calling process, and the Node helper is ~50 MB, so every
 * launch paid for copying its page tables and for tearing them down again at exec. This process
 * is a few hundred KB and starts commands with vfork: no copy at all.
 *
 * Why no descriptor passing: the engine connects one Unix socket per stream of a launch to this
 * helper's listening (abstract, random-named) socket and writes a header on it (the helper's
 * secret, the launch id, which stream). The helper gives the accepted socket to the child as that
 * stream. The engine made the socket, so it needs no handle sent back; the child's output flows
 * straight to the engine, never through here (the same socket kind as Node's stdio "pipes").
 *
 * Lifetime: when the engine goes away (even SIGKILLed) the control pipe reaches EOF: every child's
 * process group gets SIGTERM, a second of grace, then SIGKILL, and the helper exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET_BYTES 16
#define HEADER_BYTES (SECRET_BYTES + 5)
#define STREAMS 3

enum { STDIN_STREAM = 0, STDOUT_STREAM = 1, STDERR_STREAM = 2 };
enum { FLAG_STDIN = 1 };

/* One launch: its request and the stream sockets connected for it (either may come first). */
struct launch {
  uint32_t id;
  int requested;
  /* Given up by the engine: a stream still on its way is closed when it comes (kept as a tombstone). */
  int cancelled;
  int flags;
  int fds[STREAMS];
  char *request; /* the frame's bytes, owned; the strings below point into it */
  const char *file, *cwd, *cgroup, *home, *mark;
  char **argv;
  struct launch *next;
};

/* An accepted connection whose header has not been read whole yet. */
struct incoming {
  int fd;
  unsigned char header[HEADER_BYTES];
  int got;
  struct incoming *next;
};

struct child {
  pid_t pid;
  uint32_t id;
  struct child *next;
};

static unsigned char secret[SECRET_BYTES];
static int control_in = -1, control_out = -1, listener = -1, epfd = -1, sigfd = -1, devnull = -1;
static struct launch *launches;
static struct incoming *incomings;
static struct child *children;
/* Out of descriptors: the listener leaves epoll (it would wake us forever) until one is closed. */
static int listener_paused;
static char **base_env; /* the environment the engine sent last, NULL-terminated */
static size_t base_env_count;
static char *base_env_frame;

/* Set by a vfork child when its exec failed (the memory is shared until it exits). */
static volatile int exec_errno;

static void die(const char *what) {
  fprintf(stderr, "forkscope spawn helper: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_all(const void *data, size_t size) {
  const char *bytes = data;
  while (size > 0) {
    ssize_t n = write(control_out, bytes, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; /* the engine is gone: EOF on the control pipe ends us soon */
    bytes += n;
    size -= (size_t)n;
  }
}

/* A reply: u32 length of what follows, u8 type, payload (little-endian, as the engine's host). */
static void reply(char type, const void *payload, uint32_t size) {
  char frame[256];
  uint32_t length = size + 1;
  memcpy(frame, &length, 4);
  frame[4] = type;
  memcpy(frame + 5, payload, size);
  write_all(frame, 5 + size);
}

static void reply3(char type, uint32_t id, int32_t a, int32_t b) {
  int32_t payload[3] = {(int32_t)id, a, b};
  reply(type, payload, sizeof payload);
}

/*
 * A process's start time (clock ticks after boot, field 22 of /proc/PID/stat), 0 if unknown. Read
 * here, where the child cannot have been reaped yet (its exit waits for our waitpid), so the
 * engine need not read it (a /proc read of its own per launch).
 */
static uint64_t start_ticks(pid_t pid) {
  char path[32], text[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  char *at = strrchr(text, ')');
  /* ") " then field 3; field 22 is 19 spaces further. */
  for (int field = 2; at && field < 22; field++) at = strchr(at + 1, ' ');
  return at ? strtoull(at + 1, NULL, 10) : 0;
}

static struct launch *find_launch(uint32_t id, int create) {
  for (struct launch *l = launches; l; l = l->next)
    if (l->id == id) return l;
  if (!create) return NULL;
  struct launch *l = calloc(1, sizeof *l);
  if (!l) die("calloc");
  l->id = id;
  for (int i = 0; i < STREAMS; i++) l->fds[i] = -1;
  l->next = launches;
  launches = l;
  return l;
}

/* What epoll says woke us: the control pipe, the listener, the signalfd, or a connection. */
static int control_tag, listener_tag, signal_tag;

static void resume_listener(void) {
  if (!listener_paused) return;
  listener_paused = 0;
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listener_tag};
  epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &event);
}

static void drop_launch(struct launch *gone) {
  for (struct launch **at = &launches; *at; at = &(*at)->next) {
    if (*at != gone) continue;
    *at = gone->next;
    break;
  }
  for (int i = 0; i < STREAMS; i++)
    if (gone->fds[i] >= 0) close(gone->fds[i]);
  resume_listener();
  free(gone->argv);
  free(gone->request);
  free(gone);
}

/* Moves this process into a cgroup: a write of our pid to its cgroup.procs. */
static int enter_cgroup(const char *dir) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= (int)sizeof path) return -1;
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char pid[16];
  int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
  int ok = write(fd, pid, (size_t)n) == n;
  close(fd);
  return ok ? 0 : -1;
}

/* The child's environment: the engine's, with the run's marker put in (replacing any inherited). */
static char **child_env(const char *mark, char **scratch_path) {
  size_t name_len = 0;
  if (mark[0]) name_len = (size_t)(strchr(mark, '=') ? strchr(mark, '=') - mark + 1 : 0);
  char **env = malloc((base_env_count + 2) * sizeof *env);
  if (!env) die("malloc");
  size_t n = 0;
  *scratch_path = NULL;
  for (size_t i = 0; i < base_env_count; i++) {
    if (name_len && strncmp(base_env[i], mark, name_len) == 0) continue;
    if (strncmp(base_env[i], "PATH=", 5) == 0) *scratch_path = base_env[i] + 5;
    env[n++] = base_env[i];
  }
  if (name_len) env[n++] = (char *)mark;
  env[n] = NULL;
  return env;
}

/*
 * The child side of vfork: only system calls, no allocation (the memory is the helper's). PATH is
 * searched in the child's own environment, as libuv does (execvp would read the helper's).
 */
/* Not inlined: its locals live in its own frame, below the parent's (vfork shares the stack). */
__attribute__((noinline)) static void exec_child(struct launch *l, char **env, const char *path,
                                                char *buffer, size_t size) {
  /* What this process ignores would stay ignored across exec; nothing else was changed. */
  signal(SIGPIPE, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  setsid();
  int in = l->fds[STDIN_STREAM] >= 0 ? l->fds[STDIN_STREAM] : devnull;
  if (dup2(in, 0) < 0 || dup2(l->fds[STDOUT_STREAM], 1) < 0 || dup2(l->fds[STDERR_STREAM], 2) < 0) goto fail;
  if (chdir(l->cwd) < 0) goto fail;
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (strchr(l->file, '/')) {
    execve(l->file, l->argv, env);
    goto fail;
  }
  if (!path) path = "/usr/bin:/bin";
  int seen_eacces = 0;
  size_t file_len = strlen(l->file);
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t dir_len = (size_t)(end - p);
    if (dir_len + file_len + 2 <= size) {
      memcpy(buffer, p, dir_len);
      size_t at = dir_len;
      if (at == 0) buffer[at++] = '.';
      buffer[at++] = '/';
      memcpy(buffer + at, l->file, file_len + 1);
      execve(buffer, l->argv, env);
      if (errno == EACCES)
        seen_eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR)
        goto fail;
    }
    if (*end == '\0') break;
    p = end;
  }
  if (seen_eacces) errno = EACCES;
fail:
  exec_errno = errno ? errno : EINVAL;
  _exit(127);
}

/* What the vfork child reads: kept out of the parent's stack frame. */
static char *child_path;
static char **child_envp;
static struct launch *child_launch;
static char path_buffer[8192];

static void start(struct launch *l) {
  child_envp = child_env(l->mark, &child_path);
  child_launch = l;
  int moved = l->cgroup[0] && l->home[0] && enter_cgroup(l->cgroup) == 0;
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  exec_errno = 0;
  /* Forked from inside the run's cgroup: no instruction of the child runs outside it. */
  pid_t pid = vfork();
  if (pid == 0) exec_child(child_launch, child_envp, child_path, path_buffer, sizeof path_buffer);
  int err = pid < 0 ? errno : 0;
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (moved) enter_cgroup(l->home);
  free(child_envp);
  if (pid > 0 && exec_errno) {
    err = exec_errno;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
  }
  if (pid > 0) {
    struct child *c = malloc(sizeof *c);
    if (!c) die("malloc");
    c->pid = pid;
    c->id = l->id;
    c->next = children;
    children = c;
    /* Started: id, pid, flags (1: forked inside the run's cgroup), start time (u64). */
    uint64_t ticks = start_ticks(pid);
    int32_t payload[5] = {(int32_t)l->id, pid, moved ? 1 : 0, (int32_t)(uint32_t)ticks,
                          (int32_t)(uint32_t)(ticks >> 32)};
    reply('P', payload, sizeof payload);
  } else {
    reply3('F', l->id, err, 0);
  }
  drop_launch(l);
}

static void maybe_start(struct launch *l) {
  if (!l->requested) return;
  if (l->fds[STDOUT_STREAM] < 0 || l->fds[STDERR_STREAM] < 0) return;
  if ((l->flags & FLAG_STDIN) && l->fds[STDIN_STREAM] < 0) return;
  start(l);
}

/* Strings of a frame: each NUL-terminated; NULL when the frame ends first. */
static const char *next_string(const char **at, const char *end) {
  const char *s = *at;
  const char *nul = memchr(s, '\0', (size_t)(end - s));
  if (!nul) return NULL;
  *at = nul + 1;
  return s;
}

static uint32_t read_u32(const char *at) {
  uint32_t value;
  memcpy(&value, at, 4);
  return value;
}

/* 'S': u32 id, u8 flags, then file, cwd, cgroup, home, mark, u32 argc, argc strings (argv[0] first). */
static void on_spawn(char *frame, uint32_t size) {
  const char *end = frame + size;
  if (size < 5) {
    free(frame);
    return;
  }
  uint32_t id = read_u32(frame);
  struct launch *l = find_launch(id, 1);
  if (l->cancelled || l->requested) {
    free(frame);
    return;
  }
  const char *at = frame + 5;
  l->flags = (unsigned char)frame[4];
  l->request = frame;
  if (!(l->file = next_string(&at, end)) || !(l->cwd = next_string(&at, end)) ||
      !(l->cgroup = next_string(&at, end)) || !(l->home = next_string(&at, end)) ||
      !(l->mark = next_string(&at, end)) || end - at < 4)
    goto bad;
  uint32_t argc = read_u32(at);
  at += 4;
  if (argc > size) goto bad;
  l->argv = calloc((size_t)argc + 1, sizeof *l->argv);
  if (!l->argv) die("calloc");
  for (uint32_t i = 0; i < argc; i++)
    if (!(l->argv[i] = (char *)next_string(&at, end))) goto bad;
  l->requested = 1;
  maybe_start(l);
  return;
bad:
  reply3('F', id, EPROTO, 0);
  drop_launch(l);
}

/* 'E': u32 count, count strings NAME=VALUE: the environment of every spawn from now on. */
static void on_env(char *frame, uint32_t size) {
  const char *end = frame + size;
  if (size < 4) {
    free(frame);
    return;
  }
  uint32_t count = read_u32(frame);
  if (count > size) {
    free(frame);
    return;
  }
  char **env = calloc((size_t)count + 1, sizeof *env);
  if (!env) die("calloc");
  const char *at = frame + 4;
  for (uint32_t i = 0; i < count; i++) {
    if (!(env[i] = (char *)next_string(&at, end))) {
      free(env);
      free(frame);
      return;
    }
  }
  free(base_env);
  free(base_env_frame);
  base_env = env;
  base_env_count = count;
  base_env_frame = frame;
}

/* 'C': u32 id: the engine gave the launch up before asking for it (a stream could not connect). */
static void on_cancel(char *frame, uint32_t size) {
  if (size >= 4) {
    struct launch *l = find_launch(read_u32(frame), 1);
    for (int i = 0; i < STREAMS; i++) {
      if (l->fds[i] >= 0) close(l->fds[i]);
      l->fds[i] = -1;
    }
    resume_listener();
    free(l->argv);
    free(l->request);
    l->argv = NULL;
    l->request = NULL;
    l->requested = 0;
    l->cancelled = 1;
  }
  free(frame);
}

static char *control_buffer;
static size_t control_fill, control_size;

static void stop_children_and_exit(void);

static void on_control(void) {
  for (;;) {
    if (control_size - control_fill < 65536) {
      control_size = control_size ? control_size * 2 : 131072;
      control_buffer = realloc(control_buffer, control_size);
      if (!control_buffer) die("realloc");
    }
    ssize_t n = read(control_in, control_buffer + control_fill, control_size - control_fill);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) stop_children_and_exit();
    control_fill += (size_t)n;
  }
  size_t at = 0;
  while (control_fill - at >= 5) {
    uint32_t length = read_u32(control_buffer + at);
    if (length == 0) {
      errno = EPROTO;
      die("an empty frame");
    }
    if (control_fill - at - 4 < length) break;
    char op = control_buffer[at + 4];
    uint32_t size = length - 1;
    char *frame = malloc(size + 1);
    if (!frame) die("malloc");
    memcpy(frame, control_buffer + at + 5, size);
    frame[size] = '\0';
    at += 4 + length;
    if (op == 'S')
      on_spawn(frame, size);
    else if (op == 'E')
      on_env(frame, size);
    else if (op == 'C')
      on_cancel(frame, size);
    else
      free(frame);
  }
  memmove(control_buffer, control_buffer + at, control_fill - at);
  control_fill -= at;
}

static void forget_incoming(struct incoming *gone, int close_fd) {
  for (struct incoming **at = &incomings; *at; at = &(*at)->next) {
    if (*at != gone) continue;
    *at = gone->next;
    break;
  }
  epoll_ctl(epfd, EPOLL_CTL_DEL, gone->fd, NULL);
  if (close_fd) {
    close(gone->fd);
    resume_listener();
  }
  free(gone);
}

/* Reads what has come of a connection's header; once whole, the socket joins its launch. */
static void on_incoming(struct incoming *c) {
  for (;;) {
    ssize_t n = read(c->fd, c->header + c->got, HEADER_BYTES - (size_t)c->got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      forget_incoming(c, 1);
      return;
    }
    c->got += (int)n;
    if (c->got == HEADER_BYTES) break;
  }
  unsigned char differ = 0;
  for (int i = 0; i < SECRET_BYTES; i++) differ |= c->header[i] ^ secret[i];
  uint32_t id;
  memcpy(&id, c->header + SECRET_BYTES, 4);
  int stream = c->header[SECRET_BYTES + 4];
  if (differ || stream >= STREAMS) {
    forget_incoming(c, 1);
    return;
  }
  int fd = c->fd;
  forget_incoming(c, 0);
  /* The child gets it as a blocking descriptor, as Node's stdio pipes are. */
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  struct launch *l = find_launch(id, 1);
  if (l->cancelled) {
    close(fd);
    return;
  }
  if (l->fds[stream] >= 0) close(l->fds[stream]);
  l->fds[stream] = fd;
  maybe_start(l);
}

static void on_listener(void) {
  for (;;) {
    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        /* The connection waits in the backlog until a launch under way gives a descriptor back. */
        listener_paused = 1;
        epoll_ctl(epfd, EPOLL_CTL_DEL, listener, NULL);
      }
      return;
    }
    struct incoming *c = calloc(1, sizeof *c);
    if (!c) die("calloc");
    c->fd = fd;
    c->next = incomings;
    incomings = c;
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
    on_incoming(c);
  }
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (struct child **at = &children; *at; at = &(*at)->next) {
      struct child *c = *at;
      if (c->pid != pid) continue;
      *at = c->next;
      if (WIFEXITED(status))
        reply3('X', c->id, WEXITSTATUS(status), 0);
      else if (WIFSIGNALED(status))
        reply3('X', c->id, -1, WTERMSIG(status));
      free(c);
      break;
    }
  }
}

static void on_signal(void) {
  struct signalfd_siginfo info;
  while (read(sigfd, &info, sizeof info) > 0) {
  }
  reap();
}

static void signal_groups(int sig) {
  for (struct child *c = children; c; c = c->next) kill(-c->pid, sig);
}

static void stop_children_and_exit(void) {
  signal_groups(SIGTERM);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    reap();
    if (!children) exit(0);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= 1000) break;
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  signal_groups(SIGKILL);
  exit(0);
}

/* The listening socket: abstract (no file to clean up), its name random like the secret. */
static void listen_abstract(char *name, size_t size) {
  unsigned char random_bytes[12];
  if (getrandom(random_bytes, sizeof random_bytes, 0) != (ssize_t)sizeof random_bytes) die("getrandom");
  int n = snprintf(name, size, "forkscope-spawn-%d-", (int)getpid());
  for (size_t i = 0; i < sizeof random_bytes; i++) n += snprintf(name + n, size - (size_t)n, "%02x", random_bytes[i]);
  listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listener < 0) die("socket");
  struct sockaddr_un address;
  memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path + 1, name, (size_t)n);
  /* The whole sun_path, NUL-padded: Node connects to an abstract name with the full length. */
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
  if (listen(listener, 4096) < 0) die("listen");
}

int main(void) {
  /* The control pipe moves off 0 and 1 (children must not inherit it: EOF is the engine's death). */
  control_in = fcntl(0, F_DUPFD_CLOEXEC, 3);
  control_out = fcntl(1, F_DUPFD_CLOEXEC, 3);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (control_in < 0 || control_out < 0 || devnull < 0) die("setting up");
  dup2(devnull, 0);
  dup2(devnull, 1);
  fcntl(control_in, F_SETFL, fcntl(control_in, F_GETFL) | O_NONBLOCK);
  fcntl(control_out, F_SETFL, fcntl(control_out, F_GETFL) & ~O_NONBLOCK);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) die("signalfd");

  if (getrandom(secret, sizeof secret, 0) != (ssize_t)sizeof secret) die("getrandom");
  char name[96];
  listen_abstract(name, sizeof name);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  int *tags[3] = {&control_tag, &listener_tag, &signal_tag};
  int fds[3] = {control_in, listener, sigfd};
  for (int i = 0; i < 3; i++) {
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = tags[i]};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &event) < 0) die("epoll_ctl");
  }

  /* 'R': the secret, then the socket's abstract name. */
  char ready[SECRET_BYTES + 96];
  memcpy(ready, secret, SECRET_BYTES);
  size_t name_len = strlen(name);
  memcpy(ready + SECRET_BYTES, name, name_len);
  reply('R', ready, (uint32_t)(SECRET_BYTES + name_len));

  for (;;) {
    struct epoll_event events[64];
    int n = epoll_wait(epfd, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    /* Exits first: a pid reused by the next spawn must not meet a stale entry. */
    for (int i = 0; i < n; i++)
      if (events[i].data.ptr == &signal_tag) on_signal();
    for (int i = 0; i < n; i++) {
      void *tag = events[i].data.ptr;
      if (tag == &control_tag)
        on_control();
      else if (tag == &listener_tag)
        on_listener();
      else if (tag != &signal_tag)
        on_incoming(tag);
    }
  }
}
